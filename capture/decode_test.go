package capture_test

import (
	"encoding/binary"
	"net/netip"
	"slices"
	"testing"

	"connscope/capture"
	"connscope/internal/pcapgen"
)

// fullSegment is a TCP segment exercising every decoded field.
func fullSegment(src, dst netip.AddrPort) pcapgen.Segment {
	s := pcapgen.TCP(src, dst, 0xfffffff0, 12345, pcapgen.PSH|pcapgen.ACK, 512, payload,
		pcapgen.OptMSS(1400), pcapgen.OptWScale(9), pcapgen.OptSACKPermitted(),
		pcapgen.OptTimestamps(111, 222), pcapgen.OptNOP(), pcapgen.OptNOP(),
		pcapgen.OptSACK(100, 200, 300, 400))
	s.TTL = 57
	s.IPID = 4242
	return s
}

func checkFull(t *testing.T, p got, src, dst netip.AddrPort, v6 bool) {
	t.Helper()
	if p.Src.String() != endpoint(src) || p.Dst.String() != endpoint(dst) {
		t.Errorf("endpoints %v -> %v, want %v -> %v", p.Src, p.Dst, src, dst)
	}
	wantVer := uint8(4)
	if v6 {
		wantVer = 6
	}
	if p.IPVersion != wantVer || p.Proto != capture.ProtoTCP || p.TTL != 57 {
		t.Errorf("version %d proto %d ttl %d", p.IPVersion, p.Proto, p.TTL)
	}
	if !v6 && p.IPID != 4242 {
		t.Errorf("IPID %d", p.IPID)
	}
	if p.Seq != 0xfffffff0 || p.Ack != 12345 || p.Flags != capture.FlagPSH|capture.FlagACK || p.Window != 512 {
		t.Errorf("seq %d ack %d flags %#x window %d", p.Seq, p.Ack, p.Flags, p.Window)
	}
	o := p.Opts
	if !o.HasMSS || o.MSS != 1400 || !o.HasWScale || o.WScale != 9 || !o.SACKPermitted ||
		!o.HasTimestamps || o.TSval != 111 || o.TSecr != 222 || o.NumSACK != 2 ||
		o.SACK[0] != (capture.SACKBlock{Left: 100, Right: 200}) || o.SACK[1] != (capture.SACKBlock{Left: 300, Right: 400}) {
		t.Errorf("options %+v", o)
	}
	if p.PayloadLen != len(payload) || string(p.data) != string(payload) {
		t.Errorf("payload len %d %q", p.PayloadLen, p.data)
	}
	if p.Time.Time() != t0.Truncate(1000) && p.Time.Time() != t0 {
		t.Errorf("time %v, want %v", p.Time.Time(), t0)
	}
	if p.Index != 1 || p.CapLen != p.WireLen {
		t.Errorf("index %d caplen %d wirelen %d", p.Index, p.CapLen, p.WireLen)
	}
}

