package reassembly

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	gpreasm "github.com/gopacket/gopacket/reassembly"
)

// randomStream builds a client byte stream, cuts it into segments (a full
// segmentation plus overlapping re-sends and exact duplicates), shuffles
// them with the FIN, and returns the rows after a handshake.
func randomStream(seed uint64) (rows []seg, want []byte) {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	n := 1 + rng.IntN(3000)
	want = make([]byte, n)
	for i := range want {
		want[i] = byte('a' + rng.IntN(26))
	}
	isn := rng.Uint32()
	if seed%3 == 0 {
		isn = 0xFFFFFFFF - uint32(rng.IntN(2000)) // the stream crosses 2^32
	}
	type piece struct{ a, b int }
	var pieces []piece
	for off := 0; off < n; {
		l := min(1+rng.IntN(200), n-off)
		pieces = append(pieces, piece{off, off + l})
		off += l
	}
	for k := rng.IntN(10); k > 0; k-- {
		a := rng.IntN(n)
		pieces = append(pieces, piece{a, a + 1 + rng.IntN(min(300, n-a))})
	}
	for k := rng.IntN(5); k > 0; k-- {
		pieces = append(pieces, pieces[rng.IntN(len(pieces))])
	}
	rng.Shuffle(len(pieces), func(i, j int) { pieces[i], pieces[j] = pieces[j], pieces[i] })
	finAt := rng.IntN(len(pieces) + 1)
	rows = handshake(isn, 5000)
	ms := 10
	for i := 0; i <= len(pieces); i++ {
		if i == finAt {
			rows = append(rows, seg{at: ms, from: 'c', flags: "FA", seq: isn + 1 + uint32(n), ack: 5001})
			ms++
		}
		if i < len(pieces) {
			p := pieces[i]
			rows = append(rows, seg{at: ms, from: 'c', flags: "PA", seq: isn + 1 + uint32(p.a), ack: 5001, data: string(want[p.a:p.b])})
			ms++
		}
	}
	return rows, want
}

// TestStreamProperty: random permutations and duplications of a segmented
// byte stream deliver exactly the original bytes, once, with no gap; and
// gopacket's reassembly, used as an oracle, agrees.
func TestStreamProperty(t *testing.T) {
	for seed := range uint64(400) {
		rows, want := randomStream(seed)
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			r, _ := runSegs(t, Config{}, rows)
			cr := r.conn(t, 1)
			if got := cr.stream[0]; got != string(want)+"<end>" {
				t.Fatalf("delivered %d bytes %q…, want %d bytes", len(got), got[:min(len(got), 60)], len(want))
			}
			ds := cr.closed.Dir[0]
			if ds.Gaps != 0 || ds.PayloadBytes != uint64(len(want)) {
				t.Errorf("gaps %d payload %d, want 0 and %d", ds.Gaps, ds.PayloadBytes, len(want))
			}
			if oracle := gopacketReassemble(t, rows); !bytes.Equal(oracle, want) {
				t.Errorf("gopacket oracle delivered %d bytes, want %d", len(oracle), len(want))
			}
		})
	}
}

// TestStreamPropertyNoStream: without a Stream the counters are the same.
func TestStreamPropertyNoStream(t *testing.T) {
	for seed := range uint64(50) {
		rows, want := randomStream(seed)
		r := newRec()
		r.noStream = true
		tr := New(Config{}, r)
		for i, s := range rows {
			tr.Packet(mk(i, s))
		}
		tr.Flush()
		ds := r.conns[1].closed.Dir[0]
		if ds.Gaps != 0 || ds.PayloadBytes != uint64(len(want)) {
			t.Errorf("seed %d: gaps %d payload %d, want 0 and %d", seed, ds.Gaps, ds.PayloadBytes, len(want))
		}
	}
}

// gopacketReassemble runs the rows through gopacket's reassembly and
// returns the client→server bytes it delivered.
func gopacketReassemble(t *testing.T, rows []seg) []byte {
	t.Helper()
	f := &gpFactory{}
	asm := gpreasm.NewAssembler(gpreasm.NewStreamPool(f))
	for i, s := range rows {
		p := mk(i, s)
		tcp := &layers.TCP{
			SrcPort: layers.TCPPort(p.Src.Port),
			DstPort: layers.TCPPort(p.Dst.Port),
			Seq:     p.Seq,
			Ack:     p.Ack,
			SYN:     s.flags == "S" || s.flags == "SA",
			ACK:     s.flags != "S",
			FIN:     s.flags == "FA",
			PSH:     s.flags == "PA",
			Window:  p.Window,
		}
		tcp.Payload = p.Payload
		tcp.SetInternalPortsForTesting()
		src, dst := p.Src.Addr.Netip().As4(), p.Dst.Addr.Netip().As4()
		netFlow := gopacket.NewFlow(layers.EndpointIPv4, net.IP(src[:]), net.IP(dst[:]))
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(0, int64(p.Time)), CaptureLength: p.CapLen, Length: p.WireLen}
		asm.AssembleWithContext(netFlow, tcp, &gpContext{ci})
	}
	asm.FlushAll()
	if f.s == nil {
		t.Fatal("gopacket created no stream")
	}
	return f.s.c2s
}

type gpContext struct{ ci gopacket.CaptureInfo }

func (c *gpContext) GetCaptureInfo() gopacket.CaptureInfo { return c.ci }

type gpFactory struct{ s *gpStream }

func (f *gpFactory) New(_, _ gopacket.Flow, _ *layers.TCP, _ gpreasm.AssemblerContext) gpreasm.Stream {
	f.s = &gpStream{}
	return f.s
}

type gpStream struct{ c2s []byte }

func (s *gpStream) Accept(*layers.TCP, gopacket.CaptureInfo, gpreasm.TCPFlowDirection, gpreasm.Sequence, *bool, gpreasm.AssemblerContext) bool {
	return true
}

func (s *gpStream) ReassembledSG(sg gpreasm.ScatterGather, _ gpreasm.AssemblerContext) {
	dir, _, _, _ := sg.Info()
	n, _ := sg.Lengths()
	if dir == gpreasm.TCPDirClientToServer {
		s.c2s = append(s.c2s, sg.Fetch(n)...)
	}
}

func (s *gpStream) ReassemblyComplete(gpreasm.AssemblerContext) bool { return false }
