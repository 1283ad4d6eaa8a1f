package httpdecode_test

import (
	"testing"

	"connscope/httpdecode"
)

func benchParser(b *testing.B, request bool, msg string) {
	h := &nopHandler{}
	p := httpdecode.NewParser(request, h, httpdecode.Limits{})
	m := []byte(msg)
	b.SetBytes(int64(len(m)))
	b.ReportAllocs()
	for b.Loop() {
		p.Feed(m, 1)
	}
	if h.msgs == 0 {
		b.Fatal("no message parsed")
	}
}

// BenchmarkParserRequest parses a browser-like GET (one message per Feed).
func BenchmarkParserRequest(b *testing.B) { benchParser(b, true, browserRequest) }

// BenchmarkParserResponse parses a browser-like response head with a
// 64-byte body.
func BenchmarkParserResponse(b *testing.B) { benchParser(b, false, browserResponse) }

// discard is a Handler that drops everything.
type discard struct{ n int }

func (d *discard) Exchange(e *httpdecode.Exchange)       { d.n++ }
func (d *discard) Anomaly(string)                        {}
func (d *discard) Upgraded(string, *httpdecode.Exchange) {}
func (d *discard) Tunnel(httpdecode.Dir, int64, []byte)  {}

// BenchmarkConnExchange runs one request/response exchange through a Conn,
// including the owned Message copies.
func BenchmarkConnExchange(b *testing.B) {
	h := &discard{}
	c := httpdecode.NewConn(h, httpdecode.Limits{})
	q, r := []byte(browserRequest), []byte(browserResponse)
	b.SetBytes(int64(len(q) + len(r)))
	b.ReportAllocs()
	var t int64
	for b.Loop() {
		t++
		c.Feed(httpdecode.ClientToServer, t, q)
		c.Feed(httpdecode.ServerToClient, t, r)
	}
	if h.n == 0 {
		b.Fatal("no exchange")
	}
}
