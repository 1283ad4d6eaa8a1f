package httpdecode_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"connscope/httpdecode"
)

// headRecorder is a ParserHandler that copies what it sees.
type headRecorder struct {
	fields  []string
	heads   []string
	dones   []httpdecode.Done
	anoms   []string
	body    int
	framing httpdecode.Framing
}

func (h *headRecorder) Head(hd *httpdecode.Head) httpdecode.Framing {
	h.heads = append(h.heads, fmt.Sprintf("%s %s %s %d %q cl=%d %s", hd.Method, hd.Target, hd.Version, hd.Status, hd.Reason, hd.ContentLength, hd.Framing))
	for _, f := range hd.Fields {
		h.fields = append(h.fields, string(f.Name)+"="+string(f.Value))
	}
	return hd.Framing
}
func (h *headRecorder) Body(p []byte, t int64)   { h.body += len(p) }
func (h *headRecorder) Done(d *httpdecode.Done)  { h.dones = append(h.dones, *d) }
func (h *headRecorder) Tunnel(p []byte, t int64) {}
func (h *headRecorder) Anomaly(tok string)       { h.anoms = append(h.anoms, tok) }

func TestParserFields(t *testing.T) {
	cases := []struct {
		name    string
		request bool
		in      string
		heads   []string
		fields  []string
	}{
		{
			name: "request_fields_trimmed", request: true,
			in:     "GET /x?y=1 HTTP/1.1\r\nHost:  a.example \r\nAccept:\t*/*\r\nX-Empty:\r\n\r\n",
			heads:  []string{`GET /x?y=1 HTTP/1.1 0 "" cl=-1 none`},
			fields: []string{"Host=a.example", "Accept=*/*", "X-Empty="},
		},
		{
			// RFC 9112 §5.2: each obs-fold becomes one SP.
			name: "obs_fold_joined", request: true,
			in:     "GET / HTTP/1.1\r\nX-A: one\r\n two\r\n\tthree\r\nX-B: b\r\n\r\n",
			heads:  []string{`GET / HTTP/1.1 0 "" cl=-1 none`},
			fields: []string{"X-A=one two three", "X-B=b"},
		},
		{
			name:   "status_line_without_reason",
			in:     "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\nHTTP/1.0 404 Not  Found\r\n\r\n",
			heads:  []string{`  HTTP/1.1 200 "" cl=0 content_length`, `  HTTP/1.0 404 "Not  Found" cl=-1 close_delimited`},
			fields: []string{"Content-Length=0"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := &headRecorder{}
			p := httpdecode.NewParser(c.request, h, httpdecode.Limits{})
			p.Feed([]byte(c.in), 1)
			if !reflect.DeepEqual(h.heads, c.heads) {
				t.Errorf("heads %q, want %q", h.heads, c.heads)
			}
			if !reflect.DeepEqual(h.fields, c.fields) {
				t.Errorf("fields %q, want %q", h.fields, c.fields)
			}
		})
	}
}

// TestParserEndAndGap covers End and Gap on the low-level parser directly.
func TestParserEndAndGap(t *testing.T) {
	h := &headRecorder{}
	p := httpdecode.NewParser(false, h, httpdecode.Limits{})
	p.Feed([]byte("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123"), 1)
	p.Gap(3, 2)
	p.End(3)
	p.Feed([]byte("ignored after End"), 4)
	if len(h.dones) != 1 {
		t.Fatalf("dones %d", len(h.dones))
	}
	d := h.dones[0]
	if !d.Truncated || d.Complete || d.BodyBytes != 4 || d.GapBytes != 3 || d.End != 1 {
		t.Errorf("done %+v", d)
	}
	if !reflect.DeepEqual(h.anoms, []string{httpdecode.AnomalyTruncatedBody}) {
		t.Errorf("anomalies %q", h.anoms)
	}
	if st := p.Stats(); st.Bytes != 43 || st.GapBytes != 3 || st.Messages != 1 {
		t.Errorf("stats %+v", st)
	}
}

// TestParserMemoryBounded feeds an endless head in small pieces: the carry
// buffer must stay within MaxHeaderBytes+2 and the parser must resync.
func TestParserMemoryBounded(t *testing.T) {
	lim := httpdecode.Limits{MaxHeaderBytes: 1024, MaxLineBytes: 256}
	h := &headRecorder{}
	p := httpdecode.NewParser(true, h, lim)
	p.Feed([]byte("GET / HTTP/1.1\r\n"), 1)
	line := []byte("X-Header: " + strings.Repeat("v", 50) + "\r\n")
	for i := 0; i < 1000; i++ {
		p.Feed(line, 2)
		if b := p.Buffered(); b > lim.MaxHeaderBytes+2 {
			t.Fatalf("carry buffer %d bytes after %d lines", b, i)
		}
	}
	if st := p.Stats(); st.Resyncs != 1 || len(h.heads) != 0 {
		t.Errorf("stats %+v heads %d", st, len(h.heads))
	}
	want := []string{httpdecode.AnomalyHeaderTooLarge, httpdecode.AnomalyResync}
	if !reflect.DeepEqual(h.anoms, want) {
		t.Errorf("anomalies %q, want %q", h.anoms, want)
	}
}