// TestLinkTypes round-trips a fully optioned TCP segment through every
// supported encapsulation, IPv4 and IPv6, pcap and pcapng.
func TestLinkTypes(t *testing.T) {
	cases := []struct {
		name string
		link pcapgen.Link
		want string
		v4   bool
		v6   bool
	}{
		{"ethernet", pcapgen.Ethernet, "ethernet", true, true},
		{"ethernet_vlan", pcapgen.EthernetVLAN, "ethernet", true, true},
		{"qinq", pcapgen.QinQ, "ethernet", true, true},
		{"sll", pcapgen.SLL, "linux_sll", true, true},
		{"sll2", pcapgen.SLL2, "linux_sll2", true, true},
		{"null_le", pcapgen.Null, "null", true, true},
		{"null_be", pcapgen.NullBigEndian, "null", true, true},
		{"loop", pcapgen.Loop, "loop", true, true},
		{"raw", pcapgen.Raw, "raw", true, true},
		{"ipv4", pcapgen.RawIPv4, "ipv4", true, false},
		{"ipv6", pcapgen.RawIPv6, "ipv6", false, true},
	}
	for _, c := range cases {
		for _, format := range []pcapgen.Format{pcapgen.PcapNano, pcapgen.PcapNG} {
			for _, v6 := range []bool{false, true} {
				if (v6 && !c.v6) || (!v6 && !c.v4) {
					continue
				}
				src, dst := cli4, srv4
				fam := "v4"
				if v6 {
					src, dst, fam = cli6, srv6, "v6"
				}
				fname := "pcap"
				if format == pcapgen.PcapNG {
					fname = "pcapng"
				}
				t.Run(c.name+"_"+fam+"_"+fname, func(t *testing.T) {
					b := oneSegment(t, pcapgen.Options{Format: format, Link: c.link, TSResol: 9}, fullSegment(src, dst))
					s := openBytes(t, "x", b)
					pkts := readAll(t, s)
					if len(pkts) != 1 {
						t.Fatalf("got %d packets", len(pkts))
					}
					checkFull(t, pkts[0], src, dst, v6)
					st := s.Stats()
					if !slices.Equal(st.LinkTypes, []string{c.want}) || !slices.Equal(st.Formats, []string{fname}) {
						t.Errorf("link types %v formats %v", st.LinkTypes, st.Formats)
					}
					if st.Packets != 1 || st.Decoded != 1 || len(st.Anomalies) != 0 {
						t.Errorf("stats %+v", st)
					}
				})
			}
		}
	}
}

// TestHandcraftedLinks covers encapsulations pcapgen does not produce:
// the pre-standard 0x9100 QinQ tag, DLT_RAW numbered 12 and 14, and SLL
// headers with an address length above 8.
func TestHandcraftedLinks(t *testing.T) {
	ip4 := fullSegment(cli4, srv4).IPPacket()
	ip6 := fullSegment(cli6, srv6).IPPacket()
	eth := pcapgen.Encap(pcapgen.Ethernet, ip4)
	tag9100 := slices.Concat(eth[:12], []byte{0x91, 0x00, 0x00, 0x0a, 0x81, 0x00, 0x00, 0x14}, eth[12:])
	sll := pcapgen.Encap(pcapgen.SLL, ip4)
	binary.BigEndian.PutUint16(sll[4:], 20)
	sll2 := pcapgen.Encap(pcapgen.SLL2, ip6)
	sll2[11] = 30
	cases := []struct {
		name    string
		link    uint16
		frame   []byte
		v6      bool
		anomaly string
	}{
		{"qinq_9100", 1, tag9100, false, ""},
		{"dlt_raw_12_v4", 12, ip4, false, ""},
		{"dlt_raw_14_v6", 14, ip6, true, ""},
		{"sll_addr_len_20", 113, sll, false, capture.AnomalyLinkSLLAddrLength},
		{"sll2_addr_len_30", 276, sll2, true, capture.AnomalyLinkSLLAddrLength},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf bytesBuffer
			ng := pcapgen.NewNgWriter(&buf, false)
			ng.AddInterface(c.link, 9, 65535)
			if err := ng.WritePacket(0, t0, c.frame, len(c.frame)); err != nil {
				t.Fatal(err)
			}
			s := openBytes(t, "x", buf.Bytes())
			pkts := readAll(t, s)
			if len(pkts) != 1 {
				t.Fatalf("got %d packets, stats %+v", len(pkts), s.Stats())
			}
			src, dst := cli4, srv4
			if c.v6 {
				src, dst = cli6, srv6
			}
			checkFull(t, pkts[0], src, dst, c.v6)
			if c.anomaly != "" && s.Stats().Anomalies[c.anomaly] != 1 {
				t.Errorf("anomalies %v, want %s", s.Stats().Anomalies, c.anomaly)
			}
		})
	}
}

