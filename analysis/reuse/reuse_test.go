package reuse

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"connscope/analysis"
	"connscope/analysis/internal/h1"
	"connscope/analysis/internal/h1/h1test"
	"connscope/flow"
	"connscope/report"
)

const ms = time.Millisecond

// chain builds n connections opened every step, each carrying one GET
// (request options q, response options r) closed by closer 5 ms after
// opening.
func chain(n int, step time.Duration, closer flow.Dir, q, r []h1test.Opt) []*h1test.Conn {
	var out []*h1test.Conn
	for i := 0; i < n; i++ {
		at := time.Duration(i) * step
		out = append(out, h1test.NewConn(i+1, uint16(40000+i), at).
			Add(h1test.Req("GET", "/small.txt", at+1*ms, at+1*ms, q...), h1test.Resp(200, 100, at+2*ms, at+3*ms, r...)).
			FIN(closer, at+4*ms).FIN(closer.Reverse(), at+5*ms))
	}
	return out
}

func TestNotReused(t *testing.T) {
	v10 := []h1test.Opt{h1test.V10}
	closeHdr := []h1test.Opt{h1test.Connection("close")}
	twoEach := chain(4, 20*ms, flow.ClientToServer, nil, nil)
	for i, c := range twoEach {
		at := time.Duration(i) * 20 * ms
		c.Add(h1test.Req("GET", "/b", at+3*ms, at+3*ms), h1test.Resp(200, 100, at+3*ms, at+4*ms))
	}
	parallel := chain(4, 0, flow.ClientToServer, nil, nil)
	cases := []struct {
		name           string
		conns          []*h1test.Conn
		reopened       int
		clientDisabled int
	}{
		// ab without -k: HTTP/1.0 without keep-alive, the server closes
		// as asked (detection-methods §3.1 lab).
		{name: "http10_client_without_keep_alive", conns: chain(5, 10*ms, flow.ServerToClient, v10, closeHdr), reopened: 4, clientDisabled: 4},
		// A shell loop of curl calls: persistent, the client closes.
		{name: "persistent_client_closes_each", conns: chain(3, 100*ms, flow.ClientToServer, nil, nil), reopened: 2},
		{name: "client_connection_close", conns: chain(3, 100*ms, flow.ServerToClient, closeHdr, closeHdr), reopened: 2, clientDisabled: 2},
		{name: "two_connections_only", conns: chain(2, 100*ms, flow.ServerToClient, v10, closeHdr)},
		{name: "server_refused_persistence", conns: chain(5, 10*ms, flow.ServerToClient, nil, closeHdr)},
		{name: "server_closed_idle_connections", conns: chain(5, 10*ms, flow.ServerToClient, nil, nil)},
		{name: "gaps_longer_than_window", conns: chain(5, 3*time.Second, flow.ClientToServer, nil, nil)},
		{name: "reused_connections", conns: twoEach},
		{name: "parallel_connections", conns: parallel},
		{name: "no_handshake_seen", conns: func() []*h1test.Conn {
			cs := chain(4, 10*ms, flow.ClientToServer, nil, nil)
			for _, c := range cs {
				c.NoSYN()
			}
			return cs
		}()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs := h1test.Play(New(analysis.Config{}), nil, tc.conns...)
			if tc.reopened == 0 {
				if len(fs) != 0 {
					t.Fatalf("unexpected findings %+v", fs)
				}
				return
			}
			if len(fs) != 1 {
				t.Fatalf("got %d findings, want 1: %+v", len(fs), fs)
			}
			f := fs[0]
			ev := f.Evidence
			if f.Kind != Kind || f.Severity != report.SeverityWarning || f.Count != tc.reopened || f.Peer != h1test.Peer ||
				ev["reopened"] != tc.reopened || ev["client_disabled_keepalive"] != tc.clientDisabled {
				t.Errorf("finding %+v, want reopened %d client_disabled %d", f, tc.reopened, tc.clientDisabled)
			}
			if ev["connections"] != len(tc.conns) || ev["requests_per_connection"] != 1.0 || ev["avoidable_setup_us"] != int64(tc.reopened)*1000 {
				t.Errorf("evidence %v", ev)
			}
			if f.Connection != nil {
				t.Errorf("a peer finding over several connections must not name one: %+v", f)
			}
		})
	}
}

