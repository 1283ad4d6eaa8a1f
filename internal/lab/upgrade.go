package lab

import (
	"bufio"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/h2c"
	"golang.org/x/net/websocket"
)

// The protocol-switch scenarios (WebSocket, h2c, TLS) and their helpers.
func init() {
	helpers["ws-echo-server"] = helperWSEchoServer
	helpers["ws-client"] = helperWSClient
	helpers["h2c-server"] = helperH2CServer
	helpers["tls-nginx"] = helperTLSNginx
}

// TLSServerName is the name the TLS scenario's client asks for (SNI).
const TLSServerName = "lab.connscope.test"

// upgradeScenarios returns the WebSocket, HTTP/2 cleartext and TLS
// scenarios.
func upgradeScenarios() []Scenario {
	h2load := func(extra ...string) []string {
		return append([]string{"h2load", "--no-tls-proto=h2c"}, extra...)
	}
	return []Scenario{
		{
			Name: "websocket_echo",
			Shows: "Go x/net/websocket echo server; a hand-written client sends 10 masked text messages (each echoed), " +
				"one ping (answered by a pong) and a close frame 1000; the server echoes the close and closes TCP first",
			ServerHelper: []string{"ws-echo-server", "-conns", "1"},
			Steps:        []Step{{Argv: []string{"{SELF}", "helper", "ws-client", "-n", "10"}}},
			Expect:       Expect{Streams: Exactly(1), SYNs: Exactly(1), RSTs: Exactly(0), Requests: Exactly(1), Responses: Exactly(1)},
		},
		{
			Name: "h2c_prior_knowledge",
			Shows: "Go x/net/http2/h2c server (10 ms per response, 1 KiB); h2load with prior knowledge: 1 connection, " +
				"20 streams, at most 10 concurrent",
			ServerHelper: []string{"h2c-server", "-delay", "10ms", "-size", "1024"},
			Steps:        []Step{{Argv: h2load("-n", "20", "-c", "1", "-m", "10", "{URL}/")}},
			Expect:       Expect{Streams: Exactly(1), SYNs: Exactly(1), RSTs: Range{0, 1}, Requests: Exactly(0), Responses: Exactly(0)},
		},
		{
			Name: "h2c_upgrade",
			Shows: "curl --http2 to the Go h2c server: an HTTP/1.1 GET with Upgrade: h2c answered 101, then HTTP/2 " +
				"(stream 1 is the upgraded request, stream 3 the second URL on the same connection)",
			ServerHelper: []string{"h2c-server", "-size", "100"},
			Steps:        []Step{{Argv: curl("--http2", "-o", "/dev/null", "-o", "/dev/null", "{URL}/one", "{URL}/two")}},
			Expect:       Expect{Streams: Exactly(1), SYNs: Exactly(1), RSTs: Range{0, 1}, Requests: Exactly(1), Responses: Exactly(1)},
		},
		{
			Name: "h2c_hol",
			Shows: "20 ms RTT, 3 % of server-to-client frames dropped by the delay line (seeded); h2load prior " +
				"knowledge, 1 connection, 60 streams, 20 concurrent, 8 KiB responses: lost segments hold the frames " +
				"of other streams behind them (TCP head-of-line blocking)",
			ServerHelper: []string{"h2c-server", "-size", "8192"},
			Path:         &PathOptions{Delay: 10 * time.Millisecond, LossToClient: 0.03, Seed: 3},
			Steps:        []Step{{Argv: h2load("-n", "60", "-c", "1", "-m", "20", "{URL}/"), Timeout: 60 * time.Second}},
			Settle:       500 * time.Millisecond,
			Gzip:         true,
			// h2load resets the connection when it is done while responses
			// are still arriving.
			Expect: Expect{Streams: Exactly(1), SYNs: Exactly(1), RSTs: AtLeast(0), Requests: Exactly(0), Responses: Exactly(0)},
		},
		{
			Name: "tls_nginx",
			Shows: "curl over TLS to nginx (self-signed certificate from openssl) with SNI " + TLSServerName +
				" and ALPN h2,http/1.1; two runs: TLS 1.3 (ALPN choice encrypted) and TLS 1.2 (ALPN h2 visible)",
			ServerHelper: []string{"tls-nginx"},
			Steps: []Step{
				{Argv: curl("-k", "--http2", "--tlsv1.3", "--resolve", TLSServerName+":8080:{S}", "-o", "/dev/null", "https://"+TLSServerName+":8080/index.html")},
				{Argv: curl("-k", "--http2", "--tlsv1.2", "--tls-max", "1.2", "--resolve", TLSServerName+":8080:{S}", "-o", "/dev/null", "https://"+TLSServerName+":8080/index.html"), Pause: 100 * time.Millisecond},
			},
			Expect: Expect{Streams: Exactly(2), SYNs: Exactly(2), RSTs: Range{0, 2}, Requests: Exactly(0), Responses: Exactly(0)},
		},
	}
}

