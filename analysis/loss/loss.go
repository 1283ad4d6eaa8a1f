package loss

import (
	"fmt"
	"strings"
	"time"

	"connscope/analysis"
	"connscope/analysis/rtt"
	"connscope/flow"
	"connscope/report"
)

// Name is the analyser's name.
const Name = "loss"

// Finding kinds.
const (
	KindRetransmission = "tcp_retransmission"
	KindZeroWindow     = "tcp_zero_window"
)

// Retransmission classes.
const (
	ClassRTO      = "rto"
	ClassFast     = "fast"
	ClassTLP      = "tlp"
	ClassSpurious = "spurious"
	ClassUnknown  = "unknown"
)

var classes = [...]string{ClassRTO, ClassFast, ClassTLP, ClassSpurious, ClassUnknown}

const (
	clRTO = iota
	clFast
	clTLP
	clSpurious
	clUnknown
)

// Limits of the per-direction state.
const (
	MaxRanges = 512
	MaxHoles  = 64
)

// Config holds the thresholds of the analyser. Zero fields take the
// defaults of DefaultConfig.
type Config struct {
	// OOOWindow is T_ooo when the handshake RTT is unknown: a hole filled
	// sooner is reordering (Wireshark's 3 ms).
	OOOWindow time.Duration
	// FastDupAcks is the duplicate ACKs that make a retransmission fast
	// (2, as Wireshark, since some may be missing from the capture; RFC 5681
	// §3.2 DupThresh is 3).
	FastDupAcks int
	// FastWindow is the base window after the last duplicate ACK within
	// which a retransmission is fast (Wireshark's 20 ms), widened by the
	// sender's half RTT and SRTT/4.
	FastWindow time.Duration
	// RTOFraction: a retransmission whose gap since the previous
	// transmission is at least this fraction of the RTO estimate is an RTO.
	RTOFraction float64
	// RTOFloor is the smallest RTO assumed (Linux TCP_RTO_MIN, 200 ms).
	RTOFloor time.Duration
	// TLPMin is the least silence before a tail-loss probe (RFC 8985 §7.2).
	TLPMin time.Duration
	// WarnMinRetrans and WarnFraction make a retransmission finding a
	// warning without RTOs (3 segments and 1 % of the data segments).
	WarnMinRetrans int
	WarnFraction   float64
	// ZeroWindowWarn is the zero-window episode length (or 2·RTT if larger)
	// that makes tcp_zero_window a warning.
	ZeroWindowWarn time.Duration
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{
		OOOWindow:      3 * time.Millisecond,
		FastDupAcks:    2,
		FastWindow:     20 * time.Millisecond,
		RTOFraction:    0.8,
		RTOFloor:       rtt.RTOFloor,
		TLPMin:         10 * time.Millisecond,
		WarnMinRetrans: 3,
		WarnFraction:   0.01,
		ZeroWindowWarn: 200 * time.Millisecond,
	}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.OOOWindow == 0 {
		c.OOOWindow = d.OOOWindow
	}
	if c.FastDupAcks == 0 {
		c.FastDupAcks = d.FastDupAcks
	}
	if c.FastWindow == 0 {
		c.FastWindow = d.FastWindow
	}
	if c.RTOFraction == 0 {
		c.RTOFraction = d.RTOFraction
	}
	if c.RTOFloor == 0 {
		c.RTOFloor = d.RTOFloor
	}
	if c.TLPMin == 0 {
		c.TLPMin = d.TLPMin
	}
	if c.WarnMinRetrans == 0 {
		c.WarnMinRetrans = d.WarnMinRetrans
	}
	if c.WarnFraction == 0 {
		c.WarnFraction = d.WarnFraction
	}
	if c.ZeroWindowWarn == 0 {
		c.ZeroWindowWarn = d.ZeroWindowWarn
	}
	return c
}

// Factory returns the registry entry of the analyser.
func Factory() analysis.Factory {
	return analysis.Factory{
		Name:  Name,
		Doc:   "retransmissions (RTO, fast, tail-loss probe, spurious), reordering, capture gaps, duplicate ACKs and zero-window episodes",
		Kinds: Kinds(),
		New: func(cfg analysis.Config) analysis.Analyzer {
			c := DefaultConfig()
			_ = analysis.ApplyParams(cfg.Params, Name, &c)
			return New(c)
		},
		Options: func() any { c := DefaultConfig(); return &c },
	}
}