// nopHandler is the cheapest ParserHandler, for allocation gates and
// benchmarks.
type nopHandler struct{ msgs int }

func (n *nopHandler) Head(h *httpdecode.Head) httpdecode.Framing { return h.Framing }
func (n *nopHandler) Body(p []byte, t int64)                     {}
func (n *nopHandler) Done(d *httpdecode.Done)                    { n.msgs++ }
func (n *nopHandler) Tunnel(p []byte, t int64)                   {}
func (n *nopHandler) Anomaly(tok string)                         {}

const browserRequest = "GET /assets/js/app.3f9c2b.js?v=20240101 HTTP/1.1\r\n" +
	"Host: www.example.com\r\n" +
	"Connection: keep-alive\r\n" +
	"sec-ch-ua: \"Chromium\";v=\"124\", \"Google Chrome\";v=\"124\", \"Not-A.Brand\";v=\"99\"\r\n" +
	"sec-ch-ua-mobile: ?0\r\n" +
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36\r\n" +
	"sec-ch-ua-platform: \"Linux\"\r\n" +
	"Accept: */*\r\n" +
	"Sec-Fetch-Site: same-origin\r\n" +
	"Sec-Fetch-Mode: no-cors\r\n" +
	"Sec-Fetch-Dest: script\r\n" +
	"Referer: https://www.example.com/\r\n" +
	"Accept-Encoding: gzip, deflate, br, zstd\r\n" +
	"Accept-Language: en-GB,en-US;q=0.9,en;q=0.8\r\n" +
	"Cookie: session=4b1d3c0ffee5ca1ab1e; theme=dark; _ga=GA1.2.123456789.1700000000\r\n" +
	"If-None-Match: \"5d8c72a5edda8\"\r\n" +
	"\r\n"

const browserResponse = "HTTP/1.1 200 OK\r\n" +
	"Server: nginx/1.24.0\r\n" +
	"Date: Mon, 01 Jan 2024 12:00:00 GMT\r\n" +
	"Content-Type: application/javascript; charset=utf-8\r\n" +
	"Content-Length: 63\r\n" +
	"Last-Modified: Sun, 31 Dec 2023 10:00:00 GMT\r\n" +
	"Connection: keep-alive\r\n" +
	"ETag: \"5d8c72a5edda8\"\r\n" +
	"Cache-Control: public, max-age=31536000, immutable\r\n" +
	"Vary: Accept-Encoding\r\n" +
	"Strict-Transport-Security: max-age=63072000; includeSubDomains; preload\r\n" +
	"X-Content-Type-Options: nosniff\r\n" +
	"Accept-Ranges: bytes\r\n" +
	"\r\n" +
	"console.log('0123456789abcdef0123456789abcdef0123456789abcd');\n"

// TestParserZeroAllocs is the zero-allocation gate of the in-order path:
// whole messages, and messages whose head crosses Feed calls (carry path).
func TestParserZeroAllocs(t *testing.T) {
	cases := []struct {
		name    string
		request bool
		msg     string
		cut     int
	}{
		{"request_whole", true, browserRequest, 0},
		{"request_split_head", true, browserRequest, 200},
		{"response_whole", false, browserResponse, 0},
		{"response_split_head", false, browserResponse, 100},
		{"chunked_response", false, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;x=y\r\nabcd\r\n0\r\nT: 1\r\n\r\n", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := &nopHandler{}
			p := httpdecode.NewParser(c.request, h, httpdecode.Limits{})
			msg := []byte(c.msg)
			feed := func() {
				if c.cut > 0 {
					p.Feed(msg[:c.cut], 1)
					p.Feed(msg[c.cut:], 1)
				} else {
					p.Feed(msg, 1)
				}
			}
			feed() // warm the reusable buffers
			allocs := testing.AllocsPerRun(200, feed)
			if allocs != 0 {
				t.Errorf("%.1f allocations per message, want 0", allocs)
			}
			// AllocsPerRun runs feed once more than asked.
			if h.msgs != 202 {
				t.Errorf("%d messages parsed, want 202", h.msgs)
			}
		})
	}
}
