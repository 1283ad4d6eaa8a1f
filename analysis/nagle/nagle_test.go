package nagle_test

import (
	"testing"
	"time"

	"connscope/analysis/internal/eventgen"
	"connscope/analysis/nagle"
	"connscope/report"
)

const (
	ms = time.Millisecond
	us = time.Microsecond
	cl = "192.0.2.1:40000"
	sv = "192.0.2.2:80"
)

var (
	c2s = eventgen.C2S
	s2c = eventgen.S2C
)

// request scripts one write-write-read request seen at the capture point:
// headers at t; the server's ACK of them rS+ackDelay later; the body
// rC+hold after that ACK (or bodyAfter after the headers when bodyAfter >
// 0, as a TCP_NODELAY sender does); the server's response rS after the
// body; the client's ACK of it rC later. It returns the time after the
// exchange.
type req struct {
	hdr, body         int
	ackDelay, hold    time.Duration
	bodyAfter         time.Duration // > 0: body sent this long after headers, before the ACK
	noBody            bool
	rC, rS            time.Duration
	respLen           int
	serverDataFirst   bool // server sends data instead of a pure ACK
	bodyNotContiguous bool
}

func (r req) run(c *eventgen.Conn, t time.Duration) time.Duration {
	c.Send(c2s, t, r.hdr)
	if r.serverDataFirst {
		c.Send(s2c, t+r.rS+r.ackDelay, 100)
		c.Ack(c2s, t+r.rS+r.ackDelay+r.rC)
		return t + time.Second
	}
	switch {
	case r.noBody:
		c.Ack(s2c, t+r.rS+r.ackDelay)
		return t + time.Second
	case r.bodyAfter > 0:
		c.Send(c2s, t+r.bodyAfter, r.body)
		c.Ack(s2c, t+r.rS+r.ackDelay)
		t += r.rS + r.ackDelay
	default:
		c.Ack(s2c, t+r.rS+r.ackDelay)
		t += r.rS + r.ackDelay + r.rC + r.hold
		if r.bodyNotContiguous {
			c.Skip(c2s, 10)
		}
		c.Send(c2s, t, r.body)
	}
	c.Send(s2c, t+r.rS, r.respLen)
	c.Ack(c2s, t+r.rS+r.rC)
	return t + 100*ms
}