// TestPayloadLength checks that PayloadLen comes from the IP length and
// Payload from the captured bytes.
func TestPayloadLength(t *testing.T) {
	big := make([]byte, 1000)
	for i := range big {
		big[i] = byte(i)
	}
	t.Run("snaplen_cut", func(t *testing.T) {
		seg := pcapgen.TCP(cli4, srv4, 1, 2, pcapgen.ACK, 100, big)
		b := oneSegment(t, pcapgen.Options{Link: pcapgen.Ethernet, Snaplen: 200}, seg)
		s := openBytes(t, "x", b)
		pkts := readAll(t, s)
		if len(pkts) != 1 {
			t.Fatalf("got %d packets", len(pkts))
		}
		p := pkts[0]
		// 200 captured bytes - 14 Ethernet - 20 IPv4 - 20 TCP.
		if p.PayloadLen != 1000 || len(p.data) != 146 || !p.Truncated() || p.CapLen != 200 || p.WireLen != 1054 {
			t.Errorf("PayloadLen %d captured %d caplen %d wire %d", p.PayloadLen, len(p.data), p.CapLen, p.WireLen)
		}
		if string(p.data) != string(big[:146]) {
			t.Errorf("payload bytes differ")
		}
		if s.Stats().Anomalies[capture.AnomalyCaptureSnaplenCut] != 1 {
			t.Errorf("anomalies %v", s.Stats().Anomalies)
		}
	})
	t.Run("snaplen_cut_in_headers", func(t *testing.T) {
		seg := pcapgen.TCP(cli4, srv4, 1, 2, pcapgen.ACK, 100, big)
		b := oneSegment(t, pcapgen.Options{Link: pcapgen.Ethernet, Snaplen: 40}, seg)
		s := openBytes(t, "x", b)
		if pkts := readAll(t, s); len(pkts) != 0 {
			t.Fatalf("got %d packets", len(pkts))
		}
		an := s.Stats().Anomalies
		if an[capture.AnomalyCaptureHeadersCut] != 1 || an[capture.AnomalyCaptureSnaplenCut] != 1 {
			t.Errorf("anomalies %v", an)
		}
	})
	t.Run("ethernet_padding_ignored", func(t *testing.T) {
		frame := pcapgen.Encap(pcapgen.Ethernet, pcapgen.TCP(cli4, srv4, 1, 2, pcapgen.ACK, 100, nil).IPPacket())
		frame = append(frame, 0, 0, 0, 0, 0, 0) // pad to 60 bytes
		w := pcapgen.New(pcapgen.Options{Link: pcapgen.Ethernet})
		w.WritePacket(t0, frame)
		pkts := readAll(t, openBytes(t, "x", w.Bytes()))
		if len(pkts) != 1 || pkts[0].PayloadLen != 0 || len(pkts[0].data) != 0 {
			t.Errorf("padding counted as payload: %+v", pkts)
		}
	})
	t.Run("tso_length_zero", func(t *testing.T) {
		seg := pcapgen.TCP(cli4, srv4, 1, 2, pcapgen.ACK, 100, big)
		seg.ZeroIPLength = true
		s := openBytes(t, "x", oneSegment(t, pcapgen.Options{Link: pcapgen.Ethernet}, seg))
		pkts := readAll(t, s)
		if len(pkts) != 1 || pkts[0].PayloadLen != 1000 || len(pkts[0].data) != 1000 {
			t.Fatalf("packets %+v", pkts)
		}
		if s.Stats().Anomalies[capture.AnomalyIPTSOLengthZero] != 1 {
			t.Errorf("anomalies %v", s.Stats().Anomalies)
		}
	})
	t.Run("ipv6_big_tcp_length_zero", func(t *testing.T) {
		ip := pcapgen.TCP(cli6, srv6, 1, 2, pcapgen.ACK, 100, big).IPPacket()
		ip[4], ip[5] = 0, 0 // payload length removed with the jumbo option
		w := pcapgen.New(pcapgen.Options{Link: pcapgen.Ethernet})
		w.WritePacket(t0, w.Frame(ip))
		s := openBytes(t, "x", w.Bytes())
		pkts := readAll(t, s)
		if len(pkts) != 1 || pkts[0].PayloadLen != 1000 || len(pkts[0].data) != 1000 {
			t.Fatalf("packets %+v, stats %+v", pkts, s.Stats())
		}
		if s.Stats().Anomalies[capture.AnomalyIPTSOLengthZero] != 1 {
			t.Errorf("anomalies %v", s.Stats().Anomalies)
		}
	})
	t.Run("udp", func(t *testing.T) {
		s := openBytes(t, "x", oneSegment(t, pcapgen.Options{Link: pcapgen.SLL2}, pcapgen.UDP(cli6, srv6, big[:300])))
		pkts := readAll(t, s)
		if len(pkts) != 1 || pkts[0].Proto != capture.ProtoUDP || pkts[0].PayloadLen != 300 ||
			string(pkts[0].data) != string(big[:300]) || pkts[0].Src.Port != 40000 || pkts[0].Dst.Port != 443 {
			t.Errorf("packets %+v", pkts)
		}
	})
}

