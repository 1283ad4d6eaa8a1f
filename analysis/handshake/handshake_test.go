package handshake

import (
	"testing"
	"time"

	"connscope/analysis"
	"connscope/analysis/internal/h1/h1test"
	"connscope/flow"
	"connscope/report"
)

const (
	ms = time.Millisecond
	us = time.Microsecond
)

// wan is a fresh connection seen at the client with a 50 ms round trip: SYN
// at start, request right after the handshake, a response of n bytes after
// server time srv.
func wan(id int, start time.Duration, n int64, srv time.Duration) *h1test.Conn {
	reqAt := start + 50*ms + 50*us
	rspAt := reqAt + 50*ms + srv
	return h1test.NewConn(id, uint16(40000+id), start).Halves(50*ms, 50*us).
		Add(h1test.Req("GET", "/small.txt", reqAt, reqAt), h1test.Resp(200, n, rspAt, rspAt+100*us)).
		FIN(flow.ClientToServer, rspAt+200*us).FIN(flow.ServerToClient, rspAt+300*us)
}

func TestHandshakeDominated(t *testing.T) {
	reused := wan(1, 0, 100, 0)
	reused.Add(h1test.Req("GET", "/b", 101*ms, 101*ms), h1test.Resp(200, 100, 151*ms, 152*ms))
	lan := h1test.NewConn(1, 40000, 0).
		Add(h1test.Req("GET", "/", 200*us, 200*us), h1test.Resp(200, 100, 300*us, 310*us)).
		FIN(flow.ClientToServer, ms)
	preconnect := h1test.NewConn(1, 40000, 0).Halves(50*ms, 50*us).
		Add(h1test.Req("GET", "/", 2*time.Second, 2*time.Second), h1test.Resp(200, 100, 2050*ms, 2051*ms)).
		FIN(flow.ClientToServer, 2052*ms)
	cases := []struct {
		name  string
		conns []*h1test.Conn
		count int
		sev   string
	}{
		// A one-round-trip exchange on a fresh connection (§3.1): share just
		// under 0.5.
		{name: "one_rtt_exchange", conns: []*h1test.Conn{wan(1, 0, 100, 100*us)}, count: 1, sev: report.SeverityInfo},
		{name: "repeated_per_peer", conns: []*h1test.Conn{wan(1, 0, 100, 0), wan(2, 200*ms, 100, 0), wan(3, 400*ms, 100, 0)}, count: 3, sev: report.SeverityWarning},
		{name: "large_response", conns: []*h1test.Conn{wan(1, 0, 100<<10, 0)}},
		{name: "slow_server", conns: []*h1test.Conn{wan(1, 0, 100, 200*ms)}},
		{name: "reused_connection_amortised", conns: []*h1test.Conn{reused}},
		{name: "lan_below_min_setup", conns: []*h1test.Conn{lan}},
		{name: "preconnect_skipped", conns: []*h1test.Conn{preconnect}},
		{name: "no_syn", conns: []*h1test.Conn{wan(1, 0, 100, 0).NoSYN()}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs := h1test.Play(New(analysis.Config{}), nil, tc.conns...)
			if tc.count == 0 {
				if len(fs) != 0 {
					t.Fatalf("unexpected findings %+v", fs)
				}
				return
			}
			if len(fs) != 1 {
				t.Fatalf("got %d findings, want 1", len(fs))
			}
			f := fs[0]
			ev := f.Evidence
			if f.Count != tc.count || f.Severity != tc.sev || f.Peer != h1test.Peer || ev["connections"] != tc.count {
				t.Errorf("finding %+v, want count %d severity %s", f, tc.count, tc.sev)
			}
			if s := ev["share"].(float64); s < DefaultMinShare || s > 0.5 {
				t.Errorf("share %v out of the expected band", s)
			}
			if ev["setup_us"].(int64) < 50000 || ev["total_us"].(int64) < 100000 {
				t.Errorf("setup/total %v", ev)
			}
			if (tc.count == 1) != (f.Connection != nil) {
				t.Errorf("connection link %v for count %d", f.Connection, tc.count)
			}
		})
	}
}
