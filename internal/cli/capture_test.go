package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"connscope/capture"
	"connscope/report"
)

func TestCaptureUsage(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"no interface", []string{"capture"}, ExitUsage, "capture needs -i IFACE"},
		{"negative duration", []string{"capture", "-i", "lo", "--duration", "-1s"}, ExitUsage, "--duration must not be negative"},
		{"tiny snaplen", []string{"capture", "-i", "lo", "-s", "10"}, ExitUsage, "--snaplen must be within"},
		{"bad buffer", []string{"capture", "-i", "lo", "--buffer", "lots"}, ExitUsage, "bad --buffer"},
		{"annotate", []string{"capture", "-i", "lo", "--annotate", "x.pcapng"}, ExitUsage, "cannot --annotate"},
		{"bad filter", []string{"capture", "-i", "lo", "-f", "port port"}, ExitUsage, "--filter"},
		{"unknown interface", []string{"capture", "-i", "nosuchif0"}, ExitError, `capture: open interface "nosuchif0": no such interface`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := run(t, "", tc.args...)
			if code != tc.wantCode {
				t.Errorf("exit code %d, want %d (stderr %q)", code, tc.wantCode, stderr)
			}
			if !strings.Contains(stderr, tc.wantErr) {
				t.Errorf("stderr %q does not contain %q", stderr, tc.wantErr)
			}
		})
	}
}

func TestCompleteInterfaces(t *testing.T) {
	names, dir := completeInterfaces(nil, nil, "")
	if len(names) < 2 || names[0] != "any" || dir != 4 /* ShellCompDirectiveNoFileComp */ {
		t.Errorf("completion %v (directive %d)", names, dir)
	}
}