// TestIPv6ExtensionHeaders checks that Hop-by-Hop, Routing, Destination and
// atomic Fragment headers are skipped (RFC 8200 §4) and real fragments are
// counted and skipped (no reassembly).
func TestIPv6ExtensionHeaders(t *testing.T) {
	cases := []struct {
		name     string
		ext      []uint8
		more     bool
		offset   uint16
		decoded  bool
		fragment bool
	}{
		{"hop_by_hop", []uint8{pcapgen.ExtHopByHop}, false, 0, true, false},
		{"hbh_routing_dest", []uint8{pcapgen.ExtHopByHop, pcapgen.ExtRouting, pcapgen.ExtDestination}, false, 0, true, false},
		{"dest_dest", []uint8{pcapgen.ExtDestination, pcapgen.ExtDestination}, false, 0, true, false},
		{"atomic_fragment", []uint8{pcapgen.ExtFragment}, false, 0, true, false},
		{"first_fragment", []uint8{pcapgen.ExtRouting}, true, 0, false, true},
		{"later_fragment", nil, false, 100, false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			seg := fullSegment(cli6, srv6)
			seg.IPv6Ext = c.ext
			seg.MoreFragments = c.more
			seg.FragOffset = c.offset
			s := openBytes(t, "x", oneSegment(t, pcapgen.Options{Link: pcapgen.Ethernet, Format: pcapgen.PcapNano}, seg))
			pkts := readAll(t, s)
			if c.decoded {
				if len(pkts) != 1 {
					t.Fatalf("got %d packets, stats %+v", len(pkts), s.Stats())
				}
				checkFull(t, pkts[0], cli6, srv6, true)
			} else if len(pkts) != 0 {
				t.Fatalf("fragment decoded")
			}
			if got := s.Stats().Anomalies[capture.AnomalyIPFragment]; (got == 1) != c.fragment {
				t.Errorf("ip_fragment = %d", got)
			}
		})
	}
}

