package slowstart

import (
	"fmt"
	"math"
	"time"

	"connscope/analysis"
	"connscope/analysis/rtt"
	"connscope/flow"
	"connscope/report"
)

// Name is the analyser's name.
const Name = "slowstart"

// Finding kinds.
const (
	KindBound   = "tcp_slow_start_bound"
	KindRestart = "tcp_slow_start_restart"
)

// Constants of the round inference.
const (
	// Tolerance is τ: a round ends r_A·(1−τ) after the ACK of its first byte.
	Tolerance = 0.2
	// MaxRounds caps the flights kept per transfer.
	MaxRounds = 64
	// DefaultIWSegments is the initial window assumed when it was not seen
	// (RFC 6928, Linux TCP_INIT_CWND).
	DefaultIWSegments = 10
	// RWndFraction: a round whose flight reaches this fraction of the
	// receiver's advertised window is receiver-window limited.
	RWndFraction = 0.9
)

// Config holds the thresholds; zero fields take DefaultConfig's values.
type Config struct {
	// MinRTT is the least RTT for either rule (2 ms).
	MinRTT time.Duration
	// MinRounds is the least rounds of a slow-start-bound transfer (3).
	MinRounds int
	// GrowthFactor is the least flight growth per slow-start round (1.5).
	GrowthFactor float64
	// AppLimitSlack is how much later than r_A new data may follow an ACK
	// before the sender counts as application-limited (5 ms, or RTT/4 when
	// larger).
	AppLimitSlack time.Duration
	// RTOFloor is the smallest RTO assumed (Linux TCP_RTO_MIN, 200 ms).
	RTOFloor time.Duration
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{MinRTT: 2 * time.Millisecond, MinRounds: 3, GrowthFactor: 1.5, AppLimitSlack: 5 * time.Millisecond, RTOFloor: rtt.RTOFloor}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.MinRTT == 0 {
		c.MinRTT = d.MinRTT
	}
	if c.MinRounds == 0 {
		c.MinRounds = d.MinRounds
	}
	if c.GrowthFactor == 0 {
		c.GrowthFactor = d.GrowthFactor
	}
	if c.AppLimitSlack == 0 {
		c.AppLimitSlack = d.AppLimitSlack
	}
	if c.RTOFloor == 0 {
		c.RTOFloor = d.RTOFloor
	}
	return c
}

// Factory returns the registry entry of the analyser.
func Factory() analysis.Factory {
	return analysis.Factory{
		Name:  Name,
		Doc:   "flights by the ACK clock: transfers that never left slow start and window restarts after idle",
		Kinds: Kinds(),
		New: func(cfg analysis.Config) analysis.Analyzer {
			c := DefaultConfig()
			_ = analysis.ApplyParams(cfg.Params, Name, &c)
			return New(c)
		},
		Options: func() any { c := DefaultConfig(); return &c },
	}
}

// Kinds documents the finding kinds.
func Kinds() []analysis.KindDoc {
	return []analysis.KindDoc{
		{
			Kind: KindBound, Severity: report.SeverityInfo,
			Title: "A transfer ended while the new connection was still in slow start",
			Explain: "A new TCP connection starts with a small congestion window (10 segments, about 14 KB, on " +
				"current Linux) and roughly doubles it every round trip (slow start, RFC 5681 §3.1). A response of a " +
				"few hundred KB on a fresh connection therefore takes several round trips even on a fast path: its " +
				"time is bound by the RTT, not the bandwidth.\n\n" +
				"Rule: on a connection whose handshake was seen, the sender's first transfer took at least 3 rounds " +
				"(flights, found with the ACK clock), every complete round grew at least 1.5× and 2 MSS, the sender " +
				"always had data ready when ACKs arrived, nothing was retransmitted, the receiver window never " +
				"limited it, and the RTT was at least 2 ms. overhead_us ≈ (rounds − 1) × RTT.\n\n" +
				"Fix: reuse warm connections (keep-alive, HTTP/2), raise the initial window (ip route … initcwnd) on " +
				"the server, or move content closer to clients.",
		},
		{
			Kind: KindRestart, Severity: report.SeverityWarning,
			Title: "The congestion window was reset after an idle period",
			Explain: "After a connection sits idle for longer than its retransmission timeout, TCP shrinks the " +
				"congestion window again (RFC 5681 §4.1, RFC 7661; Linux halves it per RTO of idle, down to the " +
				"initial window, when net.ipv4.tcp_slow_start_after_idle=1, the default). The next response on a " +
				"kept-alive connection then slow-starts again and takes extra round trips.\n\n" +
				"Rule: idle (all data acknowledged until the next data, minus the sender's half RTT) longer than the " +
				"RTO estimate (200 ms floor); the first flight after it complete and at most max(2 × IW, cwnd_before >> " +
				"⌊idle/RTO⌋) + 1 MSS and at most a quarter of the largest flight before, which was at least 2 × IW; " +
				"RTT at least 2 ms. (Linux with cubic restarts at IW; BBR and paced senders restart a little above " +
				"it.)\n\n" +
				"Fix: on Linux senders set net.ipv4.tcp_slow_start_after_idle=0 for long-lived connections that " +
				"idle between bursts, or keep the connection busy.",
		},
	}
}

