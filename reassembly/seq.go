package reassembly

import (
	"sort"

	"connscope/capture"
	"connscope/flow"
)

// Serial-number comparisons (RFC 1982, RFC 9293 §3.4): valid while the two
// numbers are less than 2^31 apart.
func seqLT(a, b uint32) bool { return int32(a-b) < 0 }
func seqGT(a, b uint32) bool { return int32(a-b) > 0 }

// synSeq sets a direction's sequence origin from its SYN (or SYN/ACK).
func (t *Tracker) synSeq(c *Conn, d flow.Dir, seq uint32) {
	h, ds := &c.t.h[d], &c.Dir[d]
	if ds.ISNKnown {
		return // a retry: its sequence slot is old
	}
	if !h.seqKnown {
		h.seqKnown = true
		h.isn, h.next, h.nextRel = seq, seq+1, 1
		h.maxEnd, h.maxDataEnd = seq+1, seq+1
	} else {
		// The direction was seen before its SYN (reordering): keep the
		// stream position, re-base the relative numbering on the ISN.
		h.nextRel += int64(int32(h.isn - seq))
		h.isn = seq
	}
	ds.ISN, ds.ISNKnown = seq, true
}

// segment does the sequence-space work of a non-RST packet: payload, FIN,
// keep-alives. It returns the segment's kind.
func (t *Tracker) segment(c *Conn, d flow.Dir, p *capture.Packet, payload []byte, n int, syn, fin bool) SegmentKind {
	h, ds := &c.t.h[d], &c.Dir[d]
	seq := p.Seq
	if syn {
		seq++ // the SYN occupies one sequence number
	}
	if !h.seqKnown {
		// Midstream: the sequence starts at the first segment seen.
		h.seqKnown = true
		h.isn, h.next, h.nextRel = seq, seq, 0
		h.maxEnd, h.maxDataEnd = seq, seq
		ds.ISN = seq
	}
	kind := SegNew
	if n > 0 {
		kind = t.data(c, d, seq, n, payload, p.Time)
	} else if !syn && !fin && h.nextRel > 0 && seq == h.next-1 {
		// Keep-alive: len 0 at next-1 (RFC 9293 §3.8.4).
		ds.KeepAlives++
		kind = SegKeepAlive
	}
	end := seq + uint32(n)
	if fin {
		if h.finSeen {
			if n == 0 && end == h.finSeq {
				ds.Retransmissions++
				kind = SegRetransmission
			}
		} else {
			t.fin(c, d, end, p)
		}
		end++
	}
	if seqGT(end, h.maxEnd) {
		h.maxEnd = end
	}
	return kind
}

// data handles n bytes of payload at seq (payload holds the captured part).
func (t *Tracker) data(c *Conn, d flow.Dir, seq uint32, n int, payload []byte, tm flow.Time) SegmentKind {
	h, peer := &c.t.h[d], &c.t.h[d^1]
	end := seq + uint32(n)
	if h.finSeen && seqGT(end, h.finSeq) {
		// Nothing follows a FIN in its direction (RFC 9293 §3.10.7.4).
		t.anomaly(anDataAfterFIN)
		if !seqGT(h.finSeq, seq) {
			return SegNew
		}
		n = int(h.finSeq - seq)
		payload = payload[:min(len(payload), n)]
		end = h.finSeq
	}
	if !h.dataSeen || seqGT(end, h.maxDataEnd) {
		if peer.finSeen {
			// New data after the peer's FIN: a half-close (RFC 9293 §3.6).
			// Not once the connection settled (bytes of a capture hole
			// come late): its Close is the one the Settler had, and its
			// record must say the same.
			if !c.t.settled {
				c.Close.HalfClosed = true
			}
			h.dataAfterPeerFin = true
		}
		h.maxDataEnd = end
	}
	h.dataSeen = true
	return t.place(c, d, seq, n, payload, tm, false)
}