// TestSkippedAndMalformed checks how records that are not TCP/UDP or are
// malformed are counted.
func TestSkippedAndMalformed(t *testing.T) {
	ip := func(seg pcapgen.Segment) []byte { return seg.IPPacket() }
	base := func() []byte { return ip(pcapgen.TCP(cli4, srv4, 1, 2, pcapgen.ACK, 100, payload)) }
	mod := func(f func(b []byte) []byte) []byte { return f(base()) }
	frag := pcapgen.TCP(cli4, srv4, 1, 2, pcapgen.ACK, 100, payload)
	frag.MoreFragments = true
	arp := append(append([]byte{}, make([]byte, 12)...), 0x08, 0x06)
	arp = append(arp, make([]byte, 28)...)
	cases := []struct {
		name    string
		link    uint16
		frame   []byte
		anomaly string
		nonIP   uint64
		otherIP uint64
		decoded uint64
	}{
		{"arp_is_non_ip", 1, arp, "", 1, 0, 0},
		{"icmp_is_other_ip", 101, mod(func(b []byte) []byte { b[9] = 1; return b }), "", 0, 1, 0},
		{"gre_is_other_ip", 101, mod(func(b []byte) []byte { b[9] = 47; return b }), "", 0, 1, 0},
		{"ipv4_fragment", 101, ip(frag), capture.AnomalyIPFragment, 0, 0, 0},
		{"unsupported_link_type", 147, base(), capture.AnomalyLinkTypeUnsupported, 0, 0, 0},
		{"short_ethernet", 1, []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, capture.AnomalyLinkMalformed, 0, 0, 0},
		{"bad_loopback_family", 0, append([]byte{1, 2, 3, 4}, base()...), capture.AnomalyLinkMalformed, 0, 0, 0},
		{"ihl_below_5", 101, mod(func(b []byte) []byte { b[0] = 0x44; return b }), capture.AnomalyIPBadHeaderLength, 0, 0, 0},
		{"ihl_beyond_total_length", 101, mod(func(b []byte) []byte { b[0] = 0x4f; b[2], b[3] = 0, 40; return b }), capture.AnomalyIPBadHeaderLength, 0, 0, 0},
		{"short_ipv4", 101, base()[:12], capture.AnomalyIPMalformed, 0, 0, 0},
		{"wrong_version_on_ethertype", 1, pcapgen.Encap(pcapgen.Ethernet, mod(func(b []byte) []byte { b[0] = 0x55; return b })), capture.AnomalyIPMalformed, 0, 0, 0},
		{"tcp_offset_below_5", 101, mod(func(b []byte) []byte { b[32] = 0x40; return b }), capture.AnomalyTCPMalformed, 0, 0, 0},
		{"tcp_header_past_ip_length", 101, mod(func(b []byte) []byte { b[32] = 0xf0; return b }), capture.AnomalyTCPMalformed, 0, 0, 0},
		{"tcp_missing", 101, mod(func(b []byte) []byte { b[2], b[3] = 0, 20; return b[:20] }), capture.AnomalyTCPMalformed, 0, 0, 0},
		{"udp_length_below_8", 101, func() []byte {
			b := ip(pcapgen.UDP(cli4, srv4, payload))
			b[24], b[25] = 0, 4
			return b
		}(), capture.AnomalyUDPMalformed, 0, 0, 0},
		{"ip_length_exceeds_frame", 101, mod(func(b []byte) []byte { b[2], b[3] = 0x05, 0xdc; return b }), capture.AnomalyIPLengthExceedsFrame, 0, 0, 1},
		{"tcp_option_bad_length", 101, ip(pcapgen.TCP(cli4, srv4, 1, 2, pcapgen.ACK, 100, payload, []byte{2, 1, 0, 0})), capture.AnomalyTCPOptionMalformed, 0, 0, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf bytesBuffer
			ng := pcapgen.NewNgWriter(&buf, false)
			ng.AddInterface(c.link, 0, 65535)
			ng.WritePacket(0, t0, c.frame, len(c.frame))
			s := openBytes(t, "x", buf.Bytes())
			pkts := readAll(t, s)
			st := s.Stats()
			if uint64(len(pkts)) != c.decoded || st.Decoded != c.decoded || st.Packets != 1 {
				t.Errorf("decoded %d, stats %+v", len(pkts), st)
			}
			if st.NonIP != c.nonIP || st.OtherIP != c.otherIP {
				t.Errorf("NonIP %d OtherIP %d", st.NonIP, st.OtherIP)
			}
			if c.anomaly == "" && len(st.Anomalies) != 0 || c.anomaly != "" && st.Anomalies[c.anomaly] != 1 {
				t.Errorf("anomalies %v, want %q", st.Anomalies, c.anomaly)
			}
			if c.decoded == 1 && pkts[0].PayloadLen < len(pkts[0].data) {
				t.Errorf("payload longer than PayloadLen")
			}
		})
	}
	t.Run("unsupported_link_type_named", func(t *testing.T) {
		var buf bytesBuffer
		ng := pcapgen.NewNgWriter(&buf, false)
		ng.AddInterface(147, 0, 65535)
		ng.WritePacket(0, t0, []byte{1, 2, 3}, 3)
		s := openBytes(t, "x", buf.Bytes())
		readAll(t, s)
		if lt := s.Stats().LinkTypes; !slices.Equal(lt, []string{"linktype_147"}) {
			t.Errorf("link types %v", lt)
		}
	})
}
