package cli

import (
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"connscope/internal/pcapgen"
)

// terminalUnsafe returns a description of the first character in out that
// a terminal could act on: a C0 control other than \n and \t, DEL, a C1
// control (as a raw byte or as U+0080–U+009F), a bidirectional formatting
// character, or a byte that is not UTF-8.
func terminalUnsafe(out string) string {
	for i := 0; i < len(out); {
		r, n := utf8.DecodeRuneInString(out[i:])
		bad := ""
		switch {
		case r == utf8.RuneError && n == 1:
			bad = "byte that is not UTF-8"
		case r < 0x20 && r != '\n' && r != '\t':
			bad = "C0 control"
		case r == 0x7f:
			bad = "DEL"
		case r >= 0x80 && r <= 0x9f:
			bad = "C1 control"
		case r == 0x061c, r == 0x200e, r == 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x2028, r == 0x2029:
			bad = "bidi or separator character"
		}
		if bad != "" {
			lo, hi := max(0, i-30), min(len(out), i+30)
			return bad + " near " + strings.ReplaceAll(out[lo:hi], "\x1b", "<ESC>")
		}
		i += n
	}
	return ""
}

// hostileHTTPCapture writes a capture whose HTTP request target, Host,
// connection-management header values, response reason and other header
// values carry terminal escape sequences: cursor movement, screen clear,
// an OSC title change, CSI as ESC [ and as the C1 byte 0x9b (raw and
// UTF-8 encoded), and bidi overrides.
func hostileHTTPCapture(t *testing.T) string {
	t.Helper()
	w := pcapgen.New(pcapgen.Options{Format: pcapgen.PcapNG, Link: pcapgen.Ethernet})
	c := pcapgen.NewConn(w, netip.MustParseAddrPort("192.0.2.1:40000"), netip.MustParseAddrPort("192.0.2.2:80"), time.Unix(1700000000, 0))
	c.Handshake()
	// The request target and the reason phrase may carry obs-text
	// (bytes 0x80-0xff, RFC 9112 §4, RFC 9110 §5.5) but no C0 controls;
	// field values are where ESC gets through.
	c.ClientSend([]byte("GET /a\x9b6n?u=\xe2\x80\xaeevil\xc2\x9b2J HTTP/1.1\r\n" +
		"Host: evil\x1b[31m.example\x1b]0;pwned\x07\xe2\x81\xa6\r\n" +
		"User-Agent: ua\x1b[1A\x1b[2K\r\n" +
		"Connection: keep-alive, \x1b[5n\x7f\r\n" +
		"Keep-Alive: timeout=5\xc2\x9b2J\x1b[2J\r\n" +
		"Via: 1.1 proxy\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\\r\n\r\n"))
	c.ServerSend([]byte("HTTP/1.1 200 OK\x9b6n\xe2\x80\xae\xc2\x9b\r\n" +
		"Connection: close\x1b[K, \x1b]0;pwned\x07\r\n" +
		"Content-Type: text/html\x1b[8m\r\n" +
		"Content-Length: 2\r\n\r\nhi"))
	c.Close()
	// A second connection: a request whose target carries ESC (rejected
	// by the parser, so only its anomaly is reported) and an HTTP/1.0
	// exchange with escapes in its headers.
	c2 := pcapgen.NewConn(w, netip.MustParseAddrPort("192.0.2.1:40001"), netip.MustParseAddrPort("192.0.2.2:80"), c.Now)
	c2.Handshake()
	c2.ClientSend([]byte("GET /\x1bc HTTP/1.0\r\n\r\nGET /b HTTP/1.0\r\nHost: \x1b[?1049h\r\nConnection: \x1b[0m\r\n\r\n"))
	c2.ServerSend([]byte("HTTP/1.0 404 \x9b6n\r\nConnection: \x1b[0m\r\n\r\n"))
	c2.ServerFIN()
	c2.ClientRST()
	path := filepath.Join(t.TempDir(), "escapes.pcapng")
	if err := w.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestTextOutputIsTerminalSafe runs analyze --format text end to end on a
// capture full of escape sequences (and demo, and an error naming a file
// with escapes in its name) and checks that nothing a terminal could act
// on reaches stdout or stderr, while the escaped text is still visible.
func TestTextOutputIsTerminalSafe(t *testing.T) {
	path := hostileHTTPCapture(t)
	cases := []struct {
		name    string
		args    []string
		code    int
		visible []string // escaped forms that must appear in the output
	}{
		{"analyze_text", []string{"analyze", "--format", "text", "--max-rows", "100", path}, ExitOK, []string{`\x1b[2J`, `\u009b`, `\u202e`, `\x9b`}},
		{"analyze_text_default", []string{"analyze", path}, ExitOK, []string{`\x1b`}},
		{"demo_text", []string{"demo"}, ExitOK, nil},
		{"error_naming_file", []string{"analyze", filepath.Join(t.TempDir(), "x\x1b]0;pwned\x07\x9b.pcap")}, ExitError, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := run(t, "", c.args...)
			if code != c.code {
				t.Fatalf("exit code %d, want %d; stderr %q", code, c.code, stderr)
			}
			for name, out := range map[string]string{"stdout": stdout, "stderr": stderr} {
				if bad := terminalUnsafe(out); bad != "" {
					t.Errorf("%s carries a %s", name, bad)
				}
			}
			for _, v := range c.visible {
				if !strings.Contains(stdout, v) {
					t.Errorf("stdout does not show the escaped %q", v)
				}
			}
		})
	}
}