// place puts payload into the direction's byte stream: deliver, trim,
// buffer or drop. retry is set when it is called again after the buffers
// were flushed to make room.
func (t *Tracker) place(c *Conn, d flow.Dir, seq uint32, n int, payload []byte, tm flow.Time, retry bool) SegmentKind {
	h, ds, peer := &c.t.h[d], &c.Dir[d], &c.t.h[d^1]
	end := seq + uint32(n)
	if h.ended {
		if h.finSeen && seqGT(end, h.finSeq) {
			t.anomaly(anDataAfterFIN)
			return SegNew
		}
		if !seqGT(end, h.next) {
			ds.Retransmissions++
			ds.RetransBytes += uint64(n)
			return SegRetransmission
		}
		return SegNew
	}
	zeroWin := peer.winSeen && peer.window == 0
	rel := int32(seq - h.next)
	switch {
	case rel == 0:
		kind := SegNew
		if n == 1 && zeroWin {
			// Zero-window probe (RFC 9293 §3.8.6.1): one new byte offered
			// into a closed window. It is delivered; if the receiver drops
			// it, the re-sent byte is not counted as a retransmission.
			kind = SegZeroWindowProbe
			h.zwpSeq, h.zwpValid = seq, true
		} else {
			h.zwpValid = false
		}
		t.deliver(c, d, payload, n, 0, tm)
		t.drain(c, d, tm)
		return kind
	case rel < 0:
		if n == 1 && zeroWin && h.zwpValid && seq == h.zwpSeq {
			return SegZeroWindowProbe // a repeated probe
		}
		if int32(end-h.next) <= 0 {
			if n == 1 && seq == h.next-1 {
				ds.KeepAlives++ // keep-alive with one garbage byte
				return SegKeepAlive
			}
			ds.Retransmissions++
			ds.RetransBytes += uint64(n)
			return SegRetransmission
		}
		// Partial overlap: deliver only the new part.
		trim := int(-rel)
		kind := SegRetransmission
		if h.zwpValid && trim == 1 && seq == h.zwpSeq {
			kind = SegNew // the byte was first sent as a window probe
		} else {
			ds.Retransmissions++
			ds.RetransBytes += uint64(trim)
		}
		h.zwpValid = false
		t.deliver(c, d, payload, n, trim, tm)
		t.drain(c, d, tm)
		return kind
	}
	// Above next: a hole precedes it.
	if !retry {
		ds.OutOfOrder++
	}
	if peer.ackSeen && !seqLT(peer.lastAck, seq) {
		// The receiver already acknowledged up to here: the hole was
		// received but not captured, and will never be filled.
		t.skipTo(c, d, seq, tm)
		return t.placeInOrder(c, d, seq, n, payload, tm)
	}
	cost := min(len(payload), n)
	if len(h.ooo) >= maxSegsPerDir || h.oooBytes+cost > t.cfg.MaxBufferPerDir {
		t.anomaly(anOOOBufferLimit)
		t.skipTo(c, d, seq, tm)
		return t.placeInOrder(c, d, seq, n, payload, tm)
	}
	if t.bufTotal+cost > t.cfg.MaxBufferTotal {
		if !retry {
			t.anomaly(anOOOTotalLimit)
		}
		for t.bufTotal+cost > t.cfg.MaxBufferTotal && len(t.bufs) > 0 {
			t.flushBuffers(t.bufs[0], tm)
		}
		if !retry {
			return t.place(c, d, seq, n, payload, tm, true)
		}
		if t.bufTotal+cost > t.cfg.MaxBufferTotal {
			t.skipTo(c, d, seq, tm)
			return t.placeInOrder(c, d, seq, n, payload, tm)
		}
	}
	return t.buffer(c, d, seq, n, payload, tm)
}

// placeInOrder delivers a segment after skipTo(seq) made it in order.
func (t *Tracker) placeInOrder(c *Conn, d flow.Dir, seq uint32, n int, payload []byte, tm flow.Time) SegmentKind {
	h := &c.t.h[d]
	if h.ended || h.next != seq {
		return SegOutOfOrder
	}
	t.deliver(c, d, payload, n, 0, tm)
	t.drain(c, d, tm)
	return SegOutOfOrder
}

// buffer copies an out-of-order segment into the direction's sorted buffer.
func (t *Tracker) buffer(c *Conn, d flow.Dir, seq uint32, n int, payload []byte, tm flow.Time) SegmentKind {
	h, ds := &c.t.h[d], &c.Dir[d]
	off := int32(seq - h.next)
	i := sort.Search(len(h.ooo), func(i int) bool { return int32(h.ooo[i].seq-h.next) > off })
	end := seq + uint32(n)
	if i > 0 {
		prev := &h.ooo[i-1]
		if !seqLT(prev.seq+uint32(prev.n), end) {
			// Entirely inside a buffered segment.
			ds.Retransmissions++
			ds.RetransBytes += uint64(n)
			return SegRetransmission
		}
	}
	captured := min(len(payload), n)
	s := oooSeg{seq: seq, n: n, captured: captured, t: tm}
	if c.t.stream != nil && captured > 0 {
		s.data = make([]byte, captured)
		copy(s.data, payload)
	}
	h.ooo = append(h.ooo, oooSeg{})
	copy(h.ooo[i+1:], h.ooo[i:])
	h.ooo[i] = s
	t.bufAdd(c, h, captured)
	return SegOutOfOrder
}

