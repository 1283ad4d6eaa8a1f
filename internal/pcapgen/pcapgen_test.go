package pcapgen_test

import (
	"bytes"
	"encoding/binary"
	"io"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"connscope/capture"
	"connscope/internal/pcapgen"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

var (
	t0     = time.Date(2025, 1, 2, 3, 4, 5, 6000, time.UTC)
	client = netip.MustParseAddrPort("10.1.1.1:50000")
	server = netip.MustParseAddrPort("10.2.2.2:8080")
)

type pkt struct {
	capture.Packet
	data []byte
}

func read(t *testing.T, b []byte) ([]pkt, capture.Stats) {
	t.Helper()
	s, err := capture.OpenReader("gen", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var out []pkt
	for {
		p, err := s.Next()
		if err == io.EOF {
			return out, s.Stats()
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, pkt{*p, bytes.Clone(p.Payload)})
	}
}

// TestConnConversation plays a conversation and checks every segment's
// numbers, flags and times as read back by the capture package.
func TestConnConversation(t *testing.T) {
	w := pcapgen.New(pcapgen.Options{Format: pcapgen.PcapNano})
	c := pcapgen.NewConn(w, client, server, t0)
	c.SetISN(0xfffffff0, 7) // client sequence numbers wrap during the data
	c.MSS = 10
	c.Handshake(5 * time.Millisecond)
	c.ClientSend([]byte("0123456789abcdefghij12345")) // 3 segments: 10+10+5
	c.ServerSend([]byte("ok"))
	c.ServerFIN()
	c.ClientRST()
	if err := c.Err(); err != nil {
		t.Fatal(err)
	}
	pkts, st := read(t, w.Bytes())
	step := pcapgen.DefaultStep
	hs := t0.Add(5 * time.Millisecond)
	type want struct {
		fromClient bool
		seq, ack   uint32
		flags      uint8
		n          int
		at         time.Time
	}
	const isn = 0xfffffff0
	wants := []want{
		{true, isn, 0, pcapgen.SYN, 0, t0},
		{false, 7, isn + 1, pcapgen.SYN | pcapgen.ACK, 0, hs},
		{true, isn + 1, 8, pcapgen.ACK, 0, hs.Add(step)},
		{true, isn + 1, 8, pcapgen.ACK, 10, hs.Add(2 * step)},
		{true, isn + 11, 8, pcapgen.ACK, 10, hs.Add(3 * step)},
		{true, 5, 8, pcapgen.ACK | pcapgen.PSH, 5, hs.Add(4 * step)}, // wrapped
		{false, 8, 10, pcapgen.ACK | pcapgen.PSH, 2, hs.Add(5 * step)},
		{false, 10, 10, pcapgen.FIN | pcapgen.ACK, 0, hs.Add(6 * step)},
		{true, 10, 11, pcapgen.RST | pcapgen.ACK, 0, hs.Add(7 * step)},
	}
	if len(pkts) != len(wants) {
		t.Fatalf("got %d packets, want %d", len(pkts), len(wants))
	}
	for i, w := range wants {
		p := pkts[i]
		src := server
		if w.fromClient {
			src = client
		}
		if p.Src.String() != src.String() || p.Seq != w.seq || p.Ack != w.ack || p.Flags != w.flags ||
			p.PayloadLen != w.n || !p.Time.Time().Equal(w.at) {
			t.Errorf("packet %d: %v seq %d ack %d flags %#x len %d at %v; want %+v",
				i, p.Src, p.Seq, p.Ack, p.Flags, p.PayloadLen, p.Time.Time(), w)
		}
	}
	if o := pkts[0].Opts; !o.HasMSS || o.MSS != 1460 || !o.SACKPermitted || o.WScale != 7 {
		t.Errorf("SYN options %+v", o)
	}
	if string(pkts[3].data)+string(pkts[4].data)+string(pkts[5].data) != "0123456789abcdefghij12345" {
		t.Errorf("data split wrong")
	}
	if st.Packets != uint64(len(wants)) || len(st.Anomalies) != 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestCraftedSegments checks the template and Write for retransmissions and
// a capture starting mid-stream (no handshake).
func TestCraftedSegments(t *testing.T) {
	w := pcapgen.New(pcapgen.Options{Link: pcapgen.SLL2})
	c := pcapgen.NewConn(w, client, server, t0)
	c.ClientSend([]byte("abc")) // no SYN: starts at ISN+1
	retx := c.Segment(true)
	retx.Seq -= 3
	retx.Payload = []byte("abc")
	c.Write(retx)
	pkts, _ := read(t, w.Bytes())
	if len(pkts) != 2 || pkts[0].Seq != pcapgen.DefaultClientISN+1 || pkts[1].Seq != pkts[0].Seq || string(pkts[1].data) != "abc" {
		t.Errorf("packets %+v", pkts)
	}
	if c.ClientNext != pcapgen.DefaultClientISN+4 {
		t.Errorf("ClientNext %d changed by Write", c.ClientNext)
	}
}

// TestFileHeaders checks the magic numbers and byte order of generated file
// headers.
func TestFileHeaders(t *testing.T) {
	cases := []struct {
		name string
		opts pcapgen.Options
		head []byte
	}{
		{"pcap_micro_le", pcapgen.Options{Format: pcapgen.PcapMicro}, []byte{0xd4, 0xc3, 0xb2, 0xa1}},
		{"pcap_micro_be", pcapgen.Options{Format: pcapgen.PcapMicro, BigEndian: true}, []byte{0xa1, 0xb2, 0xc3, 0xd4}},
		{"pcap_nano_le", pcapgen.Options{Format: pcapgen.PcapNano}, []byte{0x4d, 0x3c, 0xb2, 0xa1}},
		{"pcap_nano_be", pcapgen.Options{Format: pcapgen.PcapNano, BigEndian: true}, []byte{0xa1, 0xb2, 0x3c, 0x4d}},
		{"pcapng_le", pcapgen.Options{Format: pcapgen.PcapNG}, []byte{0x0a, 0x0d, 0x0d, 0x0a, 0x1c, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a}},
		{"pcapng_be", pcapgen.Options{Format: pcapgen.PcapNG, BigEndian: true}, []byte{0x0a, 0x0d, 0x0d, 0x0a, 0, 0, 0, 0x1c, 0x1a, 0x2b, 0x3c, 0x4d}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := pcapgen.New(c.opts)
			w.WriteSegment(t0, pcapgen.TCP(client, server, 1, 2, pcapgen.ACK, 3, []byte("x")))
			b := w.Bytes()
			if !bytes.HasPrefix(b, c.head) {
				t.Errorf("header % x, want prefix % x", b[:16], c.head)
			}
			pkts, _ := read(t, b)
			if len(pkts) != 1 || string(pkts[0].data) != "x" {
				t.Errorf("round trip %+v", pkts)
			}
		})
	}
}

// TestChecksums verifies generated IPv4, TCP and UDP checksums with
// gopacket's independent implementation (RFC 1071 receiver check).
func TestChecksums(t *testing.T) {
	v6c := netip.MustParseAddrPort("[2001:db8::1]:1000")
	v6s := netip.MustParseAddrPort("[2001:db8::2]:80")
	cases := []struct {
		name string
		seg  pcapgen.Segment
	}{
		{"tcp4", pcapgen.TCP(client, server, 1, 2, pcapgen.ACK, 3, []byte("hello"), pcapgen.OptMSS(1400))},
		{"tcp4_odd_payload", pcapgen.TCP(client, server, 9, 8, pcapgen.PSH|pcapgen.ACK, 3, []byte("odd"))},
		{"udp4", pcapgen.UDP(client, server, []byte("dns?"))},
		{"tcp6", pcapgen.TCP(v6c, v6s, 1, 2, pcapgen.SYN, 3, nil, pcapgen.OptWScale(3))},
		{"udp6", pcapgen.UDP(netip.MustParseAddrPort("[2001:db8::1]:40000"), netip.MustParseAddrPort("[2001:db8::2]:40001"), []byte("quic"))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ip := c.seg.IPPacket()
			first := layers.LayerTypeIPv4
			if ip[0]>>4 == 6 {
				first = layers.LayerTypeIPv6
			}
			p := gopacket.NewPacket(ip, first, gopacket.Default)
			if el := p.ErrorLayer(); el != nil {
				t.Fatalf("decode: %v", el.Error())
			}
			if ip4, ok := p.NetworkLayer().(*layers.IPv4); ok {
				if _, r := ip4.VerifyChecksum(); !r.Valid {
					t.Errorf("ipv4 checksum %+v", r)
				}
			}
			type verifier interface {
				VerifyChecksum() (error, gopacket.ChecksumVerificationResult)
				SetNetworkLayerForChecksum(gopacket.NetworkLayer) error
			}
			v, ok := p.TransportLayer().(verifier)
			if !ok {
				t.Fatal("no transport layer")
			}
			v.SetNetworkLayerForChecksum(p.NetworkLayer())
			err, r := v.VerifyChecksum()
			if err != nil || !r.Valid {
				t.Errorf("transport checksum %+v %v", r, err)
			}
		})
	}
}

// TestPcapngInterfaces writes two sections with differently configured
// interfaces and checks what the capture package sees.
func TestPcapngInterfaces(t *testing.T) {
	var buf bytes.Buffer
	ng := pcapgen.NewNgWriter(&buf, true)
	ms := ng.AddInterface(pcapgen.Ethernet.LinkType(), 3, 65535)
	frame := pcapgen.Encap(pcapgen.Ethernet, pcapgen.TCP(client, server, 1, 0, pcapgen.ACK, 1, nil).IPPacket())
	ng.WritePacket(ms, t0.Add(1500*time.Microsecond), frame, len(frame))
	ng.NewSection(false)
	ns := ng.AddInterface(pcapgen.RawIPv4.LinkType(), 9, 65535)
	ng.AddInterface(pcapgen.SLL.LinkType(), 0, 65535)
	ip := pcapgen.TCP(client, server, 2, 0, pcapgen.ACK, 1, nil).IPPacket()
	ng.WritePacket(ns, t0.Add(7), ip, len(ip))
	if err := ng.WritePacket(5, t0, ip, len(ip)); err == nil {
		t.Error("unknown interface accepted")
	}
	pkts, st := read(t, buf.Bytes())
	if len(pkts) != 2 {
		t.Fatalf("got %d packets", len(pkts))
	}
	if !pkts[0].Time.Time().Equal(t0.Add(1500 * time.Microsecond).Truncate(time.Millisecond)) {
		t.Errorf("ms resolution time %v", pkts[0].Time.Time())
	}
	if !pkts[1].Time.Time().Equal(t0.Add(7)) {
		t.Errorf("ns resolution time %v", pkts[1].Time.Time())
	}
	if st.Interfaces != 3 {
		t.Errorf("interfaces %d", st.Interfaces)
	}
}

// TestSnaplenAndFile checks snap-length cutting and WriteFile.
func TestSnaplenAndFile(t *testing.T) {
	w := pcapgen.New(pcapgen.Options{Link: pcapgen.Raw, Snaplen: 50})
	w.WriteSegment(t0, pcapgen.TCP(client, server, 1, 2, pcapgen.ACK, 3, make([]byte, 100)))
	path := filepath.Join(t.TempDir(), "cut.pcap")
	if err := w.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	s, err := capture.OpenFiles([]string{path}, capture.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p, err := s.Next()
	if err != nil {
		t.Fatal(err)
	}
	if p.CapLen != 50 || p.WireLen != 140 || p.PayloadLen != 100 || len(p.Payload) != 10 {
		t.Errorf("caplen %d wire %d payloadlen %d captured %d", p.CapLen, p.WireLen, p.PayloadLen, len(p.Payload))
	}
}

// TestOptionBytes checks the option encodings against their RFC layouts.
func TestOptionBytes(t *testing.T) {
	ts := pcapgen.OptTimestamps(0x01020304, 0x05060708)
	sack := pcapgen.OptSACK(1, 2)
	cases := []struct {
		name      string
		got, want []byte
	}{
		{"mss", pcapgen.OptMSS(1460), []byte{2, 4, 0x05, 0xb4}},
		{"wscale", pcapgen.OptWScale(7), []byte{3, 3, 7}},
		{"sack_permitted", pcapgen.OptSACKPermitted(), []byte{4, 2}},
		{"timestamps", ts, []byte{8, 10, 1, 2, 3, 4, 5, 6, 7, 8}},
		{"sack", sack, []byte{5, 10, 0, 0, 0, 1, 0, 0, 0, 2}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !bytes.Equal(c.got, c.want) {
				t.Errorf("% x, want % x", c.got, c.want)
			}
		})
	}
	// Options are padded to a multiple of 4 bytes: data offset 6 for 3+1.
	ip := pcapgen.TCP(client, server, 1, 2, pcapgen.ACK, 3, nil, pcapgen.OptWScale(1)).IPPacket()
	if off := ip[20+12] >> 4; off != 6 || binary.BigEndian.Uint16(ip[2:]) != 20+24 {
		t.Errorf("data offset %d, total length %d", off, binary.BigEndian.Uint16(ip[2:]))
	}
}
