package capture

import (
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/gopacket/gopacket/layers"

	"connscope/internal/pcapgen"
)

var updateSeeds = flag.Bool("update-fuzz-seeds", false, "rewrite the committed fuzz seed corpora under testdata/fuzz")

// fuzzLinks are the link types FuzzDecode picks from with its first byte
// (index modulo the length): every type the decoder handles and one it
// does not.
var fuzzLinks = []layers.LinkType{linkEthernet, linkLinuxSLL, linkLinuxSLL2, linkNull, linkLoop, linkRaw, linkIPv4, linkIPv6, linkRawBSD, 147}

// FuzzDecode drives the packet decode path (link, IPv4/IPv6 with
// extension headers, TCP/UDP, TCP options) with arbitrary frames, without
// the recover that protects real reads, so a decoder panic fails the
// target. The first byte picks the link type, the second how many bytes
// the snap length cut off. Checks: a decoded packet's payload lies inside
// the frame and never exceeds PayloadLen, PayloadLen fits in the wire
// length, and the transport is TCP or UDP.
func FuzzDecode(f *testing.F) {
	for i, link := range []pcapgen.Link{pcapgen.Ethernet, pcapgen.SLL, pcapgen.SLL2, pcapgen.Null, pcapgen.Loop, pcapgen.Raw, pcapgen.RawIPv4, pcapgen.RawIPv6, pcapgen.QinQ} {
		for j, seg := range fuzzDecodeSegments() {
			if (link == pcapgen.RawIPv4 && seg.Src.Addr().Is6()) || (link == pcapgen.RawIPv6 && seg.Src.Addr().Is4()) {
				continue
			}
			lt := byte(0)
			for k, l := range fuzzLinks {
				if uint16(l) == link.LinkType() {
					lt = byte(k)
				}
			}
			f.Add(append([]byte{lt, byte((i + j) % 3 * 7)}, pcapgen.Encap(link, seg.IPPacket())...))
		}
	}
	s := newFileSource()
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 {
			return
		}
		lt := fuzzLinks[int(data[0])%len(fuzzLinks)]
		frame := append([]byte(nil), data[2:]...) // cap == len, as read
		p := &Packet{CapLen: len(frame), WireLen: len(frame) + int(data[1])}
		out, tok := s.dec.decode(p, frame, lt, s.anomalies)
		switch out {
		case outDecoded:
			if p.Proto != ProtoTCP && p.Proto != ProtoUDP {
				t.Fatalf("decoded transport %d", p.Proto)
			}
			if p.PayloadLen < 0 || len(p.Payload) > p.PayloadLen || p.PayloadLen > p.WireLen {
				t.Fatalf("payload %d, PayloadLen %d, wire %d", len(p.Payload), p.PayloadLen, p.WireLen)
			}
			if len(p.Payload) > 0 && cap(p.Payload) > cap(frame) {
				t.Fatalf("payload outside the frame")
			}
		case outAnomaly:
			if tok == "" {
				t.Fatalf("anomaly without a token")
			}
		}
	})
}

// fuzzDecodeSegments are seed packets: IPv4 and IPv6 TCP with options,
// IPv6 extension headers, UDP, fragments and a zero IPv4 length.
func fuzzDecodeSegments() []pcapgen.Segment {
	c4, s4 := mustAP("192.0.2.1:40000"), mustAP("192.0.2.2:80")
	c6, s6 := mustAP("[2001:db8::1]:40000"), mustAP("[2001:db8::2]:443")
	opts := [][]byte{pcapgen.OptMSS(1460), pcapgen.OptSACKPermitted(), pcapgen.OptTimestamps(1, 2), pcapgen.OptNOP(), pcapgen.OptWScale(7)}
	syn := pcapgen.TCP(c4, s4, 1, 0, pcapgen.SYN, 65535, nil, opts...)
	data := pcapgen.TCP(c4, s4, 2, 5, pcapgen.ACK|pcapgen.PSH, 512, []byte("GET / HTTP/1.1\r\n\r\n"), pcapgen.OptSACK(10, 20, 30, 40))
	v6 := pcapgen.TCP(c6, s6, 7, 9, pcapgen.ACK, 100, []byte("hello"))
	v6.IPv6Ext = []uint8{pcapgen.ExtHopByHop, pcapgen.ExtRouting, pcapgen.ExtDestination}
	frag := pcapgen.TCP(c6, s6, 7, 9, pcapgen.ACK, 100, []byte("fragment"))
	frag.MoreFragments = true
	tso := pcapgen.TCP(c4, s4, 2, 5, pcapgen.ACK, 512, []byte("tso"))
	tso.ZeroIPLength = true
	udp := pcapgen.UDP(c4, mustAP("192.0.2.53:53"), []byte{0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0})
	return []pcapgen.Segment{syn, data, v6, frag, tso, udp}
}

func mustAP(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

// TestWriteDecodeSeeds rewrites testdata/fuzz/FuzzDecode from the seed
// packets (go test -run TestWriteDecodeSeeds -update-fuzz-seeds).
func TestWriteDecodeSeeds(t *testing.T) {
	if !*updateSeeds {
		t.Skip("run with -update-fuzz-seeds to rewrite testdata/fuzz/FuzzDecode")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzDecode")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	names := []string{"syn_options", "data_sack", "v6_ext_headers", "v6_fragment", "tso_zero_length", "udp_dns"}
	for i, link := range []pcapgen.Link{pcapgen.Ethernet, pcapgen.SLL2, pcapgen.Raw} {
		for j, seg := range fuzzDecodeSegments() {
			lt := byte(0)
			for k, l := range fuzzLinks {
				if uint16(l) == link.LinkType() {
					lt = byte(k)
				}
			}
			data := append([]byte{lt, byte(j % 2 * 9)}, pcapgen.Encap(link, seg.IPPacket())...)
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\n", strconv.Quote(string(data)))
			name := fmt.Sprintf("link%d_%s", i, names[j])
			if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