// popFront removes the first buffered segment of h.
func (t *Tracker) popFront(c *Conn, h *half) oooSeg {
	s := h.ooo[0]
	copy(h.ooo, h.ooo[1:])
	h.ooo[len(h.ooo)-1] = oooSeg{}
	h.ooo = h.ooo[:len(h.ooo)-1]
	t.bufAdd(c, h, -s.captured)
	return s
}

// drain delivers the buffered segments that became contiguous, then the FIN
// if it was reached.
func (t *Tracker) drain(c *Conn, d flow.Dir, tm flow.Time) {
	h := &c.t.h[d]
	for len(h.ooo) > 0 && !seqGT(h.ooo[0].seq, h.next) && !h.ended {
		s := t.popFront(c, h)
		if seqGT(s.seq+uint32(s.n), h.next) {
			t.deliverSeg(c, d, &s, int(h.next-s.seq), tm)
		}
	}
	if h.finSeen && h.next == h.finSeq && !h.ended {
		t.reachFIN(c, d, tm)
	}
}

// skipTo advances direction d to target, declaring the holes on the way as
// gaps and delivering the buffered segments between them and after them.
// It stops at the FIN.
//
// A hole declared here is not going to be filled: the receiver had its
// bytes (its ACK passed them) or the tracker gave up waiting. The segments
// buffered behind it are delivered at their own capture times, not at tm:
// they were readable when they arrived, and a parser pairing messages by
// time (a response and the request it answers) must see when they came.
// A time is never earlier than the direction's previous delivery, and a
// gap takes the time of the segment after it.
func (t *Tracker) skipTo(c *Conn, d flow.Dir, target uint32, tm flow.Time) {
	h := &c.t.h[d]
	for !h.ended && seqLT(h.next, target) {
		if len(h.ooo) > 0 && !seqGT(h.ooo[0].seq, h.next) {
			s := t.popFront(c, h)
			if seqGT(s.seq+uint32(s.n), h.next) {
				t.deliverSeg(c, d, &s, int(h.next-s.seq), heldTime(h, &s, tm))
			}
			continue
		}
		if h.finSeen && h.next == h.finSeq {
			t.reachFIN(c, d, tm)
			return
		}
		gapEnd := target
		if len(h.ooo) > 0 && seqLT(h.ooo[0].seq, gapEnd) {
			gapEnd = h.ooo[0].seq
		}
		if h.finSeen && seqGT(h.finSeq, h.next) && seqLT(h.finSeq, gapEnd) {
			gapEnd = h.finSeq
		}
		gt := tm
		if len(h.ooo) > 0 && h.ooo[0].seq == gapEnd {
			gt = heldTime(h, &h.ooo[0], tm)
		}
		t.gap(c, d, int(gapEnd-h.next), gt)
	}
	for len(h.ooo) > 0 && !seqGT(h.ooo[0].seq, h.next) && !h.ended {
		s := t.popFront(c, h)
		if seqGT(s.seq+uint32(s.n), h.next) {
			t.deliverSeg(c, d, &s, int(h.next-s.seq), heldTime(h, &s, tm))
		}
	}
	if !h.ended {
		t.drain(c, d, tm)
	}
}

// heldTime is the time at which buffered segment s is delivered once the
// hole before it was declared lost at tm: its capture time, but not before
// the direction's previous delivery nor after tm.
func heldTime(h *half, s *oooSeg, tm flow.Time) flow.Time {
	return min(max(s.t, h.streamT), tm)
}

// deliver advances direction d over n bytes of payload (the captured part
// in payload) minus the first trim bytes, which were seen before.
func (t *Tracker) deliver(c *Conn, d flow.Dir, payload []byte, n, trim int, tm flow.Time) {
	h, ds := &c.t.h[d], &c.Dir[d]
	fresh := n - trim
	h.next += uint32(fresh)
	h.nextRel += int64(fresh)
	ds.PayloadBytes += uint64(fresh)
	var p []byte
	if trim < len(payload) {
		p = payload[trim:]
	}
	if s := c.t.stream; s != nil && len(p) > 0 {
		h.streamT = tm
		s.Data(d, tm, p)
	}
	if missing := fresh - len(p); missing > 0 {
		// Snaplen cut: the sequence space was seen, the bytes were not.
		ds.TruncatedSegments++
		ds.TruncatedBytes += uint64(missing)
		if s := c.t.stream; s != nil {
			h.streamT = tm
			s.Gap(d, tm, missing)
		}
	}
}

