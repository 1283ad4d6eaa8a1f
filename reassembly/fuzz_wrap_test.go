package reassembly

import (
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"connscope/capture"
	"connscope/flow"
)

var updateSeeds = flag.Bool("update-fuzz-seeds", false, "rewrite the committed fuzz seed corpora under testdata/fuzz")

// Kinds of the 4-byte operations of FuzzTrackerSegments (bits 1-3 of the
// first byte).
const (
	opData = iota
	opDataPSH
	opFIN
	opRST
	opSYN // SYN from the client, SYN/ACK from the server
	opACK
	opRSTACK
	opDataFIN
)

// wrapPackets decodes b into the segments of one connection whose initial
// sequence numbers sit just below 2^32, so that the streams wrap around.
// b[0] and b[1] pick how far below 2^32 the client and server ISNs are;
// then every 4 bytes are one segment: direction and kind (byte 0), a
// signed offset from the sender's cursor in 16-byte steps (byte 1), a
// payload length (byte 2) and a time step in milliseconds (byte 3). A
// FIN moves its sender's cursor past its sequence number, so that the
// peer's next segment acknowledges it. Payload byte at sequence number s is byte(s), so any two deliveries of
// the same sequence space carry the same bytes (RFC 9293 §3.10.7.4: a
// receiver may keep either copy of overlapping data) and the in-order
// stream is checkable without knowing where it started.
func wrapPackets(b []byte) []*capture.Packet {
	if len(b) < 2 {
		return nil
	}
	isn := [2]uint32{0xFFFFFFFF - uint32(b[0])*64, 0xFFFFFFFF - uint32(b[1])*64}
	cursor := [2]uint32{}
	eps := [2]flow.Endpoint{cliEP, srvEP}
	now := baseTime
	var out []*capture.Packet
	for b = b[2:]; len(b) >= 4; b = b[4:] {
		d := int(b[0] & 1)
		kind := int(b[0]>>1) & 7
		off := int32(int8(b[1])) * 16
		n := int(b[2])
		now += flow.Time(time.Duration(b[3]) * time.Millisecond)
		seq := isn[d] + 1 + cursor[d] + uint32(off)
		ack := isn[1-d] + 1 + cursor[1-d]
		p := &capture.Packet{
			Index: uint64(len(out) + 1), Time: now, IPVersion: 4,
			Src: eps[d], Dst: eps[1-d], Proto: capture.ProtoTCP,
			Seq: seq, Ack: ack, Flags: capture.FlagACK, Window: 65535,
		}
		switch kind {
		case opData, opDataPSH, opDataFIN:
			p.Payload = make([]byte, n)
			for i := range p.Payload {
				p.Payload[i] = byte(seq + uint32(i))
			}
			if kind == opDataPSH {
				p.Flags |= capture.FlagPSH
			}
			if kind == opDataFIN {
				p.Flags |= capture.FlagFIN
			}
			if off >= 0 {
				cursor[d] += uint32(off) + uint32(n)
			}
			if kind == opDataFIN {
				cursor[d]++ // the FIN's sequence number, acknowledged by the peer's next segment
			}
		case opFIN:
			p.Flags |= capture.FlagFIN
			cursor[d]++
		case opRST:
			p.Flags = capture.FlagRST
		case opRSTACK:
			p.Flags |= capture.FlagRST
		case opSYN:
			p.Seq = isn[d]
			p.Flags = capture.FlagSYN
			if d == 1 {
				p.Flags |= capture.FlagACK
				p.Ack = isn[0] + 1
			}
			p.Opts = capture.TCPOptions{MSS: 1460, HasMSS: true, WScale: 7, HasWScale: true}
		case opACK:
		}
		p.PayloadLen = len(p.Payload)
		p.CapLen = 54 + len(p.Payload)
		p.WireLen = p.CapLen
		out = append(out, p)
	}
	return out
}

// checkStreamPattern checks that the in-order bytes of every direction
// follow the byte(seq) pattern across deliveries and gaps: each byte is
// the previous plus one, and a gap of N bytes skips N values.
func checkStreamPattern(t *testing.T, r *rec) {
	t.Helper()
	for id, cr := range r.conns {
		for d := range 2 {
			s := cr.stream[d]
			var prev int = -1
			for len(s) > 0 {
				if strings.HasPrefix(s, "<end>") {
					s = s[len("<end>"):]
					continue
				}
				if strings.HasPrefix(s, "<gap:") {
					i := strings.IndexByte(s, '>')
					n, err := strconv.Atoi(s[5:i])
					if err != nil || n <= 0 {
						t.Fatalf("conn %d dir %d: bad gap %q", id, d, s[:i+1])
					}
					if prev >= 0 {
						prev = (prev + n) & 0xff
					}
					s = s[i+1:]
					continue
				}
				c := int(s[0])
				if prev >= 0 && c != (prev+1)&0xff {
					t.Fatalf("conn %d dir %d: byte %d follows %d (stream %q)", id, d, c, prev, cr.stream[d])
				}
				prev = c
				s = s[1:]
			}
		}
	}
}

