package lab

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestRange(t *testing.T) {
	tests := []struct {
		name string
		r    Range
		n    int
		want bool
		str  string
	}{
		{"exact hit", Exactly(3), 3, true, "3"},
		{"exact miss", Exactly(3), 4, false, "3"},
		{"bounded low edge", Range{2, 5}, 2, true, "2..5"},
		{"bounded above", Range{2, 5}, 6, false, "2..5"},
		{"unbounded", AtLeast(1), 1 << 20, true, "1.."},
		{"unbounded below", AtLeast(1), 0, false, "1.."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.r.Contains(tc.n); got != tc.want {
				t.Errorf("%v.Contains(%d) = %v, want %v", tc.r, tc.n, got, tc.want)
			}
			if got := tc.r.String(); got != tc.str {
				t.Errorf("String() = %q, want %q", got, tc.str)
			}
		})
	}
}

func TestParseFields(t *testing.T) {
	// Columns: tcp.stream, syn, ack, reset, http.request.method, http.response.code
	// (occurrence=a, aggregator=",").
	tests := []struct {
		name string
		in   string
		want Counts
	}{
		{
			name: "handshake and pipelined pair in one frame",
			in: "0\t1\t0\t0\t\t\n" +
				"0\t1\t1\t0\t\t\n" +
				"0\t0\t1\t0\tGET,GET\t\n" +
				"0\t0\t1\t0\t\t200\n" +
				"0\t0\t1\t0\t\t200\n",
			want: Counts{Frames: 5, Streams: 1, SYNs: 1, Requests: 2, Responses: 2, ReqFrames: 1, RspFrames: 2},
		},
		{
			name: "refused with True/False booleans",
			in:   "0\tTrue\tFalse\tFalse\t\t\n1\tFalse\tTrue\tTrue\t\t\n",
			want: Counts{Frames: 2, Streams: 2, SYNs: 1, RSTs: 1},
		},
		{
			name: "empty capture",
			in:   "",
			want: Counts{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseFields(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
	t.Run("short line is an error", func(t *testing.T) {
		if _, err := parseFields("0\t1\n"); err == nil {
			t.Error("want error for a 2-field line")
		}
	})
}

func TestParseConv(t *testing.T) {
	out := `================================================================================
TCP Conversations
Filter:<No Filter>
                                                           |       <-      | |       ->      | |     Total     |    Relative    |   Duration   |
                                                           | Frames  Bytes | | Frames  Bytes | | Frames  Bytes |      Start     |              |
192.0.2.1:49228            <-> 192.0.2.2:8080                  16 18 kB          13 1,147 bytes      29 19 kB      0.000000000         0.0034
192.0.2.1:49230            <-> 192.0.2.2:8080                  16 18 kB          13 1,147 bytes      29 19 kB      0.100000000         0.0034
================================================================================
`
	if got := parseConv(out); got != 2 {
		t.Errorf("parseConv = %d, want 2", got)
	}
}

func TestExpectCheck(t *testing.T) {
	x := Expect{Streams: Exactly(1), SYNs: Exactly(1), RSTs: Exactly(0), Requests: Range{1, 2}, Responses: AtLeast(1)}
	tests := []struct {
		name    string
		c       Counts
		wantErr string
	}{
		{"match", Counts{Streams: 1, SYNs: 1, Requests: 2, Responses: 9}, ""},
		{"two mismatches listed", Counts{Streams: 2, SYNs: 1, RSTs: 1, Requests: 1, Responses: 1}, "streams=2 want 1, rst=1 want 0"},
		{"missing responses", Counts{Streams: 1, SYNs: 1, Requests: 1}, "responses=0 want 1.."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := x.Check(tc.c)
			if tc.wantErr == "" {
				if err != nil {
					t.Errorf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error = %v, want it to contain %q", err, tc.wantErr)
			}
		})
	}
}

var snake = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

func TestScenarioTable(t *testing.T) {
	placeholder := regexp.MustCompile(`\{[A-Z]+\}`)
	known := map[string]bool{"{SELF}": true, "{URL}": true, "{S}": true, "{DIR}": true}
	seen := map[string]bool{}
	for _, s := range Scenarios() {
		t.Run(s.Name, func(t *testing.T) {
			if !snake.MatchString(s.Name) {
				t.Errorf("name %q is not snake_case", s.Name)
			}
			if seen[s.Name] {
				t.Errorf("duplicate scenario %q", s.Name)
			}
			seen[s.Name] = true
			if s.Shows == "" || len(s.Steps) == 0 {
				t.Error("scenario needs Shows and at least one Step")
			}
			if s.Nginx != nil && len(s.ServerHelper) > 0 {
				t.Error("scenario starts both nginx and a server helper on the same port")
			}
			if s.Expect.Streams.Min < 1 || s.Expect.SYNs.Min < 1 {
				t.Errorf("expectations too weak: %+v", s.Expect)
			}
			if len(s.ServerHelper) > 0 {
				if _, ok := helpers[s.ServerHelper[0]]; !ok {
					t.Errorf("unknown server helper %q", s.ServerHelper[0])
				}
			}
			for _, st := range s.Steps {
				for i, a := range st.Argv {
					for _, p := range placeholder.FindAllString(a, -1) {
						if !known[p] {
							t.Errorf("unknown placeholder %s in %q", p, a)
						}
					}
					if a == "{SELF}" && i+2 < len(st.Argv) && st.Argv[i+1] == "helper" {
						if _, ok := helpers[st.Argv[i+2]]; !ok {
							t.Errorf("unknown client helper %q", st.Argv[i+2])
						}
					}
				}
			}
			for _, kv := range s.ClientSysctls {
				if !strings.Contains(kv, "=") {
					t.Errorf("sysctl %q is not key=value", kv)
				}
			}
		})
	}
	if _, ok := Lookup("curl_reuse"); !ok {
		t.Error("Lookup(curl_reuse) failed")
	}
	if _, ok := Lookup("no_such_scenario"); ok {
		t.Error("Lookup of an unknown name succeeded")
	}
}

func TestExpand(t *testing.T) {
	got := Expand("{SELF} {URL}/x {S}:9 {DIR}/f", "/bin/lab", "/tmp/d")
	want := "/bin/lab http://192.0.2.2:8080/x 192.0.2.2:9 /tmp/d/f"
	if got != want {
		t.Errorf("Expand = %q, want %q", got, want)
	}
}

func TestShellJoin(t *testing.T) {
	tests := []struct {
		name string
		argv []string
		want string
	}{
		{"plain", []string{"curl", "-s", "http://x/"}, "curl -s http://x/"},
		{"space quoted", []string{"wrk", "-H", "Connection: close"}, "wrk -H 'Connection: close'"},
		{"embedded quote", []string{"sh", "-c", "printf 'a'"}, `sh -c 'printf '\''a'\'''`},
		{"empty arg", []string{"curl", ""}, "curl ''"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := shellJoin(tc.argv); got != tc.want {
				t.Errorf("shellJoin = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestNginxConfig(t *testing.T) {
	tests := []struct {
		name string
		o    NginxOptions
		want []string
	}{
		{"defaults", NginxOptions{}, []string{"keepalive_timeout 5s;", "keepalive_requests 100;"}},
		{"keepalive 1s", NginxOptions{KeepaliveTimeout: "1s"}, []string{"keepalive_timeout 1s;"}},
		{"5 requests", NginxOptions{KeepaliveRequests: 5}, []string{"keepalive_requests 5;"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			conf := NginxConfig("/tmp/x", "192.0.2.2:8080", tc.o)
			common := []string{"daemon off;", "master_process off;", "listen 192.0.2.2:8080;",
				"root /tmp/x/www;", "pid /tmp/x/nginx.pid;", "client_body_temp_path /tmp/x/tmp/client_body;"}
			for _, w := range append(common, tc.want...) {
				if !strings.Contains(conf, w) {
					t.Errorf("config lacks %q:\n%s", w, conf)
				}
			}
			if strings.Count(conf, "{") != strings.Count(conf, "}") {
				t.Errorf("unbalanced braces:\n%s", conf)
			}
		})
	}
}

func TestWriteDocroot(t *testing.T) {
	dir := t.TempDir()
	if err := WriteDocroot(dir); err != nil {
		t.Fatal(err)
	}
	for _, f := range DocFiles {
		t.Run(f.Path, func(t *testing.T) {
			st, err := os.Stat(filepath.Join(dir, "www", f.Path))
			if err != nil {
				t.Fatal(err)
			}
			if st.Size() != int64(f.Size) {
				t.Errorf("size %d, want %d", st.Size(), f.Size)
			}
		})
	}
}

func TestWriteCapture(t *testing.T) {
	// A pcap global header plus one 4-byte record is enough for the writer,
	// which only copies bytes.
	raw := filepath.Join(t.TempDir(), "raw.pcap")
	data := append([]byte{0xd4, 0xc3, 0xb2, 0xa1}, make([]byte, 60)...)
	if err := os.WriteFile(raw, data, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		gzip     bool
		want     string
		stale    string
		compress bool
	}{
		{"plain removes stale gz", false, "s.pcap", "s.pcap.gz", false},
		{"gzip removes stale plain", true, "s.pcap.gz", "s.pcap", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			if err := os.WriteFile(filepath.Join(out, tc.stale), []byte("old"), 0o644); err != nil {
				t.Fatal(err)
			}
			res, err := writeCapture(raw, out, "s", tc.gzip, Result{})
			if err != nil {
				t.Fatal(err)
			}
			if filepath.Base(res.Path) != tc.want || res.RawSize != int64(len(data)) {
				t.Errorf("got %s raw %d, want %s raw %d", res.Path, res.RawSize, tc.want, len(data))
			}
			if _, err := os.Stat(filepath.Join(out, tc.stale)); !os.IsNotExist(err) {
				t.Errorf("stale %s still present (err=%v)", tc.stale, err)
			}
			f, err := os.Open(res.Path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var r io.Reader = f
			if tc.compress {
				zr, err := gzip.NewReader(f)
				if err != nil {
					t.Fatal(err)
				}
				r = zr
			}
			got, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(data) {
				t.Error("content differs from the raw capture")
			}
			if p, err := CaptureFile(out, "s"); err != nil || p != res.Path {
				t.Errorf("CaptureFile = %q, %v; want %q", p, err, res.Path)
			}
		})
	}
	t.Run("empty capture rejected", func(t *testing.T) {
		empty := filepath.Join(t.TempDir(), "e.pcap")
		if err := os.WriteFile(empty, data[:24], 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := writeCapture(empty, t.TempDir(), "e", false, Result{}); err == nil {
			t.Error("want an error for a header-only capture")
		}
	})
}

// TestCannedFramings checks the canned server's responses with net/http's
// own parser: RFC 9112 §6.3 (message body length) and §7.1 (chunked).
func TestCannedFramings(t *testing.T) {
	tests := []struct {
		name     string
		mode     string
		wantBody string
		wantErr  error
		trailer  string
	}{
		{"chunked with trailer", "chunked", "hello" + "abcdefghijklmnopqrstuvwxyz" + strings.Repeat("0123456789abcdef", 4), nil, "lab"},
		{"close delimited", "close_delimited", strings.Repeat("close-delimited body line\n", 8) + "last line before FIN\n", nil, ""},
		{"truncated content-length", "truncated", "hello", io.ErrUnexpectedEOF, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cli, srv := net.Pipe()
			defer cli.Close()
			go serveCanned(srv, tc.mode, io.Discard, 1)
			_ = cli.SetDeadline(time.Now().Add(10 * time.Second))
			req, _ := http.NewRequest("GET", "http://lab/x", nil)
			go func() { _ = req.Write(cli) }()
			resp, err := http.ReadResponse(bufio.NewReader(cli), req)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("body error = %v, want %v", err, tc.wantErr)
			}
			if string(body) != tc.wantBody {
				t.Errorf("body = %q, want %q", body, tc.wantBody)
			}
			if got := resp.Trailer.Get("X-Checksum"); got != tc.trailer {
				t.Errorf("trailer X-Checksum = %q, want %q", got, tc.trailer)
			}
		})
	}
}

func TestRunHelperUnknown(t *testing.T) {
	if err := RunHelper("no-such-helper", nil, io.Discard); err == nil {
		t.Error("want error for an unknown helper")
	}
	if len(HelperNames()) == 0 {
		t.Error("no helpers registered")
	}
}

// TestRSTServer checks on loopback that closing with unread data makes the
// client see a reset (RFC 2525 §2.17).
func TestRSTServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Skipf("no loopback listener: %v", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	done := make(chan error, 1)
	go func() {
		done <- RunHelper("rst-server", []string{"-listen", addr, "-read", "10", "-conns", "1", "-wait", "0s", "-max", "0"}, io.Discard)
	}()
	var c net.Conn
	for i := 0; i < 100; i++ {
		if c, err = net.Dial("tcp", addr); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	// 64 KiB of upload; the server reads 10 bytes and closes.
	_, werr := c.Write(make([]byte, 64<<10))
	if err := <-done; err != nil {
		t.Fatalf("helper: %v", err)
	}
	time.Sleep(50 * time.Millisecond)
	// The reset is reported once, to whichever call comes first.
	_, w2err := c.Write([]byte("more"))
	_, rerr := io.ReadAll(c)
	reset := false
	for _, err := range []error{werr, w2err, rerr} {
		if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
			reset = true
		}
	}
	if !reset {
		t.Errorf("no reset seen: write errors %v, %v; read error %v", werr, w2err, rerr)
	}
}

func repoPcaps(t *testing.T) string {
	t.Helper()
	return filepath.Join("..", "..", "testdata", "pcaps")
}

// TestCommittedCaptures re-counts the committed captures with tshark and
// checks them against their scenario's expectations. tshark needs seconds per
// file, so the test runs only with CONNSCOPE_LAB_VERIFY set (scripts/lab.sh
// -verify does the same check).
func TestCommittedCaptures(t *testing.T) {
	if os.Getenv("CONNSCOPE_LAB_VERIFY") == "" {
		t.Skip("set CONNSCOPE_LAB_VERIFY=1 to re-count the committed captures with tshark")
	}
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("tshark not installed")
	}
	dir := repoPcaps(t)
	for _, s := range Scenarios() {
		for _, name := range s.CaptureNames() {
			t.Run(name, func(t *testing.T) {
				path, err := CaptureFile(dir, name)
				if err != nil {
					t.Fatalf("missing capture: %v", err)
				}
				c, err := Count(context.Background(), path)
				if err != nil {
					t.Fatal(err)
				}
				if err := s.Expect.Check(c); err != nil {
					t.Errorf("%s: %s: %v", filepath.Base(path), c, err)
				}
			})
		}
	}
}

// TestRunInNamespaces runs two quick scenarios end to end. It needs root,
// `ip netns`, tcpdump, nginx and curl, and skips without them.
func TestRunInNamespaces(t *testing.T) {
	if testing.Short() {
		t.Skip("creates network namespaces")
	}
	if err := Check(); err != nil {
		t.Skipf("lab prerequisites missing: %v", err)
	}
	for _, tool := range []string{"nginx", "curl", "nc", "ss"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	out := t.TempDir()
	for _, name := range []string{"refused", "pipelined"} {
		t.Run(name, func(t *testing.T) {
			s, _ := Lookup(name)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			prefix := fmt.Sprintf("lt%d", os.Getpid()%100000)
			results, err := Run(ctx, s, out, prefix, os.Args[0], testLog{t})
			if err != nil {
				t.Fatal(err)
			}
			if len(results) != 1 {
				t.Fatalf("got %d captures, want 1", len(results))
			}
			res := results[0]
			if res.Size <= 24 {
				t.Fatalf("capture too small: %d bytes", res.Size)
			}
			if nsOut, _ := exec.Command("ip", "netns", "list").Output(); strings.Contains(string(nsOut), prefix+"c") {
				t.Errorf("namespace %sc left behind", prefix)
			}
			c, err := Count(ctx, res.Path)
			if errors.Is(err, ErrNoTshark) {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Expect.Check(c); err != nil {
				t.Errorf("%s: %v", c, err)
			}
		})
	}
}

// testLog forwards lab progress output to t.Log.
type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Helper()
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
