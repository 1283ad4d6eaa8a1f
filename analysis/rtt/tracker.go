package rtt

import (
	"time"

	"connscope/analysis"
	"connscope/flow"
)

// Thresholds of the sampler (detection-methods §1.4).
const (
	// DelackSegments: an ACK that newly covers fewer than this many
	// full-sized segments may have been delayed by the receiver.
	DelackSegments = 2
	// DelackExcess: such an ACK is delayed-ACK suspect when its sample
	// exceeds the running minimum of its direction by at least this much.
	DelackExcess = 20 * time.Millisecond
	// HandshakeSuspectFactor: the handshake sample is left out of the
	// statistics when it exceeds this multiple of the smallest data sample.
	HandshakeSuspectFactor = 3
	// MaxOutstanding caps the unacknowledged segments remembered per
	// direction for sampling.
	MaxOutstanding = 256
	// RTOFloor is the smallest retransmission timeout assumed for a peer
	// (Linux TCP_RTO_MIN, include/net/tcp.h).
	RTOFloor = 200 * time.Millisecond
	// RTOInitial is the timeout assumed before any sample (RFC 6298 §2.1).
	RTOInitial = time.Second
	// DefaultMSS is assumed when the handshake did not announce one.
	DefaultMSS = 1460
)

// Sample is one data→ACK round-trip measurement.
type Sample struct {
	// Dir is the direction of the acknowledged data.
	Dir flow.Dir
	// At is when the ACK was seen.
	At flow.Time
	// Raw is the time from the data to its ACK at the capture point: the
	// round trip from the capture point to the data's receiver and back,
	// plus the receiver's ACK delay.
	Raw time.Duration
	// RTT is Raw plus the sender's half (when known): an end-to-end estimate.
	RTT time.Duration
	// Covered is the number of bytes the ACK newly acknowledged.
	Covered int64
	// DelackSuspect marks a sample probably inflated by a delayed ACK.
	DelackSuspect bool
}

type outSeg struct {
	end       int64
	sent      flow.Time
	ambiguous bool
}

type dirState struct {
	base      uint32
	baseKnown bool
	baseSYN   bool // base was derived from a SYN segment
	hiEnd     int64
	seenData  bool
	ackRel    int64
	acked     bool
	ackAt     flow.Time
	out       []outSeg

	minRaw   time.Duration
	hasMin   bool
	srtt     time.Duration
	rttvar   time.Duration
	hasSRTT  bool
	samples  int
	maxLen   int
	lastData flow.Time
}

// Tracker follows the two sequence spaces of one connection and takes RTT
// samples from its segments. The zero value is ready to use; feed it every
// segment of the connection in capture order.
type Tracker struct {
	conn *analysis.ConnInfo
	dir  [2]dirState

	// What Feed keeps of the last segment: its sample, and the highest
	// sequence offset of its direction before it.
	last       Sample
	lastOK     bool
	hiBefore   int64
	seenBefore bool
}

// NewSeqState returns a Tracker as the analysers' shared per-connection
// state (analysis.SeqStateUser).
func NewSeqState() analysis.SeqState { return new(Tracker) }

// Of returns the Tracker the engine shares for a connection
// (analysis.Segment.Shared, analysis.ConnClosed.Shared); st must have been
// made by NewSeqState.
func Of(st analysis.SeqState) *Tracker { return st.(*Tracker) }

// Feed implements analysis.SeqState: Observe, keeping what Last and
// HiEndBefore return.
func (t *Tracker) Feed(s *analysis.Segment) {
	t.hiBefore, t.seenBefore = t.HiEnd(s.Dir)
	t.last, t.lastOK = t.Observe(s)
}

// Last returns the sample of the segment fed last, if it produced one.
func (t *Tracker) Last() (Sample, bool) { return t.last, t.lastOK }

// HiEndBefore is HiEnd of the direction of the segment fed last, as it
// was before that segment.
func (t *Tracker) HiEndBefore() (int64, bool) { return t.hiBefore, t.seenBefore }

// resetKeep is the largest outstanding-segment buffer (in entries) Reset
// keeps for reuse.
const resetKeep = 16

// Reset empties t for another connection, keeping the capacity of small
// internal buffers.
func (t *Tracker) Reset() {
	var keep [2][]outSeg
	for d := range t.dir {
		if cap(t.dir[d].out) <= resetKeep {
			keep[d] = t.dir[d].out[:0]
		}
	}
	*t = Tracker{}
	t.dir[0].out, t.dir[1].out = keep[0], keep[1]
}

