package reassembly

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"connscope/capture"
	"connscope/flow"
)

// hostilePackets decodes b into packets over a few tuples with arbitrary
// flags, sequence numbers, lengths, windows and times.
func hostilePackets(b []byte) []*capture.Packet {
	eps := []flow.Endpoint{ep("10.0.0.1", 40000), ep("10.0.0.2", 80), ep("10.0.0.3", 80), ep("10.0.0.1", 40001)}
	var out []*capture.Packet
	now := baseTime
	for len(b) >= 12 {
		r := b[:12]
		b = b[12:]
		src, dst := eps[r[0]&3], eps[(r[0]>>2)&3]
		p := &capture.Packet{
			Index: uint64(len(out) + 1),
			Src:   src, Dst: dst, Proto: capture.ProtoTCP,
			Flags:  r[1],
			Seq:    binary.BigEndian.Uint32(r[2:6]) & 0xF000FFFF,
			Ack:    binary.BigEndian.Uint32(r[6:10]) & 0xF000FFFF,
			Window: uint16(r[10]) * uint16(r[11]&1),
		}
		n := int(r[10])
		p.PayloadLen = n
		capd := n
		if r[11]&2 != 0 {
			capd = n / 2
		}
		p.Payload = []byte(strings.Repeat("z", capd))
		if r[11]&4 != 0 {
			p.Opts.HasWScale, p.Opts.WScale = true, r[11]>>4
		}
		now += flow.Time(time.Duration(int(r[11]>>3)-8) * 300 * time.Millisecond)
		p.Time = now
		p.WireLen = 54 + n
		out = append(out, p)
	}
	return out
}

// checkInvariants feeds packets and checks what must always hold: no
// panic, every opened connection closed once after both End calls, nothing
// held after Flush, and the buffers within their caps; a connection
// settled (the sink is a Settler) once, before its close, closed by FIN
// both ways, with both streams ended and its close as reported.
func checkInvariants(t *testing.T, cfg Config, pkts []*capture.Packet) {
	t.Helper()
	r := newSettleRec()
	tr := New(cfg, r)
	for _, p := range pkts {
		tr.Packet(p)
		if st := tr.Stats(); st.Buffered > cfg.withDefaults().MaxBufferTotal {
			t.Fatalf("buffered %d over the cap", st.Buffered)
		}
		if n := len(tr.tombs); n > cfg.withDefaults().MaxConns {
			t.Fatalf("%d tombs remembered, cap %d", n, cfg.withDefaults().MaxConns)
		}
		for k, tb := range tr.tombs {
			if tb.until <= tr.now-tombSweep {
				t.Fatalf("tomb of %v ended at %v, still remembered at %v", k, tb.until, tr.now)
			}
		}
	}
	tr.Flush()
	st := tr.Stats()
	if st.Active != 0 || st.Buffered != 0 {
		t.Fatalf("after Flush: active %d buffered %d", st.Active, st.Buffered)
	}
	if uint64(len(r.conns)) != st.Conns || len(r.order) != len(r.conns) {
		t.Fatalf("conns %d opened %d closed %d", st.Conns, len(r.conns), len(r.order))
	}
	monotonic := slices.IsSortedFunc(pkts, func(a, b *capture.Packet) int { return cmp.Compare(a.Time, b.Time) })
	for id, cr := range r.conns {
		for d := range 2 {
			if strings.Count(cr.stream[d], "<end>") != 1 || !strings.HasSuffix(cr.stream[d], "<end>") {
				t.Fatalf("conn %d dir %d transcript %q", id, d, cr.stream[d])
			}
			if monotonic && !slices.IsSorted(cr.times[d]) {
				t.Fatalf("conn %d dir %d: Data and Gap times go backwards: %v", id, d, cr.times[d])
			}
		}
		c := cr.closed
		if c.Close.Kind == CloseFIN && (c.Dir[0].FIN == 0 || c.Dir[1].FIN == 0) {
			t.Fatalf("conn %d fin close without both FINs", id)
		}
		if c.Close.TimeWaitHolder != SideNone && c.Close.Kind != CloseFIN {
			t.Fatalf("conn %d holder %s with kind %s", id, c.Close.TimeWaitHolder, c.Close.Kind)
		}
		if fmt.Sprint(c.Client) == fmt.Sprint(c.Server) && c.Client != c.Server {
			t.Fatalf("conn %d endpoints", id)
		}
		s, settled := r.settled[id]
		if !settled {
			continue
		}
		sc, cc := s.Close, c.Close
		if !r.ended[id] || sc.Kind != CloseFIN || sc.Kind != cc.Kind || sc.Initiator != cc.Initiator || sc.TimeWaitHolder != cc.TimeWaitHolder || sc.At != cc.At {
			t.Fatalf("conn %d settled with streams ended %v, close %+v; closed with %+v", id, r.ended[id], sc, cc)
		}
		if i, j := slices.Index(r.log, fmt.Sprintf("settled %d fin", id)), slices.Index(r.log, fmt.Sprintf("closed %d fin", id)); i < 0 || j < i {
			t.Fatalf("conn %d settled at %d, closed at %d", id, i, j)
		}
	}
	if slices.ContainsFunc(r.log, func(l string) bool { return strings.HasPrefix(l, "settled again") }) {
		t.Fatal("a connection settled twice")
	}
}

// TestHostileInput runs random packet soups through small limits.
func TestHostileInput(t *testing.T) {
	cfg := Config{MaxConns: 3, MaxBufferPerDir: 300, MaxBufferTotal: 500, IdleTimeout: 2 * time.Second, CloseLinger: time.Second}
	for seed := range uint64(300) {
		rng := rand.New(rand.NewPCG(seed, 7))
		b := make([]byte, 12*(1+rng.IntN(200)))
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) { checkInvariants(t, cfg, hostilePackets(b)) })
	}
}

// FuzzTracker is the native fuzz target over the same decoding.
func FuzzTracker(f *testing.F) {
	f.Add([]byte("\x04\x02\x00\x00\x03\xe8\x00\x00\x00\x00\x00\x00\x01\x12\x00\x00\x13\x88\x00\x00\x03\xe9\x00\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		checkInvariants(t, Config{MaxConns: 3, MaxBufferPerDir: 300, MaxBufferTotal: 500, IdleTimeout: 2 * time.Second}, hostilePackets(b))
	})
}
