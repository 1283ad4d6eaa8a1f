package tsg

import (
	"cmp"
	"time"

	"connscope/analysis"
	"connscope/flow"
	"connscope/report"
)

// Name is the analyser's name.
const Name = "tsg"

// StallGap is the shortest gap between consecutive packets of a connection
// counted as a stall in the trouble score (the Linux delayed-ACK minimum is
// 40 ms; 20 ms leaves room for the capture point).
const StallGap = 20 * time.Millisecond

// LiveFactor multiplies SeriesConns × SeriesMaxPoints into the cap on
// points buffered for open connections.
const LiveFactor = 4

// Factory returns the registry entry of the analyser.
func Factory() analysis.Factory {
	return analysis.Factory{
		Name: Name,
		Doc:  "time-sequence series of the most troubled connections (only with Config.Series)",
		New:  func(cfg analysis.Config) analysis.Analyzer { return New(cfg) },
	}
}

// point is the compact in-memory form of a report.SeqPoint.
type point struct {
	t      int64 // µs since the connection start
	relSeq int64
	ack    int64
	win    int64
	len    int32
	dir    uint8
	kind   analysis.SegmentKind
	flags  uint8
}

// conn is the state of one open (or kept) connection.
type conn struct {
	id      flow.ConnID
	start   flow.Time
	mss     int
	pts     []point
	dropped int
	// last sequence number and its relative value per direction, for
	// relative ACKs.
	lastSeq [2]uint32
	lastRel [2]int64
	seen    [2]bool
	lastT   flow.Time
	// wscale is the window-scale shift per direction the tracker knew at
	// the last segment (-1 unknown); the report's handshake options take
	// precedence in Finish.
	wscale [2]int
	// score parts
	problems int
	stalls   int
	dur      time.Duration
}

// Analyzer records the series. Create it with New.
type Analyzer struct {
	on      bool
	maxPts  int
	keepN   int
	live    int // points buffered for open connections
	liveCap int
	open    analysis.ConnMap[*conn]
	kept    []*conn // at most keepN, unordered
}

// New returns an analyser for cfg (defaults applied to zero fields).
func New(cfg analysis.Config) *Analyzer {
	cfg = cfg.WithDefaults()
	return &Analyzer{
		on:      cfg.Series,
		maxPts:  cfg.SeriesMaxPoints,
		keepN:   cfg.SeriesConns,
		liveCap: LiveFactor * cfg.SeriesConns * cfg.SeriesMaxPoints,
	}
}

// Name implements analysis.Analyzer.
func (a *Analyzer) Name() string { return Name }

// ConnOpened implements analysis.ConnHandler.
func (a *Analyzer) ConnOpened(c *analysis.ConnInfo) {
	if !a.on {
		return
	}
	a.open.Put(c.ID, &conn{id: c.ID, start: c.Start, mss: c.MSS})
}

// Segment implements analysis.SegmentHandler.
func (a *Analyzer) Segment(s *analysis.Segment) {
	if !a.on {
		return
	}
	c, _ := a.open.Get(s.Conn.ID)
	if c == nil {
		return
	}
	d := s.Dir & 1
	c.lastSeq[d], c.lastRel[d], c.seen[d] = s.Seq, s.RelSeq, true
	if c.lastT != 0 && s.Time.Sub(c.lastT) >= StallGap {
		c.stalls++
	}
	if s.Time > c.lastT {
		c.lastT = s.Time
	}
	if c.mss == 0 && s.Conn.MSS > 0 {
		c.mss = s.Conn.MSS
	}
	switch {
	case s.Kind == analysis.SegRetransmission, s.Kind == analysis.SegOutOfOrder,
		s.Kind == analysis.SegDupAck, s.Kind == analysis.SegZeroWindowProbe, s.Flags&analysis.FlagRST != 0:
		c.problems++
	}
	if len(c.pts) >= a.maxPts || a.live >= a.liveCap {
		c.dropped++
		return
	}
	p := point{
		t:      flow.Micros(s.Time.Sub(c.start)),
		relSeq: s.RelSeq,
		ack:    -1,
		win:    int64(s.Window),
		len:    int32(s.Len),
		dir:    uint8(d),
		kind:   s.Kind,
		flags:  s.Flags,
	}
	if s.Flags&analysis.FlagACK != 0 && c.seen[d^1] {
		// Unwrap the ACK against the peer's last sequence number (RFC 9293
		// §3.4: sequence arithmetic is modulo 2^32).
		p.ack = c.lastRel[d^1] + int64(int32(s.Ack-c.lastSeq[d^1]))
	}
	c.wscale = s.Conn.WScale
	c.pts = append(c.pts, p)
	a.live++
}