// Observe updates the tracker with one segment and returns the sample the
// segment produced, if any. The segment is not retained.
func (t *Tracker) Observe(s *analysis.Segment) (Sample, bool) {
	t.conn = s.Conn
	d := s.Dir
	ds := &t.dir[d]
	isSYN := s.Flags&analysis.FlagSYN != 0
	if !ds.baseKnown || (ds.baseSYN && !isSYN) {
		ds.base = s.Seq - uint32(s.RelSeq)
		ds.baseKnown = true
		ds.baseSYN = isSYN
	}
	if s.Len > ds.maxLen {
		ds.maxLen = s.Len
	}
	if s.Len > 0 && !isSYN {
		t.data(ds, s)
	}
	if s.Flags&analysis.FlagACK == 0 || s.Flags&analysis.FlagRST != 0 {
		return Sample{}, false
	}
	return t.ack(s)
}

func (t *Tracker) data(ds *dirState, s *analysis.Segment) {
	start, end := s.RelSeq, s.RelSeq+int64(s.Len)
	if s.Kind == analysis.SegKeepAlive || s.Kind == analysis.SegZeroWindowProbe {
		return
	}
	ds.lastData = s.Time
	if !ds.seenData || start >= ds.hiEnd {
		// New data in order (or above a hole).
		if len(ds.out) >= MaxOutstanding {
			copy(ds.out, ds.out[1:])
			ds.out = ds.out[:len(ds.out)-1]
		}
		ds.out = append(ds.out, outSeg{end: end, sent: s.Time})
		ds.hiEnd = end
		ds.seenData = true
		return
	}
	// Some of the range was seen before (retransmission), or it fills a
	// hole: every outstanding segment above start is now ambiguous (Karn's
	// rule and intervening retransmissions).
	for i := range ds.out {
		if ds.out[i].end > start {
			ds.out[i].ambiguous = true
		}
	}
	if end > ds.hiEnd {
		ds.out = append(ds.out, outSeg{end: end, sent: s.Time, ambiguous: true})
		ds.hiEnd = end
	}
}

func (t *Tracker) ack(s *analysis.Segment) (Sample, bool) {
	d := s.Dir.Reverse() // the acknowledged data flows in d
	ds := &t.dir[d]
	if !ds.baseKnown || !ds.seenData {
		return Sample{}, false
	}
	a := ds.rel(s.Ack)
	if ds.acked && a <= ds.ackRel {
		return Sample{}, false
	}
	if a > ds.hiEnd {
		// Acknowledges data never seen (capture loss or one-sided capture):
		// no sample, but move the ACK point.
		ds.ackRel, ds.acked, ds.ackAt = a, true, s.Time
		ds.out = ds.out[:0]
		return Sample{}, false
	}
	prev := int64(0)
	if ds.acked {
		prev = ds.ackRel
	} else if len(ds.out) > 0 {
		prev = a // first ACK: coverage unknown, assume small
	}
	ds.ackRel, ds.acked, ds.ackAt = a, true, s.Time
	var smp Sample
	found := false
	n := 0
	for i := range ds.out {
		if ds.out[i].end > a {
			break
		}
		if ds.out[i].end == a && !ds.out[i].ambiguous {
			smp = Sample{Dir: d, At: s.Time, Raw: s.Time.Sub(ds.out[i].sent), Covered: a - prev}
			found = true
		}
		n = i + 1
	}
	ds.out = append(ds.out[:0], ds.out[n:]...)
	if !found || smp.Raw < 0 {
		return Sample{}, false
	}
	mss := t.MSS()
	if ds.hasMin && smp.Covered < DelackSegments*int64(mss) && smp.Raw >= ds.minRaw+DelackExcess {
		smp.DelackSuspect = true
	}
	if !smp.DelackSuspect && (!ds.hasMin || smp.Raw < ds.minRaw) {
		ds.minRaw, ds.hasMin = smp.Raw, true
	}
	smp.RTT = smp.Raw
	if h, ok, _ := t.Half(d); ok {
		smp.RTT += h
	}
	// RFC 6298 §2: the sender's estimator sees delayed ACKs too, so every
	// sample feeds it.
	ds.samples++
	if !ds.hasSRTT {
		ds.srtt, ds.rttvar, ds.hasSRTT = smp.RTT, smp.RTT/2, true
	} else {
		diff := ds.srtt - smp.RTT
		if diff < 0 {
			diff = -diff
		}
		ds.rttvar = (3*ds.rttvar + diff) / 4
		ds.srtt = (7*ds.srtt + smp.RTT) / 8
	}
	return smp, true
}

// rel converts an absolute sequence number of this direction into a 64-bit
// offset from its base, unwrapped around the highest offset seen.
func (ds *dirState) rel(abs uint32) int64 {
	ref := ds.hiEnd
	return ref + int64(int32(abs-(ds.base+uint32(ref))))
}

// RelAck returns s's acknowledgment number as an offset in the sequence
// space of the opposite direction (the data it acknowledges), and false
// when that space is not known yet or s carries no ACK.
func (t *Tracker) RelAck(s *analysis.Segment) (int64, bool) {
	ds := &t.dir[s.Dir.Reverse()]
	if s.Flags&analysis.FlagACK == 0 || !ds.baseKnown {
		return 0, false
	}
	return ds.rel(s.Ack), true
}

