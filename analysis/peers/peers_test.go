package peers

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"connscope/analysis"
	"connscope/analysis/internal/eventgen"
	"connscope/flow"
	"connscope/report"
)

const ms = time.Millisecond

// TestPeerTable scripts connections from two client hosts to one server
// and checks every column of the peer table.
func TestPeerTable(t *testing.T) {
	w := eventgen.New(New(analysis.Config{}))
	// Client A: three sequential connections from two ports (one reused
	// after the first closed), each closed by the client with FIN; one
	// request each.
	for i, port := range []string{"40000", "40001", "40000"} {
		at := time.Duration(i) * 400 * ms
		c := w.Handshake("192.0.2.1:"+port, "192.0.2.9:80", at, ms, ms, 1460)
		w.Engine.Exchange(&analysis.Exchange{Conn: &c.Info})
		c.FIN(eventgen.C2S, at+100*ms)
		c.FIN(eventgen.S2C, at+101*ms)
		c.Close(at + 102*ms)
	}
	// Client B: two overlapping connections, one reset by the server, one
	// refused; the second has no handshake seen (picked up mid-stream).
	b1 := w.Handshake("192.0.2.2:50000", "192.0.2.9:80", 0, ms, ms, 1460)
	b2 := w.Open("192.0.2.2:50001", "192.0.2.9:80", 50*ms)
	b1.RST(eventgen.S2C, 200*ms)
	b1.Close(200 * ms)
	b2.RST(eventgen.S2C, 60*ms)
	b2.Closed.Refused = true
	b2.Close(300 * ms)
	w.Finish()

	rows := w.Report.Peers
	if len(rows) != 2 {
		t.Fatalf("%d peer rows, want 2: %+v", len(rows), rows)
	}
	a, b := rows[0], rows[1]
	check := func(name string, got, want any) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	check("A client", a.Client, "192.0.2.1")
	check("A server", a.Server, "192.0.2.9:80")
	check("A connections", a.Connections, 3)
	check("A handshakes", a.Handshakes, 3)
	check("A client ports", a.ClientPorts, 2)
	check("A requests", a.Requests, 3)
	check("A max parallel", a.MaxParallel, 1)
	check("A TIME_WAIT client", a.TimeWaitClient, 3)
	check("A TIME_WAIT server", a.TimeWaitServer, 0)
	check("A peak per second", a.PeakRatePerS, 3)
	check("A rate", a.ConnectionRatePerS, 0.0) // span under a second
	check("A first seen", a.FirstSeen, report.FormatTime(int64(eventgen.Epoch)))
	check("A last seen", a.LastSeen, report.FormatTime(int64(eventgen.Epoch.Add(902*ms))))
	check("B client", b.Client, "192.0.2.2")
	check("B connections", b.Connections, 2)
	check("B handshakes", b.Handshakes, 1)
	check("B max parallel", b.MaxParallel, 2)
	check("B resets", b.Resets, 1)
	check("B refused", b.Refused, 1)
	check("B TIME_WAIT client", b.TimeWaitClient, 0)
	check("summary max parallel", w.Report.Summary.MaxParallelConnections, 2)
}

// TestPeerLimit: pairs beyond MaxPeers are not tracked and are counted as
// a named anomaly.
func TestPeerLimit(t *testing.T) {
	w := eventgen.New(New(analysis.Config{MaxPeers: 1}))
	for i, client := range []string{"192.0.2.1:40000", "192.0.2.2:40000", "192.0.2.3:40000"} {
		c := w.Open(client, "192.0.2.9:80", time.Duration(i)*ms)
		c.Close(time.Duration(i)*ms + ms)
	}
	w.Finish()
	if len(w.Report.Peers) != 1 || w.Report.Peers[0].Client != "192.0.2.1" {
		t.Errorf("peers %+v, want only the first pair", w.Report.Peers)
	}
	if got := w.Report.Capture.Anomalies["analysis_peer_limit"]; got != 2 {
		t.Errorf("analysis_peer_limit = %d, want 2", got)
	}
}

