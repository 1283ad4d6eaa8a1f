package timewait

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
	"time"

	"connscope/analysis"
	"connscope/flow"
)

// measureBatch is measure as it was before History.Sorted: every row
// unpacked and sorted, the intervals found walking back and swept at the
// end. TestJudgeAgainstSort compares measure with it.
func (a *Analyzer) measureBatch(p *peer) measures {
	cs := make([]conn, 0, p.conns.Len())
	p.conns.Each(func(row []int64) { cs = append(cs, connOf(row)) })
	slices.SortFunc(cs, func(x, y conn) int {
		if c := cmp.Compare(x.start, y.start); c != 0 {
			return c
		}
		return cmp.Compare(x.id, y.id)
	})
	ttw := a.acfg.TimeWait
	lo, hi := a.acfg.PortRangeLo, a.acfg.PortRangeHi
	m := measures{conns: len(cs), minReuse: -1}
	var ports analysis.PortSet
	for _, c := range cs {
		ports.Add(c.port)
		if int(c.port) < lo || int(c.port) > hi {
			m.outside++
		}
	}
	m.distinctPorts = ports.Len()
	last := map[uint16]int{}
	for i, c := range cs {
		if j, ok := last[c.port]; ok {
			prev := cs[j]
			gap := c.start.Sub(prev.closeAt)
			if c.hasSYN && prev.holder.held() && gap >= 0 && gap < ttw {
				m.reuse++
				if prev.holder.client() {
					m.reuseClient++
				}
				if prev.holder.server() {
					m.reuseServer++
				}
				if m.minReuse < 0 || gap < m.minReuse {
					m.minReuse = gap
				}
				if m.firstReuse == 0 {
					m.firstReuse, m.firstReuseConn = c.start, c.id
				}
			}
		}
		last[c.port] = i
		if c.holder.server() {
			m.serverTW++
		}
	}
	// The client-held intervals, walking back: each ends when it expires
	// or when the next connection on its port starts.
	var tws []interval
	var starts []flow.Time
	next := map[uint16]flow.Time{}
	for i := len(cs) - 1; i >= 0; i-- {
		c := cs[i]
		if c.holder.client() {
			end := c.closeAt.Add(ttw)
			if n, ok := next[c.port]; ok && n < end && n >= c.closeAt {
				end = n
			}
			tws = append(tws, interval{c.closeAt, end})
			starts = append(starts, c.start)
		}
		next[c.port] = c.start
	}
	slices.Sort(starts)
	m.clientTW = len(starts)
	m.peak, m.peakAt = sweep(tws)
	m.rate, m.rateAt = a.rateBatch(starts)
	return m
}

// rateBatch is the busiest rate over the sorted starts.
func (a *Analyzer) rateBatch(starts []flow.Time) (float64, flow.Time) {
	if len(starts) == 0 {
		return 0, 0
	}
	w := a.cfg.RateWindow
	span := starts[len(starts)-1].Sub(starts[0])
	if span < w {
		return float64(len(starts)) / max(span, time.Second).Seconds(), starts[0]
	}
	best, at, j := 0, starts[0], 0
	for i := range starts {
		for starts[i].Sub(starts[j]) >= w {
			j++
		}
		if n := i - j + 1; n > best {
			best, at = n, starts[j]
		}
	}
	return float64(best) / w.Seconds(), at
}

// interval is one client-held TIME_WAIT.
type interval struct{ from, to flow.Time }

// sweep returns the most intervals open at one instant and when.
func sweep(ivs []interval) (int, flow.Time) {
	type ev struct {
		t flow.Time
		d int
	}
	evs := make([]ev, 0, 2*len(ivs))
	for _, iv := range ivs {
		if iv.to > iv.from {
			evs = append(evs, ev{iv.from, +1}, ev{iv.to, -1})
		}
	}
	sort.Slice(evs, func(i, j int) bool {
		if evs[i].t != evs[j].t {
			return evs[i].t < evs[j].t
		}
		return evs[i].d < evs[j].d
	})
	cur, best := 0, 0
	var at flow.Time
	for _, e := range evs {
		cur += e.d
		if cur > best {
			best, at = cur, e.t
		}
	}
	return best, at
}

// TestJudgeAgainstSort: on random peers whose connections are added in
// close order (short ones nearly in start order, some long-lived ones far
// behind, a few closed before they started as timestamps that go
// backwards make them, a few ports reused, either side holding TIME_WAIT),
// the judging finds exactly what sorting every row found.
func TestJudgeAgainstSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for trial := range 300 {
		acfg := analysis.Config{}
		if trial%2 == 0 { // a TIME_WAIT shorter than the capture: intervals end inside it
			acfg.TimeWait = time.Duration(50+rng.IntN(2000)) * time.Millisecond
		}
		a := New(acfg, Config{MinConnections: 2, RateWindow: time.Duration(1+rng.IntN(3)) * time.Second})
		var conns []conn
		at := flow.Time(1_700_000_000_000_000_000)
		nports := 1 + rng.IntN(40)
		tick := flow.Time(1) // every third trial a coarse clock: equal times
		if trial%3 == 0 {
			tick = flow.Time(time.Millisecond)
		}
		for i := range 1 + rng.IntN(400) {
			at += flow.Time(rng.Int64N(int64(30*time.Millisecond))) / tick * tick
			life := flow.Time(rng.Int64N(int64(5*time.Millisecond))) / tick * tick
			switch rng.IntN(60) {
			case 0, 1:
				life = flow.Time(rng.Int64N(int64(20*time.Second))) / tick * tick // long-lived
			case 2:
				life = -flow.Time(rng.Int64N(int64(200*time.Millisecond))) / tick * tick // timestamps gone backwards
			}
			c := conn{id: flow.ConnID(i + 1), start: at, closeAt: at + life, port: uint16(40000 + rng.IntN(nports)),
				hasSYN: rng.IntN(10) > 0, holder: holder(rng.IntN(int(holderOther) + 1))}
			conns = append(conns, c)
		}
		byClose := slices.Clone(conns)
		slices.SortStableFunc(byClose, func(x, y conn) int { return cmp.Compare(x.closeAt, y.closeAt) })
		p := &peer{}
		for _, c := range byClose {
			p.conns.Append(c.row())
		}
		if got, want := a.measure(p), a.measureBatch(p); got != want {
			t.Fatalf("trial %d: %+v\nsorting every row: %+v", trial, got, want)
		}
	}
}
