package timewait

import (
	"cmp"
	"connscope/analysis"
	"connscope/flow"
	"connscope/report"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"testing"
	"time"
)

// The judging as it was before History.Sorted: every row unpacked and
// sorted. The reference TestJudgeAgainstSort compares the streamed
// judging with.

func (a *Analyzer) judgeBatch(p *peer, out analysis.Emitter) result {
	cs := make([]conn, 0, p.conns.Len())
	p.conns.Each(func(row []int64) { cs = append(cs, connOf(row)) })
	byStart := func(x, y conn) int {
		if x.start != y.start {
			if x.start < y.start {
				return -1
			}
			return 1
		}
		return int(x.id) - int(y.id)
	}
	if !slices.IsSortedFunc(cs, byStart) {
		slices.SortFunc(cs, byStart) // ids are unique: the order is total
	}
	peerName := p.key.client.String() + " -> " + p.key.server.String()
	ttw := a.acfg.TimeWait
	lo, hi := a.acfg.PortRangeLo, a.acfg.PortRangeHi
	cfgPorts := hi - lo + 1
	var ports analysis.PortSet
	outside := 0
	for _, c := range cs {
		ports.Add(c.port)
		if int(c.port) < lo || int(c.port) > hi {
			outside++
		}
	}
	rangePorts, source := cfgPorts, "config"
	if len(cs) > ports.Len() && ports.Len() < cfgPorts {
		rangePorts, source = ports.Len(), "observed"
	}
	rangeEv := map[string]any{
		"assumed_port_range":  []int{lo, hi},
		"range_ports":         rangePorts,
		"range_source":        source,
		"distinct_ports":      ports.Len(),
		"ports_outside_range": outside,
		"time_wait_us":        flow.Micros(ttw),
	}
	withRange := func(m map[string]any) map[string]any {
		for k, v := range rangeEv {
			m[k] = v
		}
		return m
	}

	// Reuse within TIME_WAIT, and client-held TIME_WAIT intervals.
	var tws []interval
	last := map[uint16]int{}
	reuse, reuseClient, reuseServer := 0, 0, 0
	var minReuse time.Duration = -1
	var firstReuse flow.Time
	var firstReuseConn flow.ConnID
	serverTW := 0
	for i, c := range cs {
		if j, ok := last[c.port]; ok {
			prev := cs[j]
			gap := c.start.Sub(prev.closeAt)
			if c.hasSYN && prev.holder.held() && gap >= 0 && gap < ttw {
				reuse++
				if prev.holder.client() {
					reuseClient++
				}
				if prev.holder.server() {
					reuseServer++
				}
				if minReuse < 0 || gap < minReuse {
					minReuse = gap
				}
				if firstReuse == 0 {
					firstReuse, firstReuseConn = c.start, c.id
				}
			}
		}
		last[c.port] = i
		if c.holder.server() {
			serverTW++
		}
	}
	next := map[uint16]flow.Time{}
	var clientTWStarts []flow.Time
	for i := len(cs) - 1; i >= 0; i-- {
		c := cs[i]
		if c.holder.client() {
			end := c.closeAt.Add(ttw)
			if n, ok := next[c.port]; ok && n < end && n >= c.closeAt {
				end = n
			}
			tws = append(tws, interval{c.closeAt, end})
			clientTWStarts = append(clientTWStarts, c.start)
		}
		next[c.port] = c.start
	}
	slices.Sort(clientTWStarts)

	if reuse > 0 {
		holder := "client"
		switch {
		case reuseClient > 0 && reuseServer > 0:
			holder = "both"
		case reuseServer > 0:
			holder = "server"
		}
		f := report.Finding{
			Kind:     KindReuse,
			Severity: report.SeverityWarning,
			Peer:     peerName,
			At:       report.FormatTime(int64(firstReuse)),
			Count:    reuse,
			Summary: fmt.Sprintf("%d connection(s) from %s reused a 4-tuple to %s within TIME_WAIT (shortest %s after the previous close; %s held TIME_WAIT)",
				reuse, p.key.client, p.key.server, minReuse.Round(time.Millisecond), holder),
			Evidence: withRange(map[string]any{
				"reuse_events":          reuse,
				"min_reuse_interval_us": flow.Micros(minReuse),
				"time_wait_holder":      holder,
				"client_held":           reuseClient,
				"server_held":           reuseServer,
				"first_connection":      uint32(firstReuseConn),
			}),
			Advice: "Connections are recycled faster than TIME_WAIT expires: keep connections alive and reuse them, or widen the port range.",
		}
		if reuse == 1 {
			id := uint32(firstReuseConn)
			f.Connection = &id
		}
		out.Emit(f)
	}

	res := result{reuse: reuse}
	// Peak of client-held TIME_WAIT at one instant.
	peak, peakAt := sweep(tws)
	res.peak = peak
	if len(clientTWStarts) < a.cfg.MinConnections {
		return res
	}
	if sev := a.severity(float64(peak) / float64(rangePorts)); sev != "" {
		out.Emit(report.Finding{
			Kind:     KindExhaustion,
			Severity: sev,
			Peer:     peerName,
			At:       report.FormatTime(int64(peakAt)),
			Count:    1,
			Summary: fmt.Sprintf("%s held %d of %d ports to %s in TIME_WAIT at once (%.0f %%)",
				p.key.client, peak, rangePorts, p.key.server, 100*float64(peak)/float64(rangePorts)),
			Evidence: withRange(map[string]any{
				"time_wait_peak": peak,
				"utilization":    round2(float64(peak) / float64(rangePorts)),
				"client_held_tw": len(tws),
				"server_held_tw": serverTW,
				"connections":    len(cs),
			}),
			Advice: "Reuse connections (keep-alive, pooling) so fewer close; widen net.ipv4.ip_local_port_range; add client or server addresses.",
		})
	}
	// New-connection rate of connections the client will hold in TIME_WAIT.
	rate, winStart := a.rateBatch(clientTWStarts)
	demand := rate * ttw.Seconds()
	util := demand / float64(rangePorts)
	if sev := a.severity(util); sev != "" {
		out.Emit(report.Finding{
			Kind:     KindChurn,
			Severity: sev,
			Peer:     peerName,
			At:       report.FormatTime(int64(winStart)),
			Count:    1,
			Summary: fmt.Sprintf("%s opens %.1f connections/s to %s and closes them first: at %s of TIME_WAIT that needs %.0f ports, %.0f %% of %d",
				p.key.client, rate, p.key.server, ttw, demand, 100*util, rangePorts),
			Evidence: withRange(map[string]any{
				"new_conn_rate_per_s": round2(rate),
				"rate_window_us":      flow.Micros(a.cfg.RateWindow),
				"capacity_per_s":      round2(float64(rangePorts) / ttw.Seconds()),
				"ports_needed":        int(math.Round(demand)),
				"utilization":         round2(util),
				"client_held_tw":      len(tws),
				"server_held_tw":      serverTW,
				"connections":         len(cs),
			}),
			Advice: "Reuse connections (HTTP keep-alive, a pool) instead of one per request; or let the server close first, widen the port range, or enable tcp_tw_reuse.",
		})
	}
	return res
}

// rate returns the busiest new-connection rate over RateWindow (over the
// whole span with a 1 s floor when shorter) and where that window starts.
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
		var got, want analysis.Findings
		gr, wr := a.judge(p, &got), a.judgeBatch(p, &want)
		if gr != wr || !reflect.DeepEqual(got, want) {
			t.Fatalf("trial %d: %+v %+v\nsorting every row: %+v %+v", trial, gr, got, wr, want)
		}
	}
}
