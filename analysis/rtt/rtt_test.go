package rtt_test

import (
	"testing"
	"time"

	"connscope/analysis"
	"connscope/analysis/internal/eventgen"
	"connscope/analysis/rtt"
	"connscope/report"
)

const (
	ms = time.Millisecond
	us = time.Microsecond
	cl = "192.0.2.1:40000"
	sv = "192.0.2.2:80"
)

func run(t *testing.T, script func(w *eventgen.World)) *report.RTT {
	t.Helper()
	a := rtt.New()
	w := eventgen.New(a)
	script(w)
	w.Finish()
	if len(w.Report.Connections) != 1 {
		t.Fatalf("got %d connections", len(w.Report.Connections))
	}
	return w.Report.Connections[0].TCP.RTTUS
}

func TestRTT(t *testing.T) {
	tests := []struct {
		name   string
		script func(w *eventgen.World)
		want   *report.RTT // nil: no statistics
	}{
		{
			name: "client vantage: data samples raised by the near half",
			script: func(w *eventgen.World) {
				c := w.Handshake(cl, sv, 0, 40*ms, 50*us, 1460)
				c.Send(eventgen.C2S, 100*ms, 100)
				c.Ack(eventgen.S2C, 142*ms) // raw 42 ms + 0.05
				c.Send(eventgen.S2C, 143*ms, 1000)
				c.Ack(eventgen.C2S, 143*ms+100*us) // raw 0.1 ms + 40
				c.Close(200 * ms)
			},
			want: &report.RTT{Min: 40050, P50: 40100, Max: 42050, Samples: 3},
		},
		{
			name: "Karn: an ACK of a retransmitted range gives no sample",
			script: func(w *eventgen.World) {
				c := w.Handshake(cl, sv, 0, 10*ms, 10*ms, 1460)
				c.Send(eventgen.C2S, 100*ms, 1000)
				c.SendAt(eventgen.C2S, 400*ms, 1, 1000, analysis.SegRetransmission)
				c.Ack(eventgen.S2C, 410*ms)
				c.Close(500 * ms)
			},
			want: &report.RTT{Min: 20000, P50: 20000, Max: 20000, Samples: 1},
		},
		{
			name: "intervening retransmission voids samples above it",
			script: func(w *eventgen.World) {
				c := w.Handshake(cl, sv, 0, 10*ms, 10*ms, 1460)
				c.Send(eventgen.C2S, 100*ms, 1000)
				c.Send(eventgen.C2S, 101*ms, 1000)
				c.SendAt(eventgen.C2S, 300*ms, 1, 1000, analysis.SegRetransmission)
				c.Ack(eventgen.S2C, 310*ms) // covers both; the second was sent once but is ambiguous
				c.Close(500 * ms)
			},
			want: &report.RTT{Min: 20000, P50: 20000, Max: 20000, Samples: 1},
		},
		{
			name: "delayed ACK of one small segment is suspect and left out",
			script: func(w *eventgen.World) {
				c := w.Handshake(cl, sv, 0, 10*ms, 10*ms, 1460)
				c.Send(eventgen.C2S, 100*ms, 100)
				c.Ack(eventgen.S2C, 110*ms) // 10 ms raw, 20 ms full
				c.Send(eventgen.C2S, 200*ms, 100)
				c.Ack(eventgen.S2C, 250*ms) // 50 ms raw: ≥ min+20 ms, covers 100 bytes
				c.Close(500 * ms)
			},
			want: &report.RTT{Min: 20000, P50: 20000, Max: 20000, Samples: 2},
		},
		{
			name: "late ACK covering two full segments is a real sample",
			script: func(w *eventgen.World) {
				c := w.Handshake(cl, sv, 0, 10*ms, 10*ms, 1460)
				c.Send(eventgen.C2S, 100*ms, 100)
				c.Ack(eventgen.S2C, 110*ms)
				c.Send(eventgen.C2S, 200*ms, 1460)
				c.Send(eventgen.C2S, 200*ms, 1460)
				c.Ack(eventgen.S2C, 250*ms)
				c.Close(500 * ms)
			},
			want: &report.RTT{Min: 20000, P50: 20000, Max: 60000, Samples: 3},
		},
		{
			name: "no handshake: the opposite direction's minimum is the sender's half",
			script: func(w *eventgen.World) {
				c := w.Open(cl, sv, 0)
				c.Send(eventgen.C2S, 0, 100)
				c.Ack(eventgen.S2C, 30*ms) // r_server 30
				c.Send(eventgen.S2C, 31*ms, 100)
				c.Ack(eventgen.C2S, 41*ms) // r_client 10
				c.Close(100 * ms)
			},
			want: &report.RTT{Min: 40000, P50: 40000, Max: 40000, Samples: 2},
		},
		{
			name: "inflated handshake is left out",
			script: func(w *eventgen.World) {
				c := w.Handshake(cl, sv, 0, 200*ms, 1*ms, 1460)
				c.Send(eventgen.C2S, 300*ms, 100)
				c.Ack(eventgen.S2C, 309*ms) // 9 + 1 = 10 ms; handshake 201 > 3·10
				c.Close(400 * ms)
			},
			want: &report.RTT{Min: 10000, P50: 10000, Max: 10000, Samples: 1},
		},
		{
			name: "keep-alive probes give no sample",
			script: func(w *eventgen.World) {
				c := w.Open(cl, sv, 0)
				c.Send(eventgen.C2S, 0, 100)
				c.Ack(eventgen.S2C, 20*ms)
				c.SendAt(eventgen.C2S, 60*time.Second, 100, 1, analysis.SegKeepAlive)
				c.AckTo(eventgen.S2C, 60*time.Second+5*ms, 101)
				c.Close(61 * time.Second)
			},
			want: &report.RTT{Min: 20000, P50: 20000, Max: 20000, Samples: 1},
		},
		{
			name: "no samples, no handshake: nothing reported",
			script: func(w *eventgen.World) {
				c := w.Open(cl, sv, 0)
				c.Send(eventgen.C2S, 0, 100)
				c.Close(time.Second)
			},
			want: nil,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := run(t, tc.script)
			switch {
			case tc.want == nil && got != nil:
				t.Fatalf("got %+v, want none", *got)
			case tc.want != nil && got == nil:
				t.Fatalf("got none, want %+v", *tc.want)
			case tc.want != nil && *got != *tc.want:
				t.Fatalf("got %+v, want %+v", *got, *tc.want)
			}
		})
	}
}