type round struct {
	start int64
	first flow.Time
	bytes int64
	ackAt flow.Time
	lag   time.Duration // first data after the previous round's ACK, r_A not subtracted
}

type transfer struct {
	startAt    flow.Time
	fresh      bool
	idle       time.Duration // before this transfer (r_A subtracted)
	rto        time.Duration
	rounds     []round
	nRounds    int
	bytes      int64
	loss       bool
	appLimited bool
	rwnd       bool
	judgedRST  bool
}

type dirState struct {
	seen       bool
	hiEnd      int64
	drained    bool
	drainAt    flow.Time
	cur        transfer // the current transfer, when open
	open       bool
	transfers  int
	iw         int64 // first flight of a fresh connection
	cwndBefore int64 // largest complete flight so far

	// The findings so far, kept by pointer: most connections have none,
	// and a Finding inline is a few hundred bytes per direction of every
	// open connection.
	bound        int
	boundF       *report.Finding
	restarts     int
	restartF     *report.Finding
	restartTotal time.Duration
}

type connState struct {
	info *analysis.ConnInfo
	tr   *rtt.Tracker // the connection's shared tracker
	dir  [2]dirState
	win  [2]uint16
	hasW [2]bool
}

// Recycle implements analysis.Recycler: a closed connection's state is
// reused, keeping small round buffers.
func (cs *connState) Recycle() {
	var rounds [2][]round
	for d := range cs.dir {
		if cap(cs.dir[d].cur.rounds) <= 16 {
			rounds[d] = cs.dir[d].cur.rounds[:0]
		}
	}
	*cs = connState{}
	cs.dir[0].cur.rounds, cs.dir[1].cur.rounds = rounds[0], rounds[1]
}

// start opens transfer t, reusing the round buffer of the last one.
func (d *dirState) start(t transfer) {
	rounds := d.cur.rounds[:0]
	d.cur, d.open = t, true
	d.cur.rounds = rounds
}

// Analyzer is the slow-start detector.
type Analyzer struct {
	cfg     Config
	conns   analysis.ConnMap[*connState]
	free    analysis.FreeList[connState]
	pending []report.Finding
}

// New returns a slow-start detector (zero Config fields take defaults).
func New(cfg Config) *Analyzer {
	return &Analyzer{cfg: cfg.withDefaults()}
}

// Name implements analysis.Analyzer.
func (a *Analyzer) Name() string { return Name }

// NewSeqState implements analysis.SeqStateUser.
func (a *Analyzer) NewSeqState() analysis.SeqState { return rtt.NewSeqState() }

// ConnOpened implements analysis.ConnHandler.
func (a *Analyzer) ConnOpened(c *analysis.ConnInfo) {
	cs := a.free.Get()
	cs.info = c
	a.conns.Put(c.ID, cs)
}