// ConnClosed implements analysis.ConnHandler: the connection's series is
// kept when it is among the most troubled so far.
func (a *Analyzer) ConnClosed(cc *analysis.ConnClosed) {
	if !a.on {
		return
	}
	c, _ := a.open.Get(cc.Conn.ID)
	if c == nil {
		return
	}
	a.open.Delete(cc.Conn.ID)
	a.live -= len(c.pts)
	c.dur = cc.End.Sub(c.start)
	if cc.RSTUnreadData || cc.Refused {
		c.problems++
	}
	if len(a.kept) < a.keepN {
		a.kept = append(a.kept, c)
		return
	}
	worst := 0
	for i := 1; i < len(a.kept); i++ {
		if less(a.kept[i], a.kept[worst]) {
			worst = i
		}
	}
	if less(a.kept[worst], c) {
		a.kept[worst] = c
	}
}

// less orders connections by trouble, least troubled first.
func less(x, y *conn) bool {
	return compare(x, y) < 0
}

func compare(x, y *conn) int {
	if c := cmp.Compare(x.problems, y.problems); c != 0 {
		return c
	}
	if c := cmp.Compare(x.stalls, y.stalls); c != 0 {
		return c
	}
	if c := cmp.Compare(x.dur, y.dur); c != 0 {
		return c
	}
	// Lower ids rank as more troubled on a tie, so the choice is stable.
	return cmp.Compare(y.id, x.id)
}

// Finish implements analysis.Analyzer: it attaches the kept series to their
// connections in rep.
func (a *Analyzer) Finish(rep *report.Report, _ analysis.Emitter) {
	if !a.on {
		return
	}
	// Connections still open at the end were closed by the tracker's flush
	// before Finish; any left here never reached the report.
	patch := make(map[uint32]func(*report.Connection), len(a.kept))
	for _, c := range a.kept {
		patch[uint32(c.id)] = func(rc *report.Connection) {
			if rc.Transport != "udp" {
				rc.Series = c.series(shifts(rc, c.wscale))
			}
		}
	}
	rep.PatchConnections(patch)
}

// shifts returns the window-scale shift of each direction: from the
// handshake options in the report when both sides sent the option (RFC 7323
// §2.2: scaling is in effect only then), else from the tracker, else 0.
func shifts(rc *report.Connection, known [2]int) [2]uint {
	var out [2]uint
	hs := &rc.Handshake
	if hs.Client != nil && hs.Server != nil && hs.Client.WindowScale >= 0 && hs.Server.WindowScale >= 0 {
		out[0] = uint(min(hs.Client.WindowScale, 14))
		out[1] = uint(min(hs.Server.WindowScale, 14))
		return out
	}
	for d, k := range known {
		if k > 0 {
			out[d] = uint(min(k, 14))
		}
	}
	return out
}

func (c *conn) series(shift [2]uint) *report.TimeSeq {
	ts := &report.TimeSeq{MSS: c.mss, Dropped: c.dropped, Points: make([]report.SeqPoint, len(c.pts))}
	for i, p := range c.pts {
		if p.flags&analysis.FlagSYN == 0 {
			// RFC 7323 §2.2: the window of a SYN is never scaled.
			p.win <<= shift[p.dir]
		}
		ts.Points[i] = report.SeqPoint{
			TRelUS: p.t,
			Dir:    int(p.dir),
			RelSeq: p.relSeq,
			Len:    int(p.len),
			Ack:    p.ack,
			Window: p.win,
			Kind:   kindName(p.kind, p.len),
			Flags:  flagText(p.flags),
		}
	}
	return ts
}

func kindName(k analysis.SegmentKind, n int32) string {
	switch k {
	case analysis.SegRetransmission:
		return report.SeqRetransmission
	case analysis.SegOutOfOrder:
		return report.SeqOutOfOrder
	case analysis.SegKeepAlive:
		return report.SeqKeepAlive
	case analysis.SegZeroWindowProbe:
		return report.SeqZeroWindowProbe
	case analysis.SegDupAck:
		return report.SeqDupAck
	}
	if n > 0 {
		return report.SeqData
	}
	return report.SeqAck
}

func flagText(f uint8) string {
	var b []byte
	for _, x := range []struct {
		bit uint8
		c   byte
	}{{analysis.FlagSYN, 'S'}, {analysis.FlagFIN, 'F'}, {analysis.FlagRST, 'R'}} {
		if f&x.bit != 0 {
			b = append(b, x.c)
		}
	}
	return string(b)
}