// TestReservoirBounded: thousands of samples keep bounded storage and a
// median inside the sampled range.
func TestReservoirBounded(t *testing.T) {
	got := run(t, func(w *eventgen.World) {
		c := w.Handshake(cl, sv, 0, 10*ms, 10*ms, 1460)
		at := 100 * ms
		for i := 0; i < 5000; i++ {
			c.Send(eventgen.C2S, at, 1460)
			c.Send(eventgen.C2S, at, 1460)
			c.Ack(eventgen.S2C, at+time.Duration(10+i%21)*ms) // 10..30 ms raw, +10 half
			at += 50 * ms
		}
		c.Close(at)
	})
	if got == nil || got.Min != 20000 || got.Max != 40000 || got.Samples != 5001 {
		t.Fatalf("got %+v", got)
	}
	if got.P50 < 28000 || got.P50 > 32000 {
		t.Fatalf("p50 %d outside 28..32 ms", got.P50)
	}
}

func TestTrackerHelpers(t *testing.T) {
	var tr rtt.Tracker
	c := analysis.ConnInfo{ServerHalf: 30 * ms, ClientHalf: 10 * ms}
	seg := analysis.Segment{Conn: &c, Dir: eventgen.C2S, Seq: 1000, RelSeq: 1, Len: 100, Flags: analysis.FlagACK}
	tr.Observe(&seg)
	tests := []struct {
		name string
		got  time.Duration
		want time.Duration
	}{
		{"client half from handshake", first(tr.Half(eventgen.C2S)), 10 * ms},
		{"server half from handshake", first(tr.Half(eventgen.S2C)), 30 * ms},
		{"RTO floor", tr.RTO(eventgen.C2S, rtt.RTOFloor), rtt.RTOFloor},
		{"RTO from handshake, 1 s floor", tr.RTO(eventgen.C2S, time.Second), time.Second},
		{"RFC 6298 formula", rtt.RTOFrom(100*ms, 50*ms, rtt.RTOFloor), 300 * ms},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Fatalf("got %v, want %v", tc.got, tc.want)
			}
		})
	}
	if mss := tr.MSS(); mss != rtt.DefaultMSS {
		t.Fatalf("MSS %d", mss)
	}
}

func first(d time.Duration, _, _ bool) time.Duration { return d }