// deliverSeg delivers a buffered segment minus its first trim bytes.
func (t *Tracker) deliverSeg(c *Conn, d flow.Dir, s *oooSeg, trim int, tm flow.Time) {
	if s.data == nil && s.captured > 0 {
		// No Stream: only the counters matter.
		h, ds := &c.t.h[d], &c.Dir[d]
		fresh := s.n - trim
		h.next += uint32(fresh)
		h.nextRel += int64(fresh)
		ds.PayloadBytes += uint64(fresh)
		if missing := s.n - max(s.captured, trim); missing > 0 {
			ds.TruncatedSegments++
			ds.TruncatedBytes += uint64(missing)
		}
		return
	}
	t.deliver(c, d, s.data, s.n, trim, tm)
}

// gap declares n bytes of direction d lost to the capture.
func (t *Tracker) gap(c *Conn, d flow.Dir, n int, tm flow.Time) {
	if n <= 0 {
		return
	}
	t.ensureOpen(c) // a hole means payload existed
	h, ds := &c.t.h[d], &c.Dir[d]
	h.next += uint32(n)
	h.nextRel += int64(n)
	ds.Gaps++
	ds.GapBytes += uint64(n)
	if s := c.t.stream; s != nil {
		h.streamT = tm
		s.Gap(d, tm, n)
	}
}

// reachFIN consumes the FIN's sequence number and ends the direction.
func (t *Tracker) reachFIN(c *Conn, d flow.Dir, tm flow.Time) {
	h := &c.t.h[d]
	h.next++
	h.nextRel++
	t.finishDir(c, d, tm)
}

// finishDir marks direction d ended, drops what is still buffered and
// reports End.
func (t *Tracker) finishDir(c *Conn, d flow.Dir, tm flow.Time) {
	h := &c.t.h[d]
	if h.ended {
		return
	}
	h.ended = true
	t.dropBuffer(c, h)
	if c.t.opened {
		h.endSent = true
		if s := c.t.stream; s != nil {
			s.End(d, tm)
		}
	}
}

// dropBuffer discards what direction h still holds.
func (t *Tracker) dropBuffer(c *Conn, h *half) {
	if len(h.ooo) == 0 {
		return
	}
	dropped := 0
	for i := range h.ooo {
		dropped += h.ooo[i].captured
		h.ooo[i] = oooSeg{}
	}
	h.ooo = h.ooo[:0]
	t.bufAdd(c, h, -dropped)
}

// closeDir ends direction d for good: the holes up to its FIN (or its last
// byte seen) become gaps, then End.
func (t *Tracker) closeDir(c *Conn, d flow.Dir, tm flow.Time) {
	h := &c.t.h[d]
	if h.ended {
		return
	}
	if h.seqKnown {
		target := h.maxEnd
		if h.finSeen {
			target = h.finSeq + 1
		}
		for i := range h.ooo {
			if e := h.ooo[i].seq + uint32(h.ooo[i].n); seqGT(e, target) && !h.finSeen {
				target = e
			}
		}
		t.skipTo(c, d, target, tm)
	}
	t.finishDir(c, d, tm)
}

// flushBuffers declares the holes of both directions of c as gaps and
// delivers everything it has buffered (MaxBufferTotal policy).
func (t *Tracker) flushBuffers(c *Conn, tm flow.Time) {
	for d := range c.t.h {
		h := &c.t.h[d]
		if len(h.ooo) == 0 {
			continue
		}
		target := h.next
		for i := range h.ooo {
			if e := h.ooo[i].seq + uint32(h.ooo[i].n); seqGT(e, target) {
				target = e
			}
		}
		t.skipTo(c, flow.Dir(d), target, tm)
		if len(h.ooo) > 0 { // only possible past a FIN: drop the rest
			t.finishDir(c, flow.Dir(d), tm)
			t.dropBuffer(c, h)
		}
	}
}

// ackAdvance handles an ACK sent in direction d: when it acknowledges
// beyond a hole of the reverse direction, the receiver got bytes the
// capture missed, so the hole is declared a gap ("ACKed unseen segment").
func (t *Tracker) ackAdvance(c *Conn, d flow.Dir, ack uint32, tm flow.Time) {
	r := &c.t.h[d^1]
	if !r.seqKnown || r.ended || !seqGT(ack, r.next) {
		return
	}
	if len(r.ooo) == 0 && !r.finSeen {
		return // no hole known yet; data arriving later is checked against this ACK
	}
	target := ack
	if seqGT(target, r.maxEnd) {
		target = r.maxEnd
	}
	t.skipTo(c, d^1, target, tm)
}