// Segment implements analysis.SegmentHandler.
func (a *Analyzer) Segment(s *analysis.Segment) {
	cs, _ := a.conns.Get(s.Conn.ID)
	if cs == nil {
		cs = a.free.Get()
		a.conns.Put(s.Conn.ID, cs)
	}
	cs.info = s.Conn
	// The tracker has seen s; s's acknowledgment is in the opposite
	// direction's space, which s did not move.
	cs.tr = rtt.Of(s.Shared)
	relAck, hasAck := cs.tr.RelAck(s)
	if s.Flags&analysis.FlagRST != 0 {
		return
	}
	if s.Flags&analysis.FlagSYN == 0 {
		cs.win[s.Dir], cs.hasW[s.Dir] = s.Window, true
	}
	if hasAck {
		a.ack(cs, s, relAck)
	}
	if s.Len > 0 && s.Flags&analysis.FlagSYN == 0 && s.Kind != analysis.SegKeepAlive && s.Kind != analysis.SegZeroWindowProbe {
		a.data(cs, s)
	}
}

func (a *Analyzer) ack(cs *connState, s *analysis.Segment, relAck int64) {
	d := &cs.dir[s.Dir.Reverse()]
	if !d.seen || !d.open {
		return
	}
	t := &d.cur
	if n := len(t.rounds); n > 0 {
		r := &t.rounds[n-1]
		if r.ackAt == 0 && relAck > r.start {
			r.ackAt = s.Time
		}
	}
	if relAck >= d.hiEnd && !d.drained {
		d.drained, d.drainAt = true, s.Time
	}
}

func (a *Analyzer) slack(cs *connState) time.Duration {
	sl := a.cfg.AppLimitSlack
	if m, ok := cs.tr.MinRTT(); ok {
		sl = max(sl, m/4)
	}
	return sl
}

func (a *Analyzer) data(cs *connState, s *analysis.Segment) {
	dir := s.Dir
	d := &cs.dir[dir]
	start, end := s.RelSeq, s.RelSeq+int64(s.Len)
	if d.seen && start < d.hiEnd {
		// A retransmission (or a reordered fill): the window was cut or
		// the flight is ambiguous.
		if d.open {
			d.cur.loss = true
		}
		if end > d.hiEnd {
			d.hiEnd = end
		}
		return
	}
	rA, _, _ := cs.tr.Half(dir)
	switch {
	case !d.open:
		d.start(transfer{startAt: s.Time, fresh: cs.info.SYN != 0})
	case d.drained:
		gap := s.Time.Sub(d.drainAt) - rA
		rto := cs.tr.RTO(dir, a.cfg.RTOFloor)
		if gap > rto {
			a.endTransfer(cs, dir)
			d.start(transfer{startAt: s.Time, idle: gap, rto: rto})
		} else if gap > a.slack(cs) {
			d.cur.appLimited = true
		}
	}
	d.drained = false
	t := &d.cur
	n := len(t.rounds)
	if n == 0 || (t.rounds[n-1].ackAt != 0 && s.Time >= t.rounds[n-1].ackAt.Add(time.Duration(float64(rA)*(1-Tolerance)))) {
		if n == 1 && t.idle > 0 && s.Time.Sub(t.rounds[0].ackAt) <= rA+a.restartSlack(cs) {
			a.judgeRestart(cs, dir, t)
		}
		if n > 0 {
			a.checkRwnd(cs, dir, &t.rounds[n-1])
		}
		t.nRounds++
		if n < MaxRounds {
			r := round{start: start, first: s.Time}
			if n > 0 {
				r.lag = s.Time.Sub(t.rounds[n-1].ackAt)
			}
			t.rounds = append(t.rounds, r)
		}
	}
	if len(t.rounds) > 0 && t.nRounds <= MaxRounds {
		t.rounds[len(t.rounds)-1].bytes += int64(s.Len)
	}
	t.bytes += int64(s.Len)
	d.hiEnd, d.seen = end, true
}

// checkRwnd marks the transfer receiver-window limited when a finished
// round's flight reached RWndFraction of the peer's advertised window.
func (a *Analyzer) checkRwnd(cs *connState, dir flow.Dir, r *round) {
	peer := dir.Reverse()
	scale := cs.info.WScale[peer]
	if scale < 0 || !cs.hasW[peer] {
		return
	}
	if float64(r.bytes) >= RWndFraction*float64(int64(cs.win[peer])<<scale) {
		cs.dir[dir].cur.rwnd = true
	}
}