// TestRecRow: a rec comes back from its history row as it was, for every
// flag and with and without a close time.
func TestRecRow(t *testing.T) {
	base := flow.Time(1_700_000_000_000_000_000)
	for f := range 32 {
		r := rec{
			id: flow.ConnID(1000 + f), start: base + flow.Time(f), setup: time.Duration(f) * ms, requests: f,
			syn: f&1 != 0, reusable: f&2 != 0, single: f&4 != 0, clientDisabled: f&8 != 0,
		}
		if f&16 != 0 {
			r.close = r.start + 3*flow.Time(ms)
		}
		var h analysis.History
		h.Append(r.row())
		h.Each(func(row []int64) {
			if got := recOf(row); got != r {
				t.Errorf("flags %05b: %+v, want %+v", f, got, r)
			}
		})
	}
}

// batchReopened is the pairing as a sort of every row: the reference the
// streamed judging (History.Sorted) must agree with.
func batchReopened(recs []rec, window time.Duration) (reopened int, avoidable time.Duration) {
	recs = slices.Clone(recs)
	slices.SortFunc(recs, func(a, b rec) int {
		if c := cmp.Compare(a.start, b.start); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	var closes []flow.Time
	for _, r := range recs {
		if r.reusable && r.close != 0 {
			closes = append(closes, r.close)
		}
	}
	slices.Sort(closes)
	j := 0
	for _, c := range closes {
		for j < len(recs) && recs[j].start < c {
			j++
		}
		if j == len(recs) {
			break
		}
		r := recs[j]
		j++
		if r.single && r.syn && r.start.Sub(c) <= window {
			reopened++
			avoidable += r.setup
		}
	}
	return reopened, avoidable
}

// TestJudgeAgainstSort: on random peers whose connections are added in
// close order (short ones nearly in start order, some long-lived ones far
// behind, equal start times), the judging finds what sorting every row
// finds.
func TestJudgeAgainstSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	a := New(analysis.Config{})
	a.opt.MinReopened = 1
	for trial := range 200 {
		var recs []rec
		at := flow.Time(1_700_000_000_000_000_000)
		// Every third trial on a coarse clock: equal start times, and
		// connections that close at the instant they start.
		tick := flow.Time(1)
		if trial%3 == 0 {
			tick = flow.Time(ms)
		}
		for i := range 1 + rng.IntN(300) {
			at += flow.Time(rng.Int64N(int64(50*ms))) / tick * tick
			life := flow.Time(rng.Int64N(int64(5*ms))) / tick * tick
			if rng.IntN(30) == 0 {
				life = flow.Time(rng.Int64N(int64(10*time.Second))) / tick * tick // long-lived
			}
			r := rec{id: flow.ConnID(i + 1), start: at, requests: 1 + rng.IntN(2), syn: rng.IntN(10) > 0,
				reusable: rng.IntN(4) > 0, setup: time.Duration(rng.Int64N(int64(ms)))}
			if rng.IntN(8) > 0 {
				r.close = at + life
			}
			r.single = r.requests == 1 && rng.IntN(5) > 0
			recs = append(recs, r)
		}
		byClose := slices.Clone(recs)
		slices.SortStableFunc(byClose, func(x, y rec) int { return cmp.Compare(x.close, y.close) })
		ps := &peerState{}
		for _, r := range byClose {
			ps.recs.Append(r.row())
		}
		wantN, wantAvoid := batchReopened(recs, a.opt.ReuseWindow)
		f, ok := a.judge(h1.PeerKey{}, ps)
		gotN, gotAvoid := 0, int64(0)
		if ok {
			gotN, gotAvoid = f.Count, f.Evidence["avoidable_setup_us"].(int64)
		}
		if gotN != wantN || gotAvoid != h1.US(wantAvoid) {
			t.Fatalf("trial %d: reopened %d, avoidable %d µs; sorting every row: %d, %d µs", trial, gotN, gotAvoid, wantN, h1.US(wantAvoid))
		}
	}
}