// maxParallel runs Parallel over intervals given in any order.
func maxParallel(starts, ends []flow.Time) int {
	idx := make([]int, len(starts))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(starts[a], starts[b]) })
	var p Parallel
	for _, i := range idx {
		p.Add(starts[i], ends[i])
	}
	return p.Max()
}

// peakPerWindow runs WindowPeak over times in increasing order.
func peakPerWindow(sorted []flow.Time, w time.Duration) int {
	p := analysis.WindowPeak{Window: w}
	for _, t := range sorted {
		p.Add(t)
	}
	return p.Max()
}

func TestMaxParallel(t *testing.T) {
	tm := func(ns ...int64) []flow.Time {
		out := make([]flow.Time, len(ns))
		for i, n := range ns {
			out[i] = flow.Time(n)
		}
		return out
	}
	cases := []struct {
		name         string
		starts, ends []flow.Time
		want         int
	}{
		{"none", nil, nil, 0},
		{"one", tm(1), tm(5), 1},
		{"back to back do not overlap", tm(1, 5), tm(5, 9), 1},
		{"nested", tm(1, 2, 3), tm(10, 4, 5), 3},
		{"unsorted input", tm(7, 1), tm(9, 8), 2},
	}
	for _, c := range cases {
		if got := maxParallel(c.starts, c.ends); got != c.want {
			t.Errorf("%s: MaxParallel = %d, want %d", c.name, got, c.want)
		}
	}
	// Against a count at every start, on random intervals with shared
	// ends and starts.
	rng := rand.New(rand.NewPCG(1, 2))
	for range 500 {
		n := rng.IntN(30)
		starts, ends := make([]flow.Time, n), make([]flow.Time, n)
		for i := range n {
			starts[i] = flow.Time(rng.IntN(20))
			ends[i] = starts[i] + flow.Time(rng.IntN(6))
		}
		want := 0
		for _, at := range starts {
			open := 0
			for i := range n {
				if starts[i] <= at && at < ends[i] {
					open++
				}
			}
			want = max(want, open)
		}
		if got := maxParallel(slices.Clone(starts), slices.Clone(ends)); got != want {
			t.Fatalf("maxParallel(%v, %v) = %d, want %d", starts, ends, got, want)
		}
	}
}

func TestPeakPerWindow(t *testing.T) {
	s := func(ms ...int) []flow.Time {
		out := make([]flow.Time, len(ms))
		for i, m := range ms {
			out[i] = flow.Time(time.Duration(m) * time.Millisecond)
		}
		return out
	}
	cases := []struct {
		times []flow.Time
		want  int
	}{
		{nil, 0},
		{s(0), 1},
		{s(0, 999), 2},
		{s(0, 1000), 1}, // the window is half-open
		{s(0, 100, 200, 1150, 1190), 3},
	}
	for _, c := range cases {
		if got := peakPerWindow(c.times, time.Second); got != c.want {
			t.Errorf("peakPerWindow(%v) = %d, want %d", c.times, got, c.want)
		}
	}
	// Against a count at every time, on long runs of bursts and gaps (the
	// window's list is compacted as it goes).
	rng := rand.New(rand.NewPCG(3, 4))
	for range 50 {
		var times []flow.Time
		at := flow.Time(0)
		for range 400 {
			at += flow.Time(rng.Int64N(int64(300 * time.Millisecond)))
			if rng.IntN(20) == 0 {
				at += flow.Time(2 * time.Second)
			}
			times = append(times, at)
		}
		want := 0
		for i := range times {
			n := 0
			for _, u := range times[i:] {
				if u.Sub(times[i]) < time.Second {
					n++
				}
			}
			want = max(want, n)
		}
		if got := peakPerWindow(times, time.Second); got != want {
			t.Fatalf("peakPerWindow = %d, want %d", got, want)
		}
	}
}