// Kinds documents the finding kinds of the analyser.
func Kinds() []analysis.KindDoc {
	return []analysis.KindDoc{
		{
			Kind:     KindRetransmission,
			Severity: report.SeverityWarning,
			Title:    "TCP segments were retransmitted",
			Explain: "A sender re-sent bytes it had sent before because it believed them lost: after a retransmission " +
				"timeout (RTO, at least 200 ms on Linux and doubling on each retry), after duplicate ACKs (fast " +
				"retransmit, RFC 5681), as a tail-loss probe (RFC 8985), or needlessly (spurious: the data had already " +
				"been acknowledged). Every retransmission costs at least a round trip; an RTO stalls the connection.\n\n" +
				"Rule: a segment repeating bytes already seen at the capture point, or filling a hole more than T_ooo " +
				"(half the smallest RTT seen, at least 3 ms) after it opened, is a retransmission. Keep-alives, zero-window probes " +
				"and SYN retries are not. A hole acknowledged by the receiver without ever being filled is capture " +
				"loss and is not counted. Classes: spurious (already ACKed), fast (≥ 2 duplicate ACKs, within " +
				"r_sender + max(20 ms, SRTT/4) of the last), rto (gap ≥ 0.8 × RTO estimate), tlp (highest segment " +
				"after ≥ max(2·SRTT, 10 ms) of silence), else unknown. Warning when any RTO occurred or retransmissions " +
				"are ≥ 3 and ≥ 1 % of data segments; info otherwise.\n\n" +
				"Fix: find where packets are dropped (loss_side: upstream or downstream of the capture point), " +
				"check queues, duplex and shaping; spurious retransmissions point at delayed ACKs or RTT spikes.",
		},
		{
			Kind:     KindZeroWindow,
			Severity: report.SeverityWarning,
			Title:    "A receiver advertised a zero window",
			Explain: "The receiver's buffer was full: it advertised a window of 0 and the sender had to stop until " +
				"the window reopened (probing it with zero-window probes meanwhile). The receiving application " +
				"reads too slowly or its socket buffer is too small.\n\n" +
				"Rule: an episode runs from the first window-0 advertisement (not on SYN, FIN or RST) to the first " +
				"advertisement of at least one MSS. Warning when the longest episode lasted at least max(200 ms, " +
				"2·RTT); info otherwise, since short episodes on fast receivers are benign.\n\n" +
				"Fix: read faster on the side named in the finding (the advertiser), enlarge its receive buffer " +
				"(SO_RCVBUF, net.ipv4.tcp_rmem), or apply back-pressure upstream.",
		},
	}
}

type txRange struct {
	start, end int64
	last       flow.Time
}

type hole struct {
	start, end int64
	at         flow.Time
}

type dirState struct {
	seen   bool
	hiEnd  int64
	ackRel int64 // highest ACK received for this direction's data
	acked  bool
	ackAt  flow.Time
	ranges []txRange
	holes  []hole

	dupCount  int
	lastDupAt flow.Time

	// window advertised by the side sending in this direction
	win      uint16
	winKnown bool
	lastKA   bool // last segment sent in this direction was a keep-alive or probe
	zwStart  flow.Time
	inZW     bool

	dataSegs   int
	retrans    [len(classes)]int
	retransB   int64
	firstRetx  flow.Time
	rtoWait    time.Duration
	maxRTOGap  time.Duration
	upstream   int
	downstream int
	crossed    int
	ackLost    int
	ooo        int
	dupAcks    int // duplicate ACKs sent in this direction
	capGap     int64
	keepAlives int
	probes     int
	winFull    int

	zwEpisodes int
	zwTotal    time.Duration
	zwLongest  time.Duration
	zwFirst    flow.Time
}

type connState struct {
	info *analysis.ConnInfo
	tr   *rtt.Tracker // the connection's shared tracker
	dir  [2]dirState
}

// Recycle implements analysis.Recycler: a closed connection's state is
// reused, keeping small range buffers.
func (cs *connState) Recycle() {
	var ranges [2][]txRange
	for d := range cs.dir {
		if cap(cs.dir[d].ranges) <= 16 {
			ranges[d] = cs.dir[d].ranges[:0]
		}
	}
	*cs = connState{}
	cs.dir[0].ranges, cs.dir[1].ranges = ranges[0], ranges[1]
}

// Analyzer is the loss and flow-control detector.
type Analyzer struct {
	cfg     Config
	conns   analysis.ConnMap[*connState]
	free    analysis.FreeList[connState]
	pending []report.Finding
}

// New returns a loss analyser with cfg (zero fields take defaults).
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