// TestCapturePermissionMessage runs the command as the unprivileged user
// nobody (the test binary re-executed through setpriv) and checks the one
// line it prints.
func TestCapturePermissionMessage(t *testing.T) {
	if os.Getenv("CONNSCOPE_CLI_UNPRIVILEGED") == "1" {
		var out, errb bytes.Buffer
		code := Main([]string{"capture", "-i", "lo", "--duration", "1s"}, strings.NewReader(""), &out, &errb)
		fmt.Printf("CODE %d\nSTDERR %s", code, errb.String())
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("run as root to test the message of an unprivileged user (through setpriv)")
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("setpriv not installed")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	cmd := exec.Command(setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", exe,
		"-test.run=^TestCapturePermissionMessage$")
	cmd.Env = append(os.Environ(), "CONNSCOPE_CLI_UNPRIVILEGED=1")
	out, _ := cmd.CombinedOutput()
	if !strings.Contains(string(out), "CODE ") {
		t.Skipf("cannot run the test binary as nobody:\n%s", out)
	}
	want := "CODE 1\nSTDERR connscope: capture: open interface \"lo\": permission denied (run as root or grant CAP_NET_RAW: setcap cap_net_raw+ep $(which connscope))\n"
	if !strings.Contains(string(out), want) {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}
}

// lockedBuffer is a bytes.Buffer safe for a writer and a reader on
// different goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startCapture runs Main with args on its own goroutine and waits until
// the capture has started.
func startCapture(t *testing.T, args ...string) (wait func() (int, string, string)) {
	t.Helper()
	var out, errb lockedBuffer
	code := make(chan int, 1)
	go func() { code <- Main(args, strings.NewReader(""), &out, &errb) }()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(errb.String(), "capturing on") {
		select {
		case c := <-code:
			t.Fatalf("capture ended early (exit %d): %s", c, errb.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("capture did not start: %s", errb.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	return func() (int, string, string) {
		c := <-code
		return c, out.String(), errb.String()
	}
}

// httpServer serves a small body on 127.0.0.1 and returns its port.
func httpServer(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, strings.Repeat("connscope ", 100))
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().(*net.TCPAddr).Port
}

// requests makes n requests, each on its own connection: with curl when it
// is installed, else with Go's client without keep-alive.
func requests(t *testing.T, port, n int) {
	t.Helper()
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	if curl, err := exec.LookPath("curl"); err == nil {
		for range n {
			if out, err := exec.Command(curl, "-s", "-o", "/dev/null", "--max-time", "5", url).CombinedOutput(); err != nil {
				t.Fatalf("curl: %v %s", err, out)
			}
		}
		return
	}
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for range n {
		resp, err := c.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// TestCaptureLoopbackAcceptance: capture -i lo -f 'tcp port P' --duration
// 6s --format json while 10 requests, each on its own connection, go to a
// server on port P reports exactly 10 connections and 10 requests. The
// same run also checks -w and --format ndjson.
func TestCaptureLoopbackAcceptance(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("live capture needs root")
	}
	if testing.Short() {
		t.Skip("takes 6 seconds")
	}
	tests := []struct {
		name   string
		format string
	}{
		{"json", "json"},
		{"ndjson streamed", "ndjson"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			port := httpServer(t)
			dump := filepath.Join(t.TempDir(), "live.pcapng")
			wait := startCapture(t, "capture", "-i", "lo", "-f", fmt.Sprintf("tcp port %d", port),
				"--duration", "6s", "--format", tc.format, "-w", dump)
			requests(t, port, 10)
			code, stdout, stderr := wait()
			if code != ExitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var sum report.Summary
			var capt report.Capture
			conns := 0
			if tc.format == "json" {
				var rep report.Report
				if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
					t.Fatalf("report: %v\n%s", err, stdout)
				}
				sum, capt, conns = rep.Summary, rep.Capture, len(rep.Connections)
			} else {
				sc := bufio.NewScanner(strings.NewReader(stdout))
				sc.Buffer(nil, 1<<20)
				for sc.Scan() {
					var rec struct {
						Type string `json:"type"`
					}
					if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
						t.Fatalf("line %q: %v", sc.Text(), err)
					}
					switch rec.Type {
					case report.RecordConnection:
						conns++
					case report.RecordSummary:
						var sr struct {
							Capture report.Capture `json:"capture"`
							report.Summary
						}
						if err := json.Unmarshal(sc.Bytes(), &sr); err != nil {
							t.Fatalf("summary %q: %v", sc.Text(), err)
						}
						sum, capt = sr.Summary, sr.Capture
					}
				}
			}
			if sum.TCPConnections != 10 || sum.HTTPRequests != 10 || conns != 10 {
				t.Errorf("%d connections (%d records), %d requests; want 10, 10", sum.TCPConnections, conns, sum.HTTPRequests)
			}
			if capt.Dropped != 0 {
				t.Logf("%d packets dropped", capt.Dropped)
			}
			if len(capt.Sources) != 1 || capt.Sources[0] != "lo" || capt.Formats[0] != "live" {
				t.Errorf("capture sources %v formats %v", capt.Sources, capt.Formats)
			}
			src, err := capture.OpenFile(dump)
			if err != nil {
				t.Fatalf("-w file: %v", err)
			}
			defer src.Close()
			n := 0
			for {
				if _, err := src.Next(); err != nil {
					break
				}
				n++
			}
			if uint64(n) != capt.Packets {
				t.Errorf("-w file holds %d packets, the report counts %d", n, capt.Packets)
			}
		})
	}
}

// TestCaptureFanoutGroup: two captures started with the same --fanout-group
// split 20 one-request connections between them, each connection whole in
// one report.
func TestCaptureFanoutGroup(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("live capture needs root")
	}
	if testing.Short() {
		t.Skip("takes 4 seconds")
	}
	port := httpServer(t)
	group := strconv.Itoa(0x6c00 + os.Getpid()%0x400)
	var waits [2]func() (int, string, string)
	for i := range waits {
		waits[i] = startCapture(t, "capture", "-i", "lo", "-f", fmt.Sprintf("tcp port %d", port),
			"--fanout-group", group, "--duration", "4s", "--format", "json")
	}
	requests(t, port, 20)
	conns, reqs := 0, 0
	for i, wait := range waits {
		code, stdout, stderr := wait()
		if code != ExitOK {
			t.Fatalf("capture %d: exit %d: %s", i, code, stderr)
		}
		var rep report.Report
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatalf("capture %d: %v", i, err)
		}
		if rep.Summary.TCPConnections == 0 {
			t.Errorf("capture %d saw no connection", i)
		}
		for _, c := range rep.Connections {
			if !c.Handshake.Complete || c.Close.Kind != "fin" || c.HTTP == nil || c.HTTP.Requests != 1 || c.HTTP.Responses != 1 {
				t.Errorf("capture %d: connection %s is not whole: %+v %+v %+v", i, c.Client, c.Handshake, c.Close, c.HTTP)
			}
		}
		conns += rep.Summary.TCPConnections
		reqs += rep.Summary.HTTPRequests
	}
	if conns != 20 || reqs != 20 {
		t.Errorf("the two captures saw %d connections and %d requests, want 20 and 20", conns, reqs)
	}
}

// TestCaptureCount: -c ends the capture after that many packets.
func TestCaptureCount(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("live capture needs root")
	}
	port := httpServer(t)
	wait := startCapture(t, "capture", "-i", "lo", "-f", fmt.Sprintf("tcp port %d", port),
		"-c", "5", "--duration", "20s", "--format", "json")
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 20; i++ {
			select {
			case <-time.After(100 * time.Millisecond):
			}
			c, err := net.Dial("tcp4", fmt.Sprintf("127.0.0.1:%d", port))
			if err == nil {
				c.Close()
			}
		}
	}()
	start := time.Now()
	code, stdout, stderr := wait()
	<-done
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep report.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Capture.Decoded != 5 {
		t.Errorf("decoded %d packets, want 5", rep.Capture.Decoded)
	}
	if time.Since(start) > 15*time.Second {
		t.Errorf("-c did not end the capture early")
	}
}