func TestNagle(t *testing.T) {
	nagleOn := req{hdr: 50, body: 100, ackDelay: 41 * ms, hold: 20 * us, respLen: 200}
	tests := []struct {
		name           string
		rC, rS         time.Duration
		mss            int
		first, rest    req
		n              int
		wantCount      int
		wantSeverity   string
		wantClass      string
		wantConfidence string
	}{
		{
			name: "client vantage, first request in quick-ACK mode, then stalls",
			rC:   20 * us, rS: 100 * us, mss: 1460,
			first: req{hdr: 50, body: 100, ackDelay: 50 * us, hold: 20 * us, respLen: 200},
			rest:  nagleOn, n: 6,
			wantCount: 5, wantSeverity: report.SeverityWarning, wantClass: "linux_like", wantConfidence: "high",
		},
		{
			name: "middle vantage: halves subtracted",
			rC:   10 * ms, rS: 20 * ms, mss: 1460,
			first: nagleOn, rest: nagleOn, n: 3,
			wantCount: 3, wantSeverity: report.SeverityWarning, wantClass: "linux_like", wantConfidence: "high",
		},
		{
			name: "server vantage, Windows-like 200 ms delay",
			rC:   30 * ms, rS: 30 * us, mss: 1460,
			first: req{hdr: 50, body: 100, ackDelay: 200 * ms, hold: 30 * us, respLen: 200},
			rest:  req{hdr: 50, body: 100, ackDelay: 200 * ms, hold: 30 * us, respLen: 200}, n: 2,
			wantCount: 2, wantSeverity: report.SeverityWarning, wantClass: "windows_like", wantConfidence: "high",
		},
		{
			name: "a single stall is info",
			rC:   20 * us, rS: 100 * us, mss: 1460,
			first: nagleOn, n: 1,
			wantCount: 1, wantSeverity: report.SeverityInfo, wantClass: "linux_like", wantConfidence: "medium",
		},
		{
			name: "loopback MSS 65483: a 2000-byte segment is small",
			rC:   10 * us, rS: 10 * us, mss: 65483,
			first: req{hdr: 2000, body: 100, ackDelay: 40 * ms, hold: 10 * us, respLen: 200},
			rest:  req{hdr: 2000, body: 100, ackDelay: 40 * ms, hold: 10 * us, respLen: 200}, n: 2,
			wantCount: 2, wantSeverity: report.SeverityWarning, wantClass: "linux_like", wantConfidence: "high",
		},
		{
			name: "TCP_NODELAY: body sent before the delayed ACK",
			rC:   20 * us, rS: 100 * us, mss: 1460,
			first: req{hdr: 50, body: 100, ackDelay: 40 * ms, bodyAfter: 30 * us, respLen: 200},
			rest:  req{hdr: 50, body: 100, ackDelay: 40 * ms, bodyAfter: 30 * us, respLen: 200}, n: 6,
		},
		{
			name: "delayed ACK alone, nothing held",
			rC:   20 * us, rS: 100 * us, mss: 1460,
			first: req{hdr: 50, ackDelay: 40 * ms, noBody: true},
			rest:  req{hdr: 50, ackDelay: 40 * ms, noBody: true}, n: 5,
		},
		{
			name: "prompt ACK in the middle: network delay is not an ACK delay",
			rC:   10 * ms, rS: 60 * ms, mss: 1460,
			first: req{hdr: 50, body: 100, ackDelay: 1 * ms, hold: 20 * us, respLen: 200},
			rest:  req{hdr: 50, body: 100, ackDelay: 1 * ms, hold: 20 * us, respLen: 200}, n: 4,
		},
		{
			name: "body released late is application think time",
			rC:   20 * us, rS: 100 * us, mss: 1460,
			first: req{hdr: 50, body: 100, ackDelay: 40 * ms, hold: 15 * ms, respLen: 200},
			rest:  req{hdr: 50, body: 100, ackDelay: 40 * ms, hold: 15 * ms, respLen: 200}, n: 4,
		},
		{
			name: "ACK riding on server data",
			rC:   20 * us, rS: 100 * us, mss: 1460,
			first: req{hdr: 50, ackDelay: 40 * ms, serverDataFirst: true},
			rest:  req{hdr: 50, ackDelay: 40 * ms, serverDataFirst: true}, n: 4,
		},
		{
			name: "full-sized first segment",
			rC:   20 * us, rS: 100 * us, mss: 1460,
			first: req{hdr: 1460, body: 100, ackDelay: 40 * ms, hold: 20 * us, respLen: 200},
			rest:  req{hdr: 1460, body: 100, ackDelay: 40 * ms, hold: 20 * us, respLen: 200}, n: 3,
		},
		{
			name: "next data not contiguous",
			rC:   20 * us, rS: 100 * us, mss: 1460,
			first: req{hdr: 50, body: 100, ackDelay: 40 * ms, hold: 20 * us, respLen: 200, bodyNotContiguous: true},
			rest:  req{hdr: 50, body: 100, ackDelay: 40 * ms, hold: 20 * us, respLen: 200, bodyNotContiguous: true}, n: 3,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := eventgen.New(nagle.New(nagle.Config{}))
			c := w.Handshake(cl, sv, 0, tc.rS, tc.rC, tc.mss)
			at := 10 * ms
			for i := 0; i < tc.n; i++ {
				r := tc.rest
				if i == 0 {
					r = tc.first
				}
				r.rC, r.rS = tc.rC, tc.rS
				at = r.run(c, at)
			}
			c.Close(at)
			fs := w.Finish()
			if tc.wantCount == 0 {
				if len(fs) != 0 {
					t.Fatalf("got %+v, want none", fs)
				}
				return
			}
			if len(fs) != 1 {
				t.Fatalf("got %d findings, want 1: %+v", len(fs), fs)
			}
			f := fs[0]
			if f.Kind != nagle.KindStall || f.Count != tc.wantCount || f.Severity != tc.wantSeverity {
				t.Fatalf("got %s count %d %s, want count %d %s", f.Kind, f.Count, f.Severity, tc.wantCount, tc.wantSeverity)
			}
			if f.Evidence["ack_delay_class"] != tc.wantClass || f.Evidence["confidence"] != tc.wantConfidence {
				t.Fatalf("class %v confidence %v, want %s %s", f.Evidence["ack_delay_class"], f.Evidence["confidence"], tc.wantClass, tc.wantConfidence)
			}
			if f.Evidence["direction"] != "client_to_server" || f.DurationUS <= 0 || f.Connection == nil {
				t.Fatalf("bad finding %+v", f)
			}
			if worst := f.Evidence["stall_worst_us"].(int64); worst < 35000 || worst > 220000 {
				t.Fatalf("worst stall %d µs", worst)
			}
		})
	}
}
