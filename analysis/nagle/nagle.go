package nagle

import (
	"fmt"
	"time"

	"connscope/analysis"
	"connscope/analysis/rtt"
	"connscope/flow"
	"connscope/report"
)

// Name is the analyser's name.
const Name = "nagle"

// KindStall is the finding kind.
const KindStall = "tcp_nagle_delayed_ack_stall"

// Ranges of the ack_delay_class evidence.
const (
	LinuxLikeLo   = 35 * time.Millisecond
	LinuxLikeHi   = 60 * time.Millisecond
	WindowsLikeLo = 180 * time.Millisecond
	WindowsLikeHi = 220 * time.Millisecond
)

// Config holds the thresholds; zero fields take DefaultConfig's values.
type Config struct {
	// MinAckDelay and MaxAckDelay bound the receiver's ACK delay (after its
	// half RTT is subtracted) that counts as a delayed ACK (RFC 1122
	// §4.2.3.2 allows up to 500 ms).
	MinAckDelay, MaxAckDelay time.Duration
	// Epsilon is the most the held segment may follow the releasing ACK,
	// after the sender's half RTT is subtracted (5–20 µs observed at the
	// sender).
	Epsilon time.Duration
	// WarnMinStalls is the number of stalls on one connection that makes the
	// finding a warning (one alone could be a coincidence).
	WarnMinStalls int
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{MinAckDelay: 20 * time.Millisecond, MaxAckDelay: 500 * time.Millisecond, Epsilon: 2 * time.Millisecond, WarnMinStalls: 2}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.MinAckDelay == 0 {
		c.MinAckDelay = d.MinAckDelay
	}
	if c.MaxAckDelay == 0 {
		c.MaxAckDelay = d.MaxAckDelay
	}
	if c.Epsilon == 0 {
		c.Epsilon = d.Epsilon
	}
	if c.WarnMinStalls == 0 {
		c.WarnMinStalls = d.WarnMinStalls
	}
	return c
}

// Factory returns the registry entry of the analyser.
func Factory() analysis.Factory {
	return analysis.Factory{
		Name:  Name,
		Doc:   "Nagle + delayed-ACK stalls: a small segment's successor held until the peer's delayed ACK",
		Kinds: Kinds(),
		New: func(cfg analysis.Config) analysis.Analyzer {
			c := DefaultConfig()
			_ = analysis.ApplyParams(cfg.Params, Name, &c)
			return New(c)
		},
		Options: func() any { c := DefaultConfig(); return &c },
	}
}

// Kinds documents the finding kind.
func Kinds() []analysis.KindDoc {
	return []analysis.KindDoc{{
		Kind:     KindStall,
		Severity: report.SeverityWarning,
		Title:    "Nagle's algorithm waited for a delayed ACK",
		Explain: "Nagle's algorithm (RFC 896) keeps a sender from sending a small segment while an earlier small " +
			"segment is unacknowledged, and receivers delay ACKs (RFC 1122: up to 500 ms; Linux 40 ms, Windows " +
			"200 ms) hoping to piggyback them. An application that writes a request in two pieces (headers, then " +
			"body) and then waits for the reply therefore stalls for the whole ACK delay on every request.\n\n" +
			"Rule: a segment smaller than the MSS, then nothing from either side until the receiver's pure ACK of " +
			"it, whose delay after subtracting the receiver's half RTT is between 20 and 500 ms, and the sender's " +
			"next data, contiguous, within 2 ms of that ACK after subtracting the sender's half RTT. Warning from " +
			"two stalls on a connection; info for one.\n\n" +
			"Fix: set TCP_NODELAY on the sending socket (Go does by default; curl and nginx too), or write each " +
			"message with one call (writev, buffering); TCP_QUICKACK on the receiver only hides the symptom.",
	}}
}

type dirState struct {
	stage  int // 0 idle, 1 small segment sent, 2 delayed ACK seen
	t1, t2 flow.Time
	end    int64
	len1   int
	delay  time.Duration

	count          int
	total, worst   time.Duration
	first          flow.Time
	firstLen       [2]int
	maxRelease     time.Duration
	classes        [3]int
	halvesFromHS   bool
	halvesKnown    bool
	rA, rB         time.Duration
	firstAckDelay  time.Duration
	firstReleaseUS int64
}

type connState struct {
	info *analysis.ConnInfo
	tr   *rtt.Tracker // the connection's shared tracker, as of the last segment
	dir  [2]dirState
}

// Recycle implements analysis.Recycler: a closed connection's state is
// reused.
func (cs *connState) Recycle() { *cs = connState{} }

// Analyzer is the Nagle stall detector.
type Analyzer struct {
	cfg     Config
	conns   analysis.ConnMap[*connState]
	free    analysis.FreeList[connState]
	pending []report.Finding
}

// New returns a Nagle stall detector (zero Config fields take defaults).
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
	// The tracker has seen s: the end of s's direction before it, and s's
	// acknowledgment (its space is the opposite direction's, which s did
	// not move).
	cs.tr = rtt.Of(s.Shared)
	hi, seen := cs.tr.HiEndBefore()
	relAck, hasAck := cs.tr.RelAck(s)
	if s.Flags&(analysis.FlagSYN|analysis.FlagRST) != 0 {
		cs.dir[0].stage, cs.dir[1].stage = 0, 0
		return
	}
	payload := s.Len > 0 && s.Kind != analysis.SegKeepAlive && s.Kind != analysis.SegZeroWindowProbe
	// As data of A = s.Dir.
	if payload {
		a.data(cs, s, hi, seen)
	}
	// As the ACK (or data) of B for A = s.Dir.Reverse().
	b := &cs.dir[s.Dir.Reverse()]
	if b.stage == 1 {
		switch {
		case hasAck && relAck >= b.end:
			if payload || s.Flags&analysis.FlagFIN != 0 {
				b.stage = 0 // the ACK rode on data: nothing was delayed
				break
			}
			rB, _, _ := cs.tr.Half(s.Dir)
			delay := s.Time.Sub(b.t1) - rB
			if delay >= a.cfg.MinAckDelay && delay <= a.cfg.MaxAckDelay {
				b.stage, b.t2, b.delay = 2, s.Time, delay
			} else {
				b.stage = 0
			}
		case payload:
			b.stage = 0 // B sent data before acknowledging
		}
	}
}