// cwndLimited reports whether round k (k ≥ 1) followed its releasing ACK
// within r_A + slack.
func (a *Analyzer) cwndLimited(cs *connState, dir flow.Dir, r *round) bool {
	rA, _, _ := cs.tr.Half(dir)
	return r.lag <= rA+a.slack(cs)
}

func (a *Analyzer) iw(cs *connState, dir flow.Dir) (int64, string) {
	if d := &cs.dir[dir]; d.iw > 0 {
		return d.iw, "observed"
	}
	return int64(DefaultIWSegments * cs.tr.MSS()), "assumed"
}

// RestartIWFactor is how many initial windows the first post-idle flight
// may reach and still count as a restart.
const RestartIWFactor = 2

// restartSlack is how late after its releasing ACK the second post-idle
// round may start and the first still count as window-limited: the usual
// slack, widened to half the minimum RTT because senders pace their first
// rounds after idle.
func (a *Analyzer) restartSlack(cs *connState) time.Duration {
	sl := a.slack(cs)
	if m, ok := cs.tr.MinRTT(); ok && m/2 > sl {
		sl = m / 2
	}
	return sl
}

// judgeRestart runs when the second round of a post-idle transfer starts
// promptly after the first round's ACK: the first post-idle flight was then
// complete and cwnd-limited.
func (a *Analyzer) judgeRestart(cs *connState, dir flow.Dir, t *transfer) {
	d := &cs.dir[dir]
	if t.judgedRST || len(t.rounds) != 1 {
		return
	}
	t.judgedRST = true
	minRTT, ok := cs.tr.MinRTT()
	if !ok || minRTT < a.cfg.MinRTT || t.rto <= 0 {
		return
	}
	after := t.rounds[0].bytes
	before := d.cwndBefore
	iw, iwSrc := a.iw(cs, dir)
	mss := int64(cs.tr.MSS())
	if before < 2*iw {
		return
	}
	shift := int(t.idle / t.rto)
	allowed := before
	if shift >= 63 {
		allowed = 0
	} else {
		allowed >>= shift
	}
	// Linux halves the window per RTO of idle down to the initial window
	// (tcp_cwnd_restart); other congestion controls (BBR's idle restart,
	// pacing) land near but not exactly on it. Accept up to twice the
	// initial window, provided the flight collapsed to a quarter or less of
	// what the connection had reached.
	if after > max(RestartIWFactor*iw, allowed)+mss || after*4 > before {
		return
	}
	extra := int(math.Ceil(math.Log2(float64(before) / float64(max(after, 1)))))
	cost := time.Duration(extra) * minRTT
	d.restarts++
	d.restartTotal += cost
	if d.restarts > 1 {
		return
	}
	id := uint32(cs.info.ID)
	d.restartF = &report.Finding{
		Kind:       KindRestart,
		Severity:   report.SeverityWarning,
		Connection: &id,
		At:         report.FormatTime(int64(t.startAt)),
		Summary: fmt.Sprintf("after %s idle the %s restarted from a %d-byte flight (it had reached %d bytes): about %d extra round trip(s)",
			t.idle.Round(time.Millisecond), side(dir), after, before, extra),
		Evidence: map[string]any{
			"direction":     dirName(dir),
			"idle_us":       flow.Micros(t.idle),
			"rto_est_us":    flow.Micros(t.rto),
			"flight_before": before,
			"flight_after":  after,
			"iw_bytes":      iw,
			"iw_source":     iwSrc,
			"rtt_us":        flow.Micros(minRTT),
			"extra_rounds":  extra,
			"cost_us":       flow.Micros(cost),
		},
		Advice: "On the " + side(dir) + " (a Linux sender), set net.ipv4.tcp_slow_start_after_idle=0 for connections that idle between bursts, or keep them busy.",
	}
}