// fin records the first FIN of direction d, at sequence number finSeq.
func (t *Tracker) fin(c *Conn, d flow.Dir, finSeq uint32, p *capture.Packet) {
	h := &c.t.h[d]
	h.finSeen, h.finSeq = true, finSeq
	c.Dir[d].FIN = p.Time
	side := SideOf(d)
	if c.t.firstFin == SideNone {
		c.t.firstFin = side
	}
	if c.t.firstCloser == SideNone {
		c.t.firstCloser = side
	}
	if !h.ended && !seqGT(finSeq, h.next) {
		if h.next == finSeq {
			t.reachFIN(c, d, p.Time)
		} else {
			t.finishDir(c, d, p.Time) // FIN below delivered data: inconsistent, end here
		}
	}
	peer := &c.t.h[d^1]
	if peer.finSeen && !c.t.closed {
		c.t.finBoth = true
		c.Close.At = p.Time
		// The FINs crossed when the second one does not acknowledge the
		// first (RFC 9293 §3.6, simultaneous close: both sides TIME-WAIT).
		if p.Flags&capture.FlagACK == 0 || seqLT(p.Ack, peer.finSeq+1) {
			c.Close.Simultaneous = true
		}
		t.markClosed(c)
	}
}

// reset handles a RST sent in direction d.
func (t *Tracker) reset(c *Conn, d flow.Dir, p *capture.Packet) {
	if !t.rstAcceptable(c, d, p) {
		t.anomaly(anRSTOutOfWindow)
		return
	}
	h, ds, peer := &c.t.h[d], &c.Dir[d], &c.t.h[d^1]
	if ds.RST == 0 {
		ds.RST = p.Time
	}
	if !c.t.closed {
		c.t.rstClosed = true
		if c.t.firstCloser == SideNone {
			c.t.firstCloser = SideOf(d)
		}
		// Unread data: the sender had received payload it never
		// acknowledged, payload arrived after its own FIN, or its receive
		// buffer still held data when it reset — the last window it
		// advertised had closed to under half its largest (RFC 2525 §2.17:
		// a close with unread data is answered with RST).
		c.Close.RSTUnreadData = peer.dataSeen && (!h.ackSeen || seqGT(peer.maxDataEnd, h.lastAck)) ||
			h.finSeen && peer.dataAfterPeerFin ||
			peer.dataSeen && h.winSeen && h.maxWindow > 0 && h.window < h.maxWindow/2
		c.Close.Refused = d == flow.ServerToClient && c.t.synSeen && !c.t.synAckSeen
		c.Close.At = p.Time
		t.markClosed(c)
	}
	t.closeDir(c, flow.ClientToServer, p.Time)
	t.closeDir(c, flow.ServerToClient, p.Time)
}

// rstAcceptable applies the RFC 5961 §3.2 test as seen from the capture
// point: the RST's sequence number must be the receiver's next expected one
// or fall within the receiver's window. A RST answering a SYN (receiver in
// SYN-SENT) must instead acknowledge the SYN (RFC 9293 §3.10.7.3). Without
// the state to judge, it is accepted.
func (t *Tracker) rstAcceptable(c *Conn, d flow.Dir, p *capture.Packet) bool {
	h, r := &c.t.h[d], &c.t.h[d^1]
	seq := p.Seq
	if !h.seqKnown {
		if d == flow.ServerToClient && c.t.synSeen && !c.t.synAckSeen {
			// SEG.ACK must be acceptable: ISS < SEG.ACK <= SND.NXT.
			isn := c.Dir[flow.ClientToServer].ISN
			return p.Flags&capture.FlagACK != 0 && seqGT(p.Ack, isn) && !seqGT(p.Ack, r.maxEnd)
		}
		return true
	}
	if seq == h.next {
		return true
	}
	base := h.next
	if r.ackSeen && seqLT(r.lastAck, base) {
		base = r.lastAck // data in flight: the receiver's RCV.NXT is lower
	}
	if !r.winSeen {
		return !seqLT(seq, base) // window unknown: anything not below base
	}
	shift := int(r.wscale)
	if shift < 0 {
		shift = 14 // scale unknown: assume the largest (lenient)
	}
	win := uint64(r.window) << shift
	if win == 0 {
		win = 1
	}
	off := seq - base
	return int32(off) >= 0 && uint64(off) < win+uint64(h.next-base)
}