// data handles new payload from A = s.Dir; hi is A's highest sequence end
// before s.
func (a *Analyzer) data(cs *connState, s *analysis.Segment, hi int64, seen bool) {
	st := &cs.dir[s.Dir]
	switch st.stage {
	case 2:
		rA, fromHS, known := a.halves(cs, s.Dir)
		release := s.Time.Sub(st.t2) - rA
		if s.RelSeq == st.end && release <= a.cfg.Epsilon {
			a.stall(st, s, release, rA, fromHS, known, cs)
		}
		st.stage = 0
	case 1:
		st.stage = 0 // A did not wait for the ACK
	}
	mss := cs.tr.MSS()
	if (!seen || s.RelSeq == hi) && s.Len < mss {
		st.stage, st.t1, st.end, st.len1 = 1, s.Time, s.RelSeq+int64(s.Len), s.Len
	}
}

// halves returns r_A for direction d's sender, whether the handshake gave
// it, and whether anything did.
func (a *Analyzer) halves(cs *connState, d flow.Dir) (time.Duration, bool, bool) {
	rA, ok, fromHS := cs.tr.Half(d)
	return rA, fromHS, ok
}

func (a *Analyzer) stall(st *dirState, s *analysis.Segment, release, rA time.Duration, fromHS, known bool, cs *connState) {
	st.count++
	st.total += st.delay
	if st.delay > st.worst {
		st.worst = st.delay
	}
	st.maxRelease = max(st.maxRelease, release)
	st.classes[delayClass(st.delay)]++
	if st.count == 1 {
		st.first = st.t1
		st.firstLen = [2]int{st.len1, s.Len}
		st.rA = rA
		st.rB, _, _ = cs.tr.Half(s.Dir.Reverse())
		st.halvesFromHS, st.halvesKnown = fromHS, known
		st.firstAckDelay = st.delay
		st.firstReleaseUS = flow.Micros(release)
	}
}

var classNames = [3]string{"linux_like", "windows_like", "other"}

func delayClass(d time.Duration) int {
	switch {
	case d >= LinuxLikeLo && d <= LinuxLikeHi:
		return 0
	case d >= WindowsLikeLo && d <= WindowsLikeHi:
		return 1
	}
	return 2
}

// ConnClosed implements analysis.ConnHandler.
func (a *Analyzer) ConnClosed(c *analysis.ConnClosed) {
	cs, _ := a.conns.Get(c.Conn.ID)
	a.conns.Delete(c.Conn.ID)
	if cs != nil {
		a.conclude(cs)
		a.free.Put(cs)
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
		a.conclude(cs)
	}
	a.conns.Clear()
	for _, f := range a.pending {
		out.Emit(f)
	}
	a.pending = nil
}

func (a *Analyzer) conclude(cs *connState) {
	id := uint32(cs.info.ID)
	for d := flow.Dir(0); d < 2; d++ {
		st := &cs.dir[d]
		if st.count == 0 {
			continue
		}
		sender, receiver := "client", "server"
		if d == flow.ServerToClient {
			sender, receiver = receiver, sender
		}
		best := 0
		for i := range st.classes {
			if st.classes[i] > st.classes[best] {
				best = i
			}
		}
		conf := "medium"
		switch {
		case !st.halvesKnown:
			conf = "low"
		case st.count >= 2 && st.halvesFromHS:
			conf = "high"
		}
		sev := report.SeverityInfo
		if st.count >= a.cfg.WarnMinStalls {
			sev = report.SeverityWarning
		}
		src := "none"
		if st.halvesKnown {
			src = "data_acks"
			if st.halvesFromHS {
				src = "handshake"
			}
		}
		a.pending = append(a.pending, report.Finding{
			Kind:       KindStall,
			Severity:   sev,
			Connection: &id,
			At:         report.FormatTime(int64(st.first)),
			DurationUS: flow.Micros(st.total),
			Count:      st.count,
			Summary: fmt.Sprintf("%s held data %d time(s) until the %s's delayed ACK (Nagle): %s lost, worst %s",
				sender, st.count, receiver, st.total.Round(time.Microsecond), st.worst.Round(time.Microsecond)),
			Evidence: map[string]any{
				"direction":          sender + "_to_" + receiver,
				"stalls":             st.count,
				"stall_total_us":     flow.Micros(st.total),
				"stall_worst_us":     flow.Micros(st.worst),
				"ack_delay_class":    classNames[best],
				"first_ack_delay_us": flow.Micros(st.firstAckDelay),
				"first_release_us":   st.firstReleaseUS,
				"max_release_us":     flow.Micros(st.maxRelease),
				"small_seg_len":      st.firstLen[0],
				"held_seg_len":       st.firstLen[1],
				"r_sender_us":        flow.Micros(st.rA),
				"r_receiver_us":      flow.Micros(st.rB),
				"halves_source":      src,
				"confidence":         conf,
			},
			Advice: "Set TCP_NODELAY on the " + sender + "'s socket, or send each message with a single write (buffer headers and body, or use writev).",
		})
	}
}