// PreSegment implements analysis.PreSegmentHandler: a segment is judged
// against the connection's tracker as it was before the segment.
func (a *Analyzer) PreSegment(s *analysis.Segment) {
	cs, _ := a.conns.Get(s.Conn.ID)
	if cs == nil {
		cs = a.free.Get()
		a.conns.Put(s.Conn.ID, cs)
	}
	cs.info = s.Conn
	cs.tr = rtt.Of(s.Shared)
	relAck, hasAck := cs.tr.RelAck(s)
	ctl := s.Flags&(analysis.FlagSYN|analysis.FlagFIN|analysis.FlagRST) != 0
	if hasAck && s.Flags&analysis.FlagRST == 0 {
		a.ack(cs, s, relAck, ctl)
	}
	if s.Flags&(analysis.FlagSYN|analysis.FlagRST) == 0 {
		a.window(cs, s, ctl)
	}
	if s.Len > 0 && s.Flags&(analysis.FlagSYN|analysis.FlagRST) == 0 {
		a.data(cs, s)
	} else {
		cs.dir[s.Dir].lastKA = false
	}
}

// ack handles the acknowledgment carried by s for the opposite direction.
func (a *Analyzer) ack(cs *connState, s *analysis.Segment, relAck int64, ctl bool) {
	r := &cs.dir[s.Dir.Reverse()]
	if !r.seen {
		return
	}
	if !r.acked || relAck > r.ackRel {
		r.ackRel, r.acked, r.ackAt = relAck, true, s.Time
		r.dupCount = 0
		// Holes the receiver acknowledged without the bytes ever passing
		// the capture point are capture loss (Wireshark "ACKed unseen
		// segment"), not network loss.
		k := 0
		for _, h := range r.holes {
			if h.start < relAck {
				r.capGap += min(h.end, relAck) - h.start
				h.start = min(h.end, relAck)
			}
			if h.start < h.end {
				r.holes[k] = h
				k++
			}
		}
		r.holes = r.holes[:k]
		k = 0
		for _, tx := range r.ranges {
			if tx.end > relAck {
				r.ranges[k] = tx
				k++
			}
		}
		r.ranges = r.ranges[:k]
		return
	}
	if relAck != r.ackRel || ctl || s.Len != 0 {
		return
	}
	d := &cs.dir[s.Dir]
	own := d.winKnown && s.Window == d.win && s.Window != 0 && r.hiEnd > relAck && !r.lastKA
	if s.Kind == analysis.SegDupAck || own {
		r.dupCount++
		r.lastDupAt = s.Time
		d.dupAcks++
	}
}

// window tracks zero-window episodes of the side sending s.
func (a *Analyzer) window(cs *connState, s *analysis.Segment, ctl bool) {
	d := &cs.dir[s.Dir]
	defer func() { d.win, d.winKnown = s.Window, true }()
	if ctl && s.Window == 0 {
		return
	}
	if s.Window == 0 {
		if !d.inZW {
			d.inZW, d.zwStart = true, s.Time
			if d.zwEpisodes == 0 {
				d.zwFirst = s.Time
			}
			d.zwEpisodes++
		}
		return
	}
	if !d.inZW {
		return
	}
	scale := cs.info.WScale[s.Dir]
	if scale < 0 || int64(s.Window)<<scale >= int64(cs.tr.MSS()) {
		a.endZW(d, s.Time)
	}
}

func (a *Analyzer) endZW(d *dirState, t flow.Time) {
	dur := t.Sub(d.zwStart)
	d.inZW = false
	d.zwTotal += dur
	if dur > d.zwLongest {
		d.zwLongest = dur
	}
}

