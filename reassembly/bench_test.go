package reassembly

import (
	"fmt"
	"strings"
	"testing"

	"connscope/capture"
	"connscope/flow"
)

// countSink counts what it receives and keeps nothing.
type countSink struct {
	s                stream0
	segs, opened, cl int
}

type stream0 struct{ bytes, gaps, ends int }

func (s *stream0) Data(_ flow.Dir, _ flow.Time, p []byte) { s.bytes += len(p) }
func (s *stream0) Gap(_ flow.Dir, _ flow.Time, n int)     { s.gaps += n }
func (s *stream0) End(flow.Dir, flow.Time)                { s.ends++ }

func (k *countSink) ConnOpened(*Conn) Stream     { k.opened++; return &k.s }
func (k *countSink) Segment(*Conn, *SegmentInfo) { k.segs++ }
func (k *countSink) ConnClosed(*Conn)            { k.cl++ }

// inOrderLoad holds, per connection, a data packet and the ACK answering it,
// advanced in place so that nothing is allocated per packet.
type inOrderLoad struct {
	data, ack []*capture.Packet
	now       flow.Time
	i         int
}

func newInOrderLoad(tr *Tracker, conns, size int) *inOrderLoad {
	l := &inOrderLoad{now: baseTime}
	payload := []byte(strings.Repeat("x", size))
	for n := range conns {
		cli := ep("10.1.0.1", uint16(20000+n))
		for i, s := range handshake(1000, 5000) {
			s.cli = &cli
			tr.Packet(mk(i, s))
		}
		d := mk(0, seg{from: 'c', flags: "PA", seq: 1001, ack: 5001, cli: &cli})
		d.Payload, d.PayloadLen = payload, size
		a := mk(0, seg{from: 's', flags: "A", seq: 5001, ack: 1001, cli: &cli})
		l.data, l.ack = append(l.data, d), append(l.ack, a)
	}
	return l
}

// step sends one packet: a data segment, or the ACK of the previous one.
func (l *inOrderLoad) step(tr *Tracker) {
	c := (l.i / 2) % len(l.data)
	l.now += 1000
	if l.i%2 == 0 {
		p := l.data[c]
		p.Time = l.now
		tr.Packet(p)
		p.Seq += uint32(p.PayloadLen)
	} else {
		p := l.ack[c]
		p.Time = l.now
		p.Ack = l.data[c].Seq
		tr.Packet(p)
	}
	l.i++
}

// TestInOrderNoAllocs: in-order packets of a known connection allocate
// nothing.
func TestInOrderNoAllocs(t *testing.T) {
	for _, conns := range []int{1, 50} {
		t.Run(fmt.Sprintf("%d connections", conns), func(t *testing.T) {
			k := &countSink{}
			tr := New(Config{}, k)
			l := newInOrderLoad(tr, conns, 1200)
			for range 10 * conns {
				l.step(tr) // warm up
			}
			if a := testing.AllocsPerRun(2000, func() { l.step(tr) }); a != 0 {
				t.Errorf("%.2f allocations per in-order packet", a)
			}
			tr.Flush()
			if k.s.gaps != 0 || k.cl != conns || k.s.bytes == 0 {
				t.Errorf("sink saw gaps %d, closed %d, bytes %d", k.s.gaps, k.cl, k.s.bytes)
			}
		})
	}
}

// BenchmarkTrackerInOrder measures the in-order path: data segments and
// their ACKs over a number of concurrent connections.
func BenchmarkTrackerInOrder(b *testing.B) {
	for _, conns := range []int{1, 100, 10000} {
		b.Run(fmt.Sprintf("conns=%d", conns), func(b *testing.B) {
			k := &countSink{}
			tr := New(Config{}, k)
			l := newInOrderLoad(tr, conns, 500)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				l.step(tr)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pkts/s")
		})
	}
}

// BenchmarkTrackerReorder measures a stream whose segments arrive in swapped
// pairs (every other segment goes through the out-of-order buffer).
func BenchmarkTrackerReorder(b *testing.B) {
	k := &countSink{}
	tr := New(Config{}, k)
	for i, s := range handshake(1000, 5000) {
		tr.Packet(mk(i, s))
	}
	payload := []byte(strings.Repeat("y", 500))
	p1 := mk(0, seg{from: 'c', flags: "PA", ack: 5001})
	p2 := mk(0, seg{from: 'c', flags: "PA", ack: 5001})
	p1.Payload, p1.PayloadLen = payload, len(payload)
	p2.Payload, p2.PayloadLen = payload, len(payload)
	seq := uint32(1001)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		p2.Seq, p1.Seq = seq+500, seq
		tr.Packet(p2)
		tr.Packet(p1)
		seq += 1000
	}
	b.ReportMetric(float64(2*b.N)/b.Elapsed().Seconds(), "pkts/s")
}