// endTransfer closes A's current transfer: it updates cwnd_before and IW
// and judges the slow-start-bound rule.
func (a *Analyzer) endTransfer(cs *connState, dir flow.Dir) {
	d := &cs.dir[dir]
	if !d.open {
		return
	}
	t := &d.cur
	d.open = false
	d.transfers++
	rs := t.rounds
	if d.transfers == 1 && t.fresh && len(rs) > 1 {
		d.iw = rs[0].bytes
	}
	for k := 0; k+1 < len(rs); k++ {
		if a.cwndLimited(cs, dir, &rs[k+1]) {
			d.cwndBefore = max(d.cwndBefore, rs[k].bytes)
		}
	}
	if d.transfers != 1 || !t.fresh || !d.drained || t.loss || t.appLimited || t.rwnd {
		return
	}
	n := t.nRounds
	if n < a.cfg.MinRounds || n > len(rs) {
		return
	}
	minRTT, ok := cs.tr.MinRTT()
	if !ok || minRTT < a.cfg.MinRTT {
		return
	}
	mss := int64(cs.tr.MSS())
	for k := 1; k < n; k++ {
		if !a.cwndLimited(cs, dir, &rs[k]) {
			return
		}
		if k+1 < n { // both rounds complete
			g := float64(rs[k].bytes) / float64(max(rs[k-1].bytes, 1))
			if g < a.cfg.GrowthFactor || rs[k].bytes-rs[k-1].bytes < 2*mss {
				return
			}
		}
	}
	flights := make([]int64, n)
	for k := range flights {
		flights[k] = rs[k].bytes
	}
	iw := rs[0].bytes
	overhead := time.Duration(n-1) * minRTT
	ideal := int(math.Ceil(math.Log2(float64(t.bytes)/float64(max(iw, 1)) + 1)))
	id := uint32(cs.info.ID)
	d.bound++
	d.boundF = &report.Finding{
		Kind:       KindBound,
		Severity:   report.SeverityInfo,
		Connection: &id,
		At:         report.FormatTime(int64(t.startAt)),
		DurationUS: flow.Micros(overhead),
		Summary: fmt.Sprintf("the %s's first transfer of %d bytes took %d round trips in slow start (initial flight %d bytes): about %s spent waiting for the window to grow",
			side(dir), t.bytes, n, iw, overhead.Round(time.Millisecond)),
		Evidence: map[string]any{
			"direction":      dirName(dir),
			"transfer_bytes": t.bytes,
			"rounds":         n,
			"flights":        flights,
			"iw_bytes":       iw,
			"iw_segments":    int((iw + mss - 1) / mss),
			"ideal_rounds":   ideal,
			"mss":            mss,
			"rtt_us":         flow.Micros(minRTT),
			"overhead_us":    flow.Micros(overhead),
		},
		Advice: "Reuse warm connections (keep-alive, HTTP/2) for such transfers, or raise the server's initial congestion window (ip route … initcwnd).",
	}
}

func side(d flow.Dir) string {
	if d == flow.ClientToServer {
		return "client"
	}
	return "server"
}

func dirName(d flow.Dir) string {
	if d == flow.ClientToServer {
		return "client_to_server"
	}
	return "server_to_client"
}

// ConnClosed implements analysis.ConnHandler.
func (a *Analyzer) ConnClosed(c *analysis.ConnClosed) {
	cs, _ := a.conns.Get(c.Conn.ID)
	a.conns.Delete(c.Conn.ID)
	if cs != nil {
		cs.info = c.Conn
		cs.tr = rtt.Of(c.Shared)
		a.conclude(cs)
		a.free.Put(cs)
	}
}

func (a *Analyzer) conclude(cs *connState) {
	for dir := flow.Dir(0); dir < 2; dir++ {
		a.endTransfer(cs, dir)
		d := &cs.dir[dir]
		if d.bound > 0 {
			a.pending = append(a.pending, *d.boundF)
		}
		if d.restarts > 0 {
			f := *d.restartF
			f.Count = d.restarts
			f.DurationUS = flow.Micros(d.restartTotal)
			a.pending = append(a.pending, f)
		}
	}
}

// Pending implements analysis.PendingReporter: the findings of the
// connections closed so far.
func (a *Analyzer) Pending(out analysis.Emitter) {
	for _, f := range a.pending {
		out.Emit(f)
	}
}

// Finish implements analysis.Analyzer.
func (a *Analyzer) Finish(_ *report.Report, out analysis.Emitter) {
	for _, cs := range a.conns.All() {
		if cs.tr == nil { // no segment
			cs.tr = new(rtt.Tracker)
		}
		a.conclude(cs)
	}
	a.conns.Clear()
	for _, f := range a.pending {
		out.Emit(f)
	}
	a.pending = nil
}