// data classifies a segment carrying payload.
func (a *Analyzer) data(cs *connState, s *analysis.Segment) {
	d := &cs.dir[s.Dir]
	peer := &cs.dir[s.Dir.Reverse()]
	start, end := s.RelSeq, s.RelSeq+int64(s.Len)
	ka := s.Kind == analysis.SegKeepAlive || (d.seen && s.Len <= 1 && start == d.hiEnd-1)
	zwp := s.Kind == analysis.SegZeroWindowProbe || (d.seen && s.Len == 1 && start == d.hiEnd && peer.winKnown && peer.win == 0)
	d.lastKA = ka || zwp
	if ka {
		d.keepAlives++
		return
	}
	if zwp {
		d.probes++
		if d.seen && start < d.hiEnd {
			return
		}
	}
	d.dataSegs++
	if !d.seen || start >= d.hiEnd {
		if d.seen && start > d.hiEnd {
			if len(d.holes) >= MaxHoles {
				d.holes = d.holes[1:]
			}
			d.holes = append(d.holes, hole{start: d.hiEnd, end: start, at: s.Time})
		}
		a.windowFull(cs, s, end)
		d.addRange(start, end, s.Time)
		d.hiEnd, d.seen = end, true
		return
	}
	// Some bytes lie below the highest seen: a hole fill or a retransmission.
	if filled, at := d.fill(start, end); filled {
		tooo := a.oooWindow(cs)
		if s.Time.Sub(at) < tooo {
			d.ooo++
		} else {
			d.upstream++
			a.retrans(cs, s, d, a.classify(cs, s, d, start, end, at))
		}
	} else {
		d.downstream++
		var last flow.Time
		for i := range d.ranges {
			if d.ranges[i].start <= start && start < d.ranges[i].end {
				last = d.ranges[i].last
			}
		}
		a.retrans(cs, s, d, a.classify(cs, s, d, start, end, last))
	}
	d.addRange(start, end, s.Time)
	if end > d.hiEnd {
		d.hiEnd = end
	}
}

// oooWindow is T_ooo: a hole filled sooner than this after it opened was
// reordered by the network; later, the sender retransmitted it. A sender
// learns of a loss no sooner than about one round trip after the original
// passed the capture point (Mellia et al.), so half the smallest RTT known
// (handshake or data samples) separates the two with a margin for jitter;
// Config.OOOWindow (3 ms, Wireshark's default) is the floor.
func (a *Analyzer) oooWindow(cs *connState) time.Duration {
	w := a.cfg.OOOWindow
	r := rtt.HandshakeRTT(cs.info)
	if m, ok := cs.tr.MinRTT(); ok && (r <= 0 || m < r) {
		r = m
	}
	if r/2 > w {
		w = r / 2
	}
	return w
}

// fill removes [start,end) from the holes and reports whether it filled any,
// with the time the first filled hole opened.
func (d *dirState) fill(start, end int64) (bool, flow.Time) {
	filled := false
	var at flow.Time
	var out []hole
	for _, h := range d.holes {
		if end <= h.start || start >= h.end {
			out = append(out, h)
			continue
		}
		if !filled {
			filled, at = true, h.at
		}
		if h.start < start {
			out = append(out, hole{h.start, start, h.at})
		}
		if end < h.end {
			out = append(out, hole{end, h.end, h.at})
		}
	}
	d.holes = append(d.holes[:0], out...)
	return filled, at
}

func (d *dirState) addRange(start, end int64, t flow.Time) {
	for i := range d.ranges {
		if d.ranges[i].start == start && d.ranges[i].end == end {
			d.ranges[i].last = t
			return
		}
	}
	if len(d.ranges) >= MaxRanges {
		d.ranges = d.ranges[1:]
	}
	d.ranges = append(d.ranges, txRange{start, end, t})
}

// classify applies the precedence of detection-methods §2.1 rule 2–5.
// prev is the time of the previous transmission of the range (0 unknown).
func (a *Analyzer) classify(cs *connState, s *analysis.Segment, d *dirState, start, end int64, prev flow.Time) int {
	half, _, _ := cs.tr.Half(s.Dir)
	if d.acked && end <= d.ackRel {
		if s.Time.Sub(d.ackAt) < half {
			d.crossed++
		} else {
			d.ackLost++
		}
		return clSpurious
	}
	srtt, _, hasSRTT := cs.tr.SRTT(s.Dir)
	if d.acked && start == d.ackRel && d.dupCount >= a.cfg.FastDupAcks &&
		s.Time.Sub(d.lastDupAt) <= half+max(a.cfg.FastWindow, srtt/4) {
		return clFast
	}
	if prev == 0 {
		prev = cs.tr.LastData(s.Dir)
	}
	if prev == 0 {
		return clUnknown
	}
	gap := s.Time.Sub(prev)
	rto := cs.tr.RTO(s.Dir, a.cfg.RTOFloor)
	if float64(gap) >= a.cfg.RTOFraction*float64(rto) {
		d.rtoWait += gap
		if gap > d.maxRTOGap {
			d.maxRTOGap = gap
		}
		return clRTO
	}
	tlpGap := a.cfg.TLPMin
	if hasSRTT {
		tlpGap = max(tlpGap, 2*srtt)
	}
	if end >= d.hiEnd && d.dupCount == 0 && gap >= tlpGap {
		return clTLP
	}
	return clUnknown
}