// helperWSEchoServer serves -conns WebSocket connections on /ws with
// golang.org/x/net/websocket, echoing every message, then exits.
func helperWSEchoServer(fs *flag.FlagSet, args []string, out io.Writer) error {
	listen := fs.String("listen", ServerAddr(ServerPort), "listen address")
	conns := fs.Int("conns", 1, "connections to serve, then exit")
	max := fs.Duration("max", 30*time.Second, "wall-clock limit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	limit(*max, "ws-echo-server")
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	done := make(chan struct{}, *conns)
	mux := http.NewServeMux()
	mux.Handle("/ws", websocket.Handler(func(ws *websocket.Conn) {
		defer func() { done <- struct{}{} }()
		// Echo until the client's close frame ends Read; the deferred
		// Close then answers with a close frame (1000) and closes TCP.
		_, _ = io.Copy(ws, ws)
		_ = ws.Close()
	}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	for i := 0; i < *conns; i++ {
		<-done
	}
	time.Sleep(200 * time.Millisecond)
	fmt.Fprintf(out, "ws-echo-server: served %d connection(s)\n", *conns)
	return nil
}

// wsFrame builds one masked client frame (RFC 6455 §5.2, §5.3).
func wsFrame(op byte, payload []byte) []byte {
	b := []byte{0x80 | op}
	switch n := len(payload); {
	case n < 126:
		b = append(b, 0x80|byte(n))
	case n <= 0xffff:
		b = append(b, 0x80|126, byte(n>>8), byte(n))
	default:
		b = append(b, 0x80|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	var key [4]byte
	_, _ = rand.Read(key[:])
	b = append(b, key[:]...)
	for i, c := range payload {
		b = append(b, c^key[i%4])
	}
	return b
}

// readWSFrame reads one unmasked server frame.
func readWSFrame(br *bufio.Reader) (op byte, payload []byte, err error) {
	var h [2]byte
	if _, err = io.ReadFull(br, h[:]); err != nil {
		return 0, nil, err
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var x [2]byte
		if _, err = io.ReadFull(br, x[:]); err != nil {
			return 0, nil, err
		}
		n = uint64(binary.BigEndian.Uint16(x[:]))
	case 127:
		var x [8]byte
		if _, err = io.ReadFull(br, x[:]); err != nil {
			return 0, nil, err
		}
		n = binary.BigEndian.Uint64(x[:])
	}
	if h[1]&0x80 != 0 || n > 1<<20 {
		return 0, nil, errors.New("unexpected masked or oversized server frame")
	}
	payload = make([]byte, n)
	_, err = io.ReadFull(br, payload)
	return h[0] & 0x0f, payload, err
}

// helperWSClient is a small hand-written WebSocket client: upgrade, -n
// text messages each read back, one ping, close 1000, then wait for the
// server's close frame and its FIN.
func helperWSClient(fs *flag.FlagSet, args []string, out io.Writer) error {
	addr := fs.String("addr", ServerAddr(ServerPort), "server address")
	n := fs.Int("n", 10, "messages to send")
	max := fs.Duration("max", 20*time.Second, "wall-clock limit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	limit(*max, "ws-client")
	c, err := net.DialTimeout("tcp", *addr, 2*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	var kb [16]byte
	_, _ = rand.Read(kb[:])
	key := base64.StdEncoding.EncodeToString(kb[:])
	req := "GET /ws HTTP/1.1\r\nHost: " + *addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\nOrigin: http://" + *addr + "\r\n\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		return err
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return fmt.Errorf("read 101: %w", err)
	}
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	if resp.StatusCode != 101 || resp.Header.Get("Sec-WebSocket-Accept") != base64.StdEncoding.EncodeToString(h[:]) {
		return fmt.Errorf("bad handshake: %s accept %q", resp.Status, resp.Header.Get("Sec-WebSocket-Accept"))
	}
	for i := 1; i <= *n; i++ {
		msg := fmt.Sprintf("message %d from connscope lab", i)
		if _, err := c.Write(wsFrame(0x1, []byte(msg))); err != nil {
			return err
		}
		op, p, err := readWSFrame(br)
		if err != nil || op != 0x1 || string(p) != msg {
			return fmt.Errorf("echo %d: op %d %q %v", i, op, p, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := c.Write(wsFrame(0x9, []byte("lab-ping"))); err != nil {
		return err
	}
	op, pong, err := readWSFrame(br)
	if err != nil || op != 0xA {
		return fmt.Errorf("pong: op %d %q %v", op, pong, err)
	}
	if _, err := c.Write(wsFrame(0x8, []byte{0x03, 0xe8})); err != nil {
		return err
	}
	op, p, err := readWSFrame(br)
	if err != nil || op != 0x8 {
		return fmt.Errorf("close: op %d %q %v", op, p, err)
	}
	code := 0
	if len(p) >= 2 {
		code = int(binary.BigEndian.Uint16(p))
	}
	// RFC 6455 §7.1.1: the server closes TCP first; wait for its FIN.
	_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
	_, eof := br.ReadByte()
	fmt.Fprintf(out, "ws-client: %d echoes, pong %q, server close %d, then %v\n", *n, pong, code, eof)
	return nil
}

// helperH2CServer serves HTTP/2 over cleartext TCP with
// golang.org/x/net/http2/h2c (prior knowledge and Upgrade: h2c) and
// HTTP/1.1, answering every request with -size bytes after -delay.
func helperH2CServer(fs *flag.FlagSet, args []string, out io.Writer) error {
	listen := fs.String("listen", ServerAddr(ServerPort), "listen address")
	delay := fs.Duration("delay", 0, "wait before each response")
	size := fs.Int("size", 100, "response body bytes")
	max := fs.Duration("max", 60*time.Second, "wall-clock limit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	limit(*max, "h2c-server")
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	body := docContent("/payload.bin", *size)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if *delay > 0 {
			time.Sleep(*delay)
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(body)
	})
	srv := &http.Server{Handler: h2c.NewHandler(h, &http2.Server{MaxConcurrentStreams: 100}), ReadHeaderTimeout: 10 * time.Second}
	return srv.Serve(ln)
}

// helperTLSNginx makes a self-signed certificate with openssl, writes an
// nginx configuration with TLS and HTTP/2 on the server port, and runs
// nginx in the foreground until stopped.
func helperTLSNginx(fs *flag.FlagSet, args []string, out io.Writer) error {
	max := fs.Duration("max", 60*time.Second, "wall-clock limit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	limit(*max, "tls-nginx")
	d, err := os.MkdirTemp("", "connscope-tls-nginx-")
	if err != nil {
		return fmt.Errorf("tls-nginx: %w", err)
	}
	defer os.RemoveAll(d)
	if err := WriteDocroot(d); err != nil {
		return err
	}
	crt, key := filepath.Join(d, "cert.pem"), filepath.Join(d, "key.pem")
	gen := exec.Command("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
		"-nodes", "-days", "2", "-subj", "/CN="+TLSServerName, "-addext", "subjectAltName=DNS:"+TLSServerName,
		"-keyout", key, "-out", crt)
	if b, err := gen.CombinedOutput(); err != nil {
		return fmt.Errorf("openssl: %w: %s", err, b)
	}
	conf := NginxConfig(d, ServerAddr(ServerPort)+" ssl http2", NginxOptions{})
	conf = strings.Replace(conf, "    root ", "    ssl_certificate "+crt+";\n    ssl_certificate_key "+key+
		";\n    ssl_protocols TLSv1.2 TLSv1.3;\n    root ", 1)
	return runNginx("tls-nginx", d, conf, out)
}