// FuzzTrackerSegments fuzzes one connection's segment sequence around
// sequence-number wrap-around: retransmissions, overlaps, out-of-order
// segments, holes, FIN, RST and repeated SYNs. Checks: the invariants of
// checkInvariants under small and default limits, and the in-order stream
// pattern.
func FuzzTrackerSegments(f *testing.F) {
	for _, s := range trackerSeeds() {
		f.Add(s.data)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		pkts := wrapPackets(b)
		for _, cfg := range []Config{
			{MaxConns: 2, MaxBufferPerDir: 300, MaxBufferTotal: 500, IdleTimeout: 2 * time.Second, CloseLinger: time.Second},
			DefaultConfig(),
		} {
			checkInvariants(t, cfg, pkts)
			r := newRec()
			tr := New(cfg, r)
			for _, p := range pkts {
				tr.Packet(p)
			}
			tr.Flush()
			checkStreamPattern(t, r)
		}
	})
}

type trackerSeed struct {
	name string
	data []byte
}

// op encodes one FuzzTrackerSegments operation.
func op(server bool, kind int, off int8, n, ms byte) []byte {
	d := byte(0)
	if server {
		d = 1
	}
	return []byte{d | byte(kind)<<1, byte(off), n, ms}
}

func ops(isnC, isnS byte, list ...[]byte) []byte {
	b := []byte{isnC, isnS}
	for _, o := range list {
		b = append(b, o...)
	}
	return b
}

// trackerSeeds are the committed seeds of FuzzTrackerSegments (and, as
// raw bytes, of FuzzTracker).
func trackerSeeds() []trackerSeed {
	hs := [][]byte{op(false, opSYN, 0, 0, 0), op(true, opSYN, 0, 0, 1), op(false, opACK, 0, 0, 0)}
	with := func(rest ...[]byte) [][]byte { return append(append([][]byte{}, hs...), rest...) }
	return []trackerSeed{
		{"wrap_in_order", ops(1, 1, with(op(false, opData, 0, 200, 1), op(false, opDataPSH, 0, 200, 1), op(true, opData, 0, 255, 1), op(false, opFIN, 0, 0, 1), op(true, opFIN, 0, 0, 1), op(false, opACK, 0, 0, 1))...)},
		{"wrap_overlap_retransmit", ops(2, 3, with(op(false, opData, 0, 100, 1), op(false, opData, -8, 200, 1), op(false, opData, -4, 255, 1), op(true, opACK, 0, 0, 1))...)},
		{"out_of_order_hole", ops(0, 5, with(op(false, opData, 4, 100, 1), op(false, opData, 2, 100, 1), op(false, opData, -20, 60, 1), op(false, opRST, 0, 0, 1))...)},
		{"rst_mid_stream", ops(1, 0, with(op(true, opData, 0, 255, 1), op(true, opRSTACK, 0, 0, 1), op(false, opData, 0, 10, 1))...)},
		{"no_handshake_wrap", ops(0, 0, op(false, opData, 0, 255, 0), op(true, opData, 0, 255, 1), op(false, opData, 0, 255, 1), op(false, opDataFIN, 0, 1, 1))},
		{"syn_again_after_close", ops(4, 4, with(op(false, opFIN, 0, 0, 1), op(true, opFIN, 0, 0, 1), op(false, opACK, 0, 0, 1), op(false, opSYN, 0, 0, 200), op(true, opRST, 0, 0, 1))...)},
		{"idle_then_data", ops(9, 9, with(op(false, opData, 0, 10, 255), op(false, opData, 0, 10, 255), op(false, opData, 0, 10, 255))...)},
		{"late_ack_after_settle", ops(3, 5, with(op(false, opData, 0, 100, 1), op(true, opFIN, 0, 0, 1), op(false, opFIN, 0, 0, 1), op(true, opACK, 0, 0, 1), op(false, opACK, 0, 0, 150), op(true, opACK, 0, 0, 1))...)},
	}
}

// TestWriteTrackerSeeds rewrites testdata/fuzz/FuzzTrackerSegments and
// testdata/fuzz/FuzzTracker (go test -run TestWriteTrackerSeeds
// -update-fuzz-seeds).
func TestWriteTrackerSeeds(t *testing.T) {
	if !*updateSeeds {
		t.Skip("run with -update-fuzz-seeds to rewrite testdata/fuzz")
	}
	for _, target := range []string{"FuzzTrackerSegments", "FuzzTracker"} {
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		seeds := trackerSeeds()
		if target == "FuzzTracker" {
			// hostilePackets records: 12 bytes each over four endpoints.
			seeds = nil
			for i, pat := range []string{"handshake_data_fin", "rst_storm", "overlap"} {
				var b []byte
				for j := range 12 {
					r := make([]byte, 12)
					r[0] = byte(j%2)*4 + byte(i)
					r[1] = []byte{capture.FlagSYN, capture.FlagSYN | capture.FlagACK, capture.FlagACK, capture.FlagACK | capture.FlagPSH, capture.FlagFIN | capture.FlagACK, capture.FlagRST}[(j+i)%6]
					binary.BigEndian.PutUint32(r[2:], uint32(1000+j*100*(i+1)))
					binary.BigEndian.PutUint32(r[6:], uint32(5000+j*50))
					r[10], r[11] = byte(100+i*50), byte(j*16+5)
					b = append(b, r...)
				}
				seeds = append(seeds, trackerSeed{pat, b})
			}
		}
		for _, s := range seeds {
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\n", strconv.Quote(string(s.data)))
			if err := os.WriteFile(filepath.Join(dir, s.name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