// HiEnd returns the highest sequence offset (end of data) seen in
// direction d, and whether any data was seen.
func (t *Tracker) HiEnd(d flow.Dir) (int64, bool) { return t.dir[d].hiEnd, t.dir[d].seenData }

// Acked returns the highest cumulative acknowledgment of direction d's data
// (an offset in d's space), when it was seen, and whether any was seen.
func (t *Tracker) Acked(d flow.Dir) (int64, flow.Time, bool) {
	ds := &t.dir[d]
	return ds.ackRel, ds.ackAt, ds.acked
}

// MSS returns the connection's MSS: the negotiated value, else DefaultMSS,
// raised to the largest payload seen when that is bigger and the handshake
// gave none (loopback captures have MTU 65536).
func (t *Tracker) MSS() int {
	if t.conn != nil && t.conn.MSS > 0 {
		return t.conn.MSS
	}
	m := DefaultMSS
	for d := range t.dir {
		if t.dir[d].maxLen > m {
			m = t.dir[d].maxLen
		}
	}
	return m
}

// MinRaw returns the smallest non-suspect data→ACK time of direction d at
// the capture point: the round trip to d's receiver and back.
func (t *Tracker) MinRaw(d flow.Dir) (time.Duration, bool) {
	return t.dir[d].minRaw, t.dir[d].hasMin
}

// Half returns the round trip from the capture point to the endpoint that
// sends in direction d and back (r_client for ClientToServer, r_server for
// ServerToClient, detection-methods §1.3). It comes from the handshake when
// it was seen (fromHandshake true), else from the smallest data→ACK sample
// of the opposite direction; ok is false when neither exists.
func (t *Tracker) Half(d flow.Dir) (h time.Duration, ok, fromHandshake bool) {
	return HalfOf(t.conn, t, d)
}

// HalfOf is Half for a connection c; t may be nil.
func HalfOf(c *analysis.ConnInfo, t *Tracker, d flow.Dir) (time.Duration, bool, bool) {
	if c != nil && c.ServerHalf > 0 && c.ClientHalf > 0 {
		if d == flow.ClientToServer {
			return c.ClientHalf, true, true
		}
		return c.ServerHalf, true, true
	}
	if t != nil {
		if m, ok := t.MinRaw(d.Reverse()); ok {
			return m, true, false
		}
	}
	return 0, false, false
}

// HandshakeRTT returns the handshake round trip of c (the sum of its
// halves), or 0 when either half is unknown.
func HandshakeRTT(c *analysis.ConnInfo) time.Duration {
	if c == nil || c.ServerHalf <= 0 || c.ClientHalf <= 0 {
		return 0
	}
	return c.ServerHalf + c.ClientHalf
}

// MinRTT returns the smallest end-to-end round-trip estimate of the
// connection: the handshake RTT or the smallest data sample plus the
// sender's half, whichever is smaller; false when none is known.
func (t *Tracker) MinRTT() (time.Duration, bool) {
	best, ok := HandshakeRTT(t.conn), HandshakeRTT(t.conn) > 0
	for d := flow.Dir(0); d < 2; d++ {
		m, has := t.MinRaw(d)
		if !has {
			continue
		}
		if h, hok, _ := t.Half(d); hok {
			m += h
		}
		if !ok || m < best {
			best, ok = m, true
		}
	}
	return best, ok
}

// SRTT returns the smoothed RTT and its variation (RFC 6298 §2) as the
// sender of direction d would compute them, seeded from the handshake when
// d has no sample yet; ok is false when nothing is known.
func (t *Tracker) SRTT(d flow.Dir) (srtt, rttvar time.Duration, ok bool) {
	ds := &t.dir[d]
	if ds.hasSRTT {
		return ds.srtt, ds.rttvar, true
	}
	if h := HandshakeRTT(t.conn); h > 0 {
		return h, h / 2, true
	}
	return 0, 0, false
}

// RTO returns the retransmission timeout the sender of direction d would
// use: max(floor, SRTT + 4·RTTVAR) (RFC 6298 §2.3), RTOInitial when nothing
// is known.
func (t *Tracker) RTO(d flow.Dir, floor time.Duration) time.Duration {
	srtt, rttvar, ok := t.SRTT(d)
	if !ok {
		return max(RTOInitial, floor)
	}
	return RTOFrom(srtt, rttvar, floor)
}

// RTOFrom is max(floor, srtt + 4·rttvar) (RFC 6298 §2.3).
func RTOFrom(srtt, rttvar, floor time.Duration) time.Duration {
	return max(floor, srtt+4*rttvar)
}

// LastData returns when direction d last sent payload (0 when never).
func (t *Tracker) LastData(d flow.Dir) flow.Time { return t.dir[d].lastData }
