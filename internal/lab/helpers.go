package lab

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// HelperNames lists the helpers RunHelper knows, sorted.
func HelperNames() []string {
	names := make([]string, 0, len(helpers))
	for n := range helpers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

var helpers = map[string]func(fs *flag.FlagSet, args []string, out io.Writer) error{
	"rst-server":    helperRSTServer,
	"canned-server": helperCannedServer,
	"http-server":   helperHTTPServer,
	"churn-client":  helperChurnClient,
	"nagle-client":  helperNagleClient,
	"idle-client":   helperIdleClient,
	"race-client":   helperRaceClient,
	"repeat-client": helperRepeatClient,
}

// RunHelper runs the helper called name with command-line args, writing its
// report to out. Every helper exits the process after its -max wall-clock
// limit; pass -max 0 when calling RunHelper in-process.
func RunHelper(name string, args []string, out io.Writer) error {
	h, ok := helpers[name]
	if !ok {
		return fmt.Errorf("lab: unknown helper %q (known: %s)", name, strings.Join(HelperNames(), ", "))
	}
	fs := flag.NewFlagSet("helper "+name, flag.ContinueOnError)
	return h(fs, args, out)
}

// limit makes the process exit with status 3 after d. d <= 0 disables it
// (for helpers run in-process, e.g. from tests).
func limit(d time.Duration, name string) {
	if d <= 0 {
		return
	}
	time.AfterFunc(d, func() {
		fmt.Fprintf(os.Stderr, "helper %s: time limit %v reached\n", name, d)
		os.Exit(3)
	})
}

// readHead reads request bytes up to and including the blank line.
func readHead(br *bufio.Reader) (string, error) {
	var b strings.Builder
	for i := 0; i < 200; i++ {
		line, err := br.ReadString('\n')
		b.WriteString(line)
		if err != nil {
			return b.String(), err
		}
		if line == "\r\n" || line == "\n" {
			return b.String(), nil
		}
	}
	return b.String(), errors.New("request head too long")
}

// helperRSTServer reads -read bytes of each request, waits -wait, answers 413 and closes
// with the rest of the upload unread: Linux then sends RST instead of FIN
// (RFC 2525 §2.17; RFC 9112 §9.6 "TCP reset problem").
func helperRSTServer(fs *flag.FlagSet, args []string, out io.Writer) error {
	listen := fs.String("listen", ServerAddr(ServerPort), "listen address")
	n := fs.Int("read", 10, "bytes to read before closing")
	conns := fs.Int("conns", 1, "connections to serve, then exit")
	wait := fs.Duration("wait", 50*time.Millisecond, "pause after reading, so more of the upload arrives unread")
	max := fs.Duration("max", 60*time.Second, "wall-clock limit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	limit(*max, "rst-server")
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	defer ln.Close()
	for i := 0; i < *conns; i++ {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		buf := make([]byte, *n)
		got, err := io.ReadFull(c, buf)
		time.Sleep(*wait)
		fmt.Fprintf(out, "conn %d: read %d bytes (%v), closing with data unread\n", i+1, got, err)
		_, _ = io.WriteString(c, "HTTP/1.1 413 Content Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
		c.Close()
	}
	return nil
}

// helperCannedServer answers every request with an explicitly framed
// response. Modes: truncated (Content-Length 100, 5 body bytes, close),
// chunked (three chunks in separate writes and a trailer, keep-alive;
// RFC 9112 §7.1), close_delimited (no Content-Length, body ends at the
// server's FIN; RFC 9112 §6.3 rule 8).
func helperCannedServer(fs *flag.FlagSet, args []string, out io.Writer) error {
	listen := fs.String("listen", ServerAddr(ServerPort), "listen address")
	mode := fs.String("mode", "chunked", "truncated|chunked|close_delimited")
	conns := fs.Int("conns", 4, "connections to serve, then exit")
	max := fs.Duration("max", 60*time.Second, "wall-clock limit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch *mode {
	case "truncated", "chunked", "close_delimited":
	default:
		return fmt.Errorf("canned-server: unknown mode %q", *mode)
	}
	limit(*max, "canned-server")
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	defer ln.Close()
	for i := 0; i < *conns; i++ {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		serveCanned(c, *mode, out, i+1)
	}
	return nil
}

func serveCanned(c net.Conn, mode string, out io.Writer, id int) {
	defer c.Close()
	br := bufio.NewReader(c)
	const perConn = 10
	for r := 0; r < perConn; r++ {
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		head, err := readHead(br)
		if err != nil {
			fmt.Fprintf(out, "conn %d: %d requests, then %v\n", id, r, err)
			return
		}
		first, _, _ := strings.Cut(head, "\r\n")
		fmt.Fprintf(out, "conn %d: request %q mode %s\n", id, first, mode)
		switch mode {
		case "truncated":
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\nhello")
			return
		case "close_delimited":
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n")
			time.Sleep(5 * time.Millisecond)
			_, _ = io.WriteString(c, strings.Repeat("close-delimited body line\n", 8))
			time.Sleep(5 * time.Millisecond)
			_, _ = io.WriteString(c, "last line before FIN\n")
			return
		case "chunked":
			parts := []string{
				"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n",
				"5\r\nhello\r\n",
				"1a\r\nabcdefghijklmnopqrstuvwxyz\r\n",
				"40\r\n" + strings.Repeat("0123456789abcdef", 4) + "\r\n",
				"0\r\nX-Checksum: lab\r\n\r\n",
			}
			for _, p := range parts {
				_, _ = io.WriteString(c, p)
				time.Sleep(5 * time.Millisecond)
			}
		}
	}
}

// helperHTTPServer is a net/http server whose handlers read the whole
// request body before answering (needed to show the Nagle/delayed-ACK stall).
func helperHTTPServer(fs *flag.FlagSet, args []string, out io.Writer) error {
	listen := fs.String("listen", ServerAddr(ServerPort), "listen address")
	max := fs.Duration("max", 60*time.Second, "wall-clock limit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	limit(*max, "http-server")
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "%s %s read %d body bytes\n", r.Method, r.URL.Path, n)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 30 * time.Second}
	return srv.Serve(ln)
}

func getRequest(path string) string {
	return "GET " + path + " HTTP/1.1\r\nHost: " + ServerAddr(ServerPort) + "\r\nUser-Agent: connscope-lab\r\n\r\n"
}

// roundTrip writes one GET and reads the response with its body.
func roundTrip(c net.Conn, br *bufio.Reader, path string) (*http.Response, error) {
	if _, err := io.WriteString(c, getRequest(path)); err != nil {
		return nil, fmt.Errorf("write: %w", err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return nil, fmt.Errorf("read response: %w", err)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return resp, fmt.Errorf("read body: %w", err)
	}
	return resp, nil
}

// helperChurnClient opens -n short connections one after another, one GET
// each, and closes first so the client holds TIME_WAIT. When the kernel has
// no free local port (EADDRNOTAVAIL) it waits and retries.
func helperChurnClient(fs *flag.FlagSet, args []string, out io.Writer) error {
	addr := fs.String("addr", ServerAddr(ServerPort), "server address")
	path := fs.String("path", "/tiny.txt", "URL path")
	n := fs.Int("n", 3000, "connections")
	max := fs.Duration("max", 90*time.Second, "wall-clock limit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	limit(*max, "churn-client")
	start := time.Now()
	ports := map[int]int{}
	retries, maxRetries := 0, 100000
	for i := 0; i < *n; {
		c, err := net.DialTimeout("tcp", *addr, 2*time.Second)
		if err != nil {
			if errors.Is(err, syscall.EADDRNOTAVAIL) && retries < maxRetries {
				retries++
				time.Sleep(10 * time.Millisecond)
				continue
			}
			return fmt.Errorf("churn-client: dial %d: %w", i+1, err)
		}
		ports[c.LocalAddr().(*net.TCPAddr).Port]++
		br := bufio.NewReader(c)
		if _, err := roundTrip(c, br, *path); err != nil {
			c.Close()
			return fmt.Errorf("churn-client: conn %d: %w", i+1, err)
		}
		c.Close()
		i++
	}
	reused := 0
	for _, k := range ports {
		if k > 1 {
			reused++
		}
	}
	fmt.Fprintf(out, "churn-client: %d connections, %d distinct local ports (%d used more than once), %d EADDRNOTAVAIL retries, %.1fs\n",
		*n, len(ports), reused, retries, time.Since(start).Seconds())
	return nil
}

// helperNagleClient sends -n POSTs on one keep-alive connection, headers and
// body in two separate writes, with Nagle on or off (Go's default is
// TCP_NODELAY on; detection-methods §2.3).
func helperNagleClient(fs *flag.FlagSet, args []string, out io.Writer) error {
	addr := fs.String("addr", ServerAddr(ServerPort), "server address")
	nodelay := fs.Bool("nodelay", true, "TCP_NODELAY (false = Nagle on)")
	n := fs.Int("n", 6, "requests")
	max := fs.Duration("max", 30*time.Second, "wall-clock limit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	limit(*max, "nagle-client")
	c, err := net.DialTimeout("tcp", *addr, 2*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.(*net.TCPConn).SetNoDelay(*nodelay); err != nil {
		return err
	}
	br := bufio.NewReader(c)
	body := strings.Repeat("b", 100)
	for i := 0; i < *n; i++ {
		t0 := time.Now()
		head := fmt.Sprintf("POST /p%d HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n", i+1, *addr, len(body))
		if _, err := io.WriteString(c, head); err != nil {
			return err
		}
		if _, err := io.WriteString(c, body); err != nil {
			return err
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		fmt.Fprintf(out, "nagle-client nodelay=%v request %d: %s in %.1f ms\n", *nodelay, i+1, resp.Status, float64(time.Since(t0).Microseconds())/1000)
	}
	return nil
}

// helperIdleClient makes one request on a keep-alive connection, then stays
// idle reading until the server closes (or -idle passes), then closes.
func helperIdleClient(fs *flag.FlagSet, args []string, out io.Writer) error {
	addr := fs.String("addr", ServerAddr(ServerPort), "server address")
	path := fs.String("path", "/small.txt", "URL path")
	idle := fs.Duration("idle", 3*time.Second, "how long to wait for the server to close")
	max := fs.Duration("max", 30*time.Second, "wall-clock limit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	limit(*max, "idle-client")
	c, err := net.DialTimeout("tcp", *addr, 2*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	br := bufio.NewReader(c)
	resp, err := roundTrip(c, br, *path)
	if err != nil {
		return err
	}
	t0 := time.Now()
	_ = c.SetReadDeadline(t0.Add(*idle))
	_, err = br.ReadByte()
	fmt.Fprintf(out, "idle-client: %s, then after %.0f ms idle: %v\n", resp.Status, float64(time.Since(t0).Milliseconds()), err)
	return nil
}

// helperRaceClient, for each idle gap in -sleeps, opens a connection, makes
// one request, sleeps the gap, and sends a second request on the same
// connection without checking whether the server closed it meanwhile (a
// client racing the server's keep-alive timeout). A failed second request is
// retried once on a new connection, as HTTP clients do for idempotent
// requests (RFC 9110 §9.2.2).
func helperRaceClient(fs *flag.FlagSet, args []string, out io.Writer) error {
	addr := fs.String("addr", ServerAddr(ServerPort), "server address")
	path := fs.String("path", "/small.txt", "URL path")
	sleeps := fs.String("sleeps", "900ms,990ms,1000ms,1010ms,1100ms", "comma-separated idle gaps")
	max := fs.Duration("max", 60*time.Second, "wall-clock limit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	limit(*max, "race-client")
	var gaps []time.Duration
	for _, s := range strings.Split(*sleeps, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("race-client: bad gap %q: %w", s, err)
		}
		gaps = append(gaps, d)
	}
	if len(gaps) > 20 {
		return errors.New("race-client: at most 20 gaps")
	}
	for i, gap := range gaps {
		c, err := net.DialTimeout("tcp", *addr, 2*time.Second)
		if err != nil {
			return err
		}
		br := bufio.NewReader(c)
		if _, err := roundTrip(c, br, *path); err != nil {
			c.Close()
			return fmt.Errorf("race-client: first request: %w", err)
		}
		time.Sleep(gap)
		_, err = roundTrip(c, br, *path)
		c.Close()
		outcome := "second request answered on the same connection"
		if err != nil {
			outcome = "second request failed (" + errText(err) + "), retried on a new connection"
			c2, err2 := net.DialTimeout("tcp", *addr, 2*time.Second)
			if err2 != nil {
				return err2
			}
			br2 := bufio.NewReader(c2)
			if _, err2 := roundTrip(c2, br2, *path); err2 != nil {
				outcome += ": retry failed: " + errText(err2)
			} else {
				outcome += ": retry answered"
			}
			c2.Close()
		}
		fmt.Fprintf(out, "race-client: conn %d gap %v: %s\n", i+1, gap, outcome)
	}
	return nil
}

// helperRepeatClient downloads -path -n times on one keep-alive connection,
// idling -idle between downloads (slow start restart after idle,
// RFC 5681 §4.1 / RFC 7661).
func helperRepeatClient(fs *flag.FlagSet, args []string, out io.Writer) error {
	addr := fs.String("addr", ServerAddr(ServerPort), "server address")
	path := fs.String("path", "/2m.bin", "URL path")
	n := fs.Int("n", 2, "downloads")
	idle := fs.Duration("idle", 2*time.Second, "pause between downloads")
	max := fs.Duration("max", 60*time.Second, "wall-clock limit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n < 1 || *n > 20 {
		return errors.New("repeat-client: -n must be within 1..20")
	}
	limit(*max, "repeat-client")
	c, err := net.DialTimeout("tcp", *addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	br := bufio.NewReader(c)
	for i := 0; i < *n; i++ {
		if i > 0 {
			time.Sleep(*idle)
		}
		t0 := time.Now()
		resp, err := roundTrip(c, br, *path)
		if err != nil {
			return fmt.Errorf("repeat-client: download %d: %w", i+1, err)
		}
		fmt.Fprintf(out, "repeat-client: download %d: %s, %d bytes in %.0f ms\n", i+1, resp.Status, resp.ContentLength, float64(time.Since(t0).Milliseconds()))
	}
	return nil
}

func errText(err error) string {
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "EOF"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, syscall.EPIPE):
		return "broken pipe"
	}
	return strconv.Quote(err.Error())
}