func (a *Analyzer) retrans(cs *connState, s *analysis.Segment, d *dirState, class int) {
	d.retrans[class]++
	d.retransB += int64(s.Len)
	if d.firstRetx == 0 {
		d.firstRetx = s.Time
	}
}

// windowFull counts data reaching the peer's advertised right edge
// (Wireshark "window full"; scale known only).
func (a *Analyzer) windowFull(cs *connState, s *analysis.Segment, end int64) {
	d := &cs.dir[s.Dir]
	peer := &cs.dir[s.Dir.Reverse()]
	scale := cs.info.WScale[s.Dir.Reverse()]
	if scale < 0 || !d.acked || !peer.winKnown || peer.win == 0 {
		return
	}
	if end >= d.ackRel+int64(peer.win)<<scale {
		d.winFull++
	}
}

// ConnClosed implements analysis.ConnHandler.
func (a *Analyzer) ConnClosed(c *analysis.ConnClosed) {
	cs, _ := a.conns.Get(c.Conn.ID)
	a.conns.Delete(c.Conn.ID)
	if cs == nil {
		return
	}
	cs.info = c.Conn
	cs.tr = rtt.Of(c.Shared)
	a.conclude(cs, c.End)
	a.free.Put(cs)
}

// Pending implements analysis.PendingReporter: the findings of the
// connections closed so far.
func (a *Analyzer) Pending(out analysis.Emitter) {
	for _, f := range a.pending {
		out.Emit(f)
	}
}

// Finish implements analysis.Analyzer: it emits the findings of closed
// connections (and of any still open, in id order).
func (a *Analyzer) Finish(_ *report.Report, out analysis.Emitter) {
	for _, cs := range a.conns.All() {
		if cs.tr == nil { // no segment
			cs.tr = new(rtt.Tracker)
		}
		a.conclude(cs, lastTime(cs))
	}
	a.conns.Clear()
	for _, f := range a.pending {
		out.Emit(f)
	}
	a.pending = nil
}

func lastTime(cs *connState) flow.Time {
	return max(cs.tr.LastData(0), cs.tr.LastData(1), cs.dir[0].ackAt, cs.dir[1].ackAt)
}

func sideName(d flow.Dir) string {
	if d == flow.ClientToServer {
		return "client"
	}
	return "server"
}

// connRef returns a finding's connection reference. Taking the address of
// a parameter instead would move it to the heap on every call, including
// the calls for connections with nothing to report.
func connRef(id uint32) *uint32 { return &id }

func dirName(d flow.Dir) string {
	if d == flow.ClientToServer {
		return "client_to_server"
	}
	return "server_to_client"
}

func (a *Analyzer) conclude(cs *connState, end flow.Time) {
	id := uint32(cs.info.ID)
	for d := range cs.dir {
		if cs.dir[d].inZW {
			a.endZW(&cs.dir[d], max(end, cs.dir[d].zwStart))
		}
	}
	if f, ok := a.retransFinding(cs, id); ok {
		a.pending = append(a.pending, f)
	}
	if f, ok := a.zeroWindowFinding(cs, id); ok {
		a.pending = append(a.pending, f)
	}
}

