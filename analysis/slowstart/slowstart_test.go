package slowstart_test

import (
	"sort"
	"testing"
	"time"

	"connscope/analysis"
	"connscope/analysis/internal/eventgen"
	"connscope/analysis/slowstart"
	"connscope/report"
)

const (
	ms  = time.Millisecond
	us  = time.Microsecond
	mss = 1460
	cl  = "192.0.2.1:40000"
	sv  = "192.0.2.2:80"
)

// spec is one server→client transfer answering a 100-byte request.
type spec struct {
	flights []int           // segments per round; the last may be partial
	extra   []time.Duration // extra delay before round k (application-limited sender)
	paced   bool            // spread each round over 0.9·RTT
	retx    bool            // retransmit the first segment of round 1
}

type action struct {
	at time.Duration
	do func()
}

// transfer scripts sp seen at a capture point rC from the client and rS
// from the server (round trips), starting with the request at t0, and
// returns when the last ACK was seen.
func transfer(c *eventgen.Conn, rC, rS, t0 time.Duration, sp spec) time.Duration {
	c.Send(eventgen.C2S, t0, 100)
	cliNext := c.Next(eventgen.C2S)
	seq := c.Next(eventgen.S2C)
	var acts []action
	// Round 0 is seen rS after the request; ACKs rC after their data.
	roundAt := t0 + rS
	ackLag := rC + 30*us
	rtt := rC + rS
	last := roundAt
	for k, n := range sp.flights {
		if k < len(sp.extra) {
			roundAt += sp.extra[k]
		}
		gap := 50 * us
		if sp.paced {
			gap = rtt * 9 / 10 / time.Duration(n)
		}
		var firstAck time.Duration
		for j := 0; j < n; j++ {
			s, at := seq, roundAt+time.Duration(j)*gap
			acts = append(acts, action{at, func() { c.Raw(eventgen.S2C, at, s, cliNext, analysis.FlagACK, mss) }})
			seq += mss
			if sp.retx && k == 1 && j == 0 {
				rs := s
				acts = append(acts, action{at + 5*us, func() {
					c.RawKind(eventgen.S2C, at+5*us, rs, cliNext, analysis.FlagACK, mss, analysis.SegRetransmission)
				}})
			}
			if j%2 == 1 || j == n-1 {
				a, end := at+ackLag, seq
				acts = append(acts, action{a, func() { c.Raw(eventgen.C2S, a, cliNext, end, analysis.FlagACK, 0) }})
				if firstAck == 0 {
					firstAck = a
				}
				last = max(last, a)
			}
		}
		// The next round leaves the server when the first ACK reaches it.
		roundAt = firstAck + rS
	}
	sort.SliceStable(acts, func(i, j int) bool { return acts[i].at < acts[j].at })
	for _, a := range acts {
		a.do()
	}
	c.SendAt(eventgen.S2C, last, seq, 0, analysis.SegNew) // keep the generator's pointer in step
	c.AckTo(eventgen.C2S, last, seq)
	return last
}

func TestSlowStart(t *testing.T) {
	ss100k := spec{flights: []int{10, 20, 39}}
	big := spec{flights: []int{10, 20, 40, 80, 82, 30}} // leaves slow start at round 4
	tests := []struct {
		name      string
		vantage   string
		rtt       time.Duration
		fresh     bool
		first     spec
		idle      time.Duration // > 0: a second transfer after this idle
		second    spec
		wantBound int // rounds of the bound finding (0: none)
		restart   bool
		ev        map[string]any
	}{
		{name: "100 KB on a fresh connection, client side", vantage: "client", rtt: 100 * ms, fresh: true, first: ss100k,
			wantBound: 3, ev: map[string]any{"iw_bytes": int64(14600), "overhead_us": int64(200040), "iw_segments": 10}},
		{name: "100 KB on a fresh connection, server side", vantage: "server", rtt: 100 * ms, fresh: true, first: ss100k,
			wantBound: 3, ev: map[string]any{"transfer_bytes": int64(69 * mss), "rounds": 3}},
		{name: "100 KB on a fresh connection, middle", vantage: "middle", rtt: 60 * ms, fresh: true, first: ss100k, wantBound: 3},
		{name: "restart after 2 s idle, middle", vantage: "middle", rtt: 60 * ms, fresh: true,
			first: big, idle: 2 * time.Second, second: spec{flights: []int{10, 20, 40, 5}}, restart: true},
		{name: "paced startup (BBR-like), server side", vantage: "server", rtt: 50 * ms, fresh: true, first: ss100k, wantBound: 3},
		{name: "loopback RTT: nothing", vantage: "server", rtt: 200 * us, fresh: true, first: ss100k},
		{name: "two rounds only: nothing", vantage: "client", rtt: 100 * ms, fresh: true, first: spec{flights: []int{10, 5}}},
		{name: "connection not fresh: nothing", vantage: "client", rtt: 100 * ms, fresh: false, first: ss100k},
		{name: "window stops doubling: left slow start", vantage: "server", rtt: 100 * ms, fresh: true,
			first: spec{flights: []int{10, 20, 40, 41, 42, 10}}},
		{name: "application-limited sender: nothing", vantage: "server", rtt: 100 * ms, fresh: true,
			first: spec{flights: []int{10, 20, 39}, extra: []time.Duration{0, 40 * ms}}},
		{name: "retransmission during the transfer: nothing", vantage: "client", rtt: 100 * ms, fresh: true,
			first: spec{flights: []int{10, 20, 39}, retx: true}},
		{name: "restart after 2 s idle, server side", vantage: "server", rtt: 100 * ms, fresh: true,
			first: big, idle: 2 * time.Second, second: spec{flights: []int{10, 20, 40, 5}},
			restart: true, ev: map[string]any{"flight_before": int64(82 * mss), "flight_after": int64(10 * mss), "extra_rounds": 4}},
		{name: "restart after 2 s idle, client side", vantage: "client", rtt: 100 * ms, fresh: true,
			first: big, idle: 2 * time.Second, second: spec{flights: []int{10, 20, 40, 5}}, restart: true},
		{name: "no restart with slow_start_after_idle=0", vantage: "server", rtt: 100 * ms, fresh: true,
			first: big, idle: 2 * time.Second, second: spec{flights: []int{80, 30}}},
		{name: "short idle (under the RTO): no restart", vantage: "server", rtt: 100 * ms, fresh: true,
			first: big, idle: 100 * ms, second: spec{flights: []int{10, 20, 5}}},
		{name: "restart on a loopback RTT: nothing", vantage: "server", rtt: 300 * us, fresh: true,
			first: big, idle: 2 * time.Second, second: spec{flights: []int{10, 20, 40, 5}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := eventgen.New(slowstart.New(slowstart.Config{}))
			rC, rS := 20*us, tc.rtt
			switch tc.vantage {
			case "server":
				rC, rS = tc.rtt, 20*us
			case "middle":
				rC, rS = tc.rtt/3, tc.rtt*2/3
			}
			var c *eventgen.Conn
			if tc.fresh {
				c = w.Handshake(cl, sv, 0, rS, rC, mss)
			} else {
				c = w.Open(cl, sv, 0)
				c.Info.ServerHalf, c.Info.ClientHalf = rS, rC // halves known from elsewhere
			}
			end := transfer(c, rC, rS, 10*ms+tc.rtt, tc.first)
			if tc.idle > 0 {
				end = transfer(c, rC, rS, end+tc.idle, tc.second)
			}
			c.FIN(eventgen.C2S, end+ms)
			c.FIN(eventgen.S2C, end+2*ms)
			c.Close(end + 3*ms)
			fs := w.Finish()
			var bound, restart *report.Finding
			for i := range fs {
				switch fs[i].Kind {
				case slowstart.KindBound:
					bound = &fs[i]
				case slowstart.KindRestart:
					restart = &fs[i]
				}
			}
			if (bound != nil) != (tc.wantBound > 0) {
				t.Fatalf("bound finding %+v, want rounds %d", bound, tc.wantBound)
			}
			if bound != nil && bound.Evidence["rounds"] != tc.wantBound {
				t.Fatalf("rounds %v, want %d (%v)", bound.Evidence["rounds"], tc.wantBound, bound.Evidence)
			}
			if (restart != nil) != tc.restart {
				t.Fatalf("restart finding %+v, want %v", restart, tc.restart)
			}
			f := bound
			if f == nil {
				f = restart
			}
			for k, v := range tc.ev {
				if f.Evidence[k] != v {
					t.Errorf("evidence %s = %v (%T), want %v; %v", k, f.Evidence[k], f.Evidence[k], v, f.Evidence)
				}
			}
			if f != nil && (f.Connection == nil || f.At == "") {
				t.Errorf("incomplete finding %+v", f)
			}
		})
	}
}