func (a *Analyzer) retransFinding(cs *connState, id uint32) (report.Finding, bool) {
	var byClass [len(classes)]int
	total, dataSegs := 0, 0
	var bytes int64
	var first flow.Time
	var rtoWait, maxGap time.Duration
	var perDirN [2]int
	sum := struct{ up, down, crossed, ackLost, ooo, dup, ka, probes int }{}
	var capGap int64
	var dirs []string
	for d := flow.Dir(0); d < 2; d++ {
		ds := &cs.dir[d]
		n := 0
		for c := range classes {
			byClass[c] += ds.retrans[c]
			n += ds.retrans[c]
		}
		total += n
		dataSegs += ds.dataSegs
		bytes += ds.retransB
		if ds.firstRetx != 0 && (first == 0 || ds.firstRetx < first) {
			first = ds.firstRetx
		}
		rtoWait += ds.rtoWait
		maxGap = max(maxGap, ds.maxRTOGap)
		perDirN[d] = n
		if n > 0 {
			dirs = append(dirs, sideName(d)+"→"+sideName(d.Reverse()))
		}
		sum.up += ds.upstream
		sum.down += ds.downstream
		sum.crossed += ds.crossed
		sum.ackLost += ds.ackLost
		sum.ooo += ds.ooo
		sum.dup += ds.dupAcks
		sum.ka += ds.keepAlives
		sum.probes += ds.probes
		capGap += ds.capGap
	}
	if total == 0 {
		return report.Finding{}, false
	}
	perDir := map[string]any{dirName(0): perDirN[0], dirName(1): perDirN[1]}
	ev := map[string]any{}
	cls := map[string]any{}
	var parts []string
	for c, name := range classes {
		cls[name] = byClass[c]
		if byClass[c] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", byClass[c], name))
		}
	}
	ev["retransmissions"] = total
	ev["retransmitted_bytes"] = bytes
	ev["by_class"] = cls
	ev["by_direction"] = perDir
	ev["data_segments"] = dataSegs
	ev["loss_upstream"] = sum.up
	ev["loss_downstream"] = sum.down
	ev["spurious_crossed"] = sum.crossed
	ev["spurious_ack_lost_or_ignored"] = sum.ackLost
	ev["out_of_order"] = sum.ooo
	ev["dup_acks"] = sum.dup
	ev["keep_alives"] = sum.ka
	ev["zero_window_probes"] = sum.probes
	ev["capture_gap_bytes"] = capGap
	ev["rto_wait_us"] = flow.Micros(rtoWait)
	ev["max_rto_gap_us"] = flow.Micros(maxGap)
	sev := report.SeverityInfo
	if byClass[clRTO] > 0 || (total >= a.cfg.WarnMinRetrans && float64(total) >= a.cfg.WarnFraction*float64(dataSegs)) {
		sev = report.SeverityWarning
	}
	advice := "Find where packets are dropped: loss_downstream counts losses after the capture point, loss_upstream before it; check link errors, queue overflows and shaping on that path."
	if byClass[clSpurious] > 0 && byClass[clSpurious]*2 >= total {
		advice = "Most retransmissions were spurious (the data had already been acknowledged): look for delayed or lost ACKs and RTT spikes that fire the sender's timers early."
	}
	return report.Finding{
		Kind:       KindRetransmission,
		Severity:   sev,
		Connection: connRef(id),
		At:         report.FormatTime(int64(first)),
		DurationUS: flow.Micros(rtoWait),
		Count:      total,
		Summary:    fmt.Sprintf("%d retransmitted segments (%s) %s", total, strings.Join(parts, ", "), strings.Join(dirs, " and ")),
		Evidence:   ev,
		Advice:     advice,
	}, true
}

func (a *Analyzer) zeroWindowFinding(cs *connState, id uint32) (report.Finding, bool) {
	episodes, probes, winFull := 0, 0, 0
	var total, longest time.Duration
	var first flow.Time
	var sides []string
	for d := flow.Dir(0); d < 2; d++ {
		ds := &cs.dir[d]
		winFull += ds.winFull
		if ds.zwEpisodes == 0 {
			continue
		}
		episodes += ds.zwEpisodes
		total += ds.zwTotal
		longest = max(longest, ds.zwLongest)
		probes += cs.dir[d.Reverse()].probes
		if first == 0 || ds.zwFirst < first {
			first = ds.zwFirst
		}
		sides = append(sides, sideName(d))
	}
	if episodes == 0 {
		return report.Finding{}, false
	}
	side := strings.Join(sides, "+")
	if len(sides) == 2 {
		side = "both"
	}
	warnAt := a.cfg.ZeroWindowWarn
	if m, ok := cs.tr.MinRTT(); ok {
		warnAt = max(warnAt, 2*m)
	}
	sev := report.SeverityInfo
	if longest >= warnAt {
		sev = report.SeverityWarning
	}
	return report.Finding{
		Kind:       KindZeroWindow,
		Severity:   sev,
		Connection: connRef(id),
		At:         report.FormatTime(int64(first)),
		DurationUS: flow.Micros(total),
		Count:      episodes,
		Summary: fmt.Sprintf("the %s advertised a zero window %d time(s), %s in total (longest %s)",
			side, episodes, total.Round(time.Microsecond), longest.Round(time.Microsecond)),
		Evidence: map[string]any{
			"side":           side,
			"episodes":       episodes,
			"total_us":       flow.Micros(total),
			"longest_us":     flow.Micros(longest),
			"probes":         probes,
			"sender_blocked": probes > 0,
			"window_full":    winFull,
			"warn_at_us":     flow.Micros(warnAt),
		},
		Advice: "The " + side + " application reads too slowly or its receive buffer is too small: read faster, enlarge SO_RCVBUF / net.ipv4.tcp_rmem, or apply back-pressure upstream.",
	}, true
}
