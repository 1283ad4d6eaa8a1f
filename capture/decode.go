package capture

import (
	"encoding/binary"

	"connscope/flow"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// decoder holds one instance of every layer and one DecodingLayerParser per
// starting layer. Decoding reuses them all, so it allocates nothing per
// packet (IPv6 Hop-by-Hop options and malformed headers excepted: gopacket
// allocates for those).
type decoder struct {
	eth  ethernetLayer
	vlan dot1qLayer
	sll  sllLayer
	sll2 sll2Layer
	loop loopLayer
	ip4  ip4Layer
	ip6  ip6Layer
	ext  ip6ExtLayer
	frag ip6FragLayer
	tcp  tcpLayer
	udp  udpLayer

	container gopacket.DecodingLayerContainer
	parsers   map[gopacket.LayerType]*gopacket.DecodingLayerParser
	decoded   []gopacket.LayerType
}

func (d *decoder) init() {
	var c gopacket.DecodingLayerContainer = gopacket.DecodingLayerSparse(nil)
	// The extension skipper claims the whole IPv6 extension class; the
	// fragment layer, put after it, takes the Fragment type back.
	for _, l := range []gopacket.DecodingLayer{
		&d.eth, &d.vlan, &d.sll, &d.sll2, &d.loop, &d.ip4, &d.ip6,
		&d.ext, &d.frag, &d.tcp, &d.udp,
	} {
		c = c.Put(l)
	}
	d.container = c
	d.parsers = make(map[gopacket.LayerType]*gopacket.DecodingLayerParser)
	for _, first := range []gopacket.LayerType{
		layers.LayerTypeEthernet, layers.LayerTypeLinuxSLL, layers.LayerTypeLinuxSLL2,
		layers.LayerTypeLoopback, layers.LayerTypeIPv4, layers.LayerTypeIPv6,
	} {
		p := gopacket.NewDecodingLayerParser(first)
		p.SetDecodingLayerContainer(c)
		// A decoder panic must reach decodeRecord's recover, which counts
		// it, instead of being turned into an ordinary error.
		p.IgnorePanic = true
		p.IgnoreUnsupported = true
		d.parsers[first] = p
	}
	d.decoded = make([]gopacket.LayerType, 0, 16)
}

// firstLayer returns the layer a frame of link type lt starts with, or
// LayerTypeZero for an unsupported link type. Raw IP picks IPv4 or IPv6
// from the version nibble.
func firstLayer(lt layers.LinkType, frame []byte) gopacket.LayerType {
	switch lt {
	case linkEthernet:
		return layers.LayerTypeEthernet
	case linkLinuxSLL:
		return layers.LayerTypeLinuxSLL
	case linkLinuxSLL2:
		return layers.LayerTypeLinuxSLL2
	case linkNull, linkLoop:
		return layers.LayerTypeLoopback
	case linkIPv4:
		return layers.LayerTypeIPv4
	case linkIPv6:
		return layers.LayerTypeIPv6
	case linkRaw, linkRawBSD, linkRawBSDOS:
		if len(frame) > 0 && frame[0]>>4 == 6 {
			return layers.LayerTypeIPv6
		}
		return layers.LayerTypeIPv4
	}
	return gopacket.LayerTypeZero
}

// outcome is what became of one record.
type outcome uint8

const (
	outDecoded outcome = iota // a TCP or UDP packet was filled in
	outNonIP                  // not IP: counted in Stats.NonIP
	outOtherIP                // IP but not TCP/UDP: counted in Stats.OtherIP
	outAnomaly                // skipped with an anomaly token
)

// decode decodes one record into p (whose record fields are already set),
// counting what it finds. It reports whether p is a TCP or UDP packet.
func (s *fileSource) decode(p *Packet, frame []byte, lt layers.LinkType) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			s.anomalies[AnomalyDecodePanic]++
			ok = false
		}
	}()
	cut := p.CapLen < p.WireLen
	if cut {
		s.anomalies[AnomalyCaptureSnaplenCut]++
	}
	out, tok := s.dec.decode(p, frame, lt, s.anomalies)
	switch out {
	case outDecoded:
		return true
	case outNonIP:
		s.stats.NonIP++
	case outOtherIP:
		s.stats.OtherIP++
	case outAnomaly:
		if cut && tok != AnomalyLinkTypeUnsupported && tok != AnomalyIPFragment {
			// A header that ends early in a cut frame was cut by the snap
			// length, not malformed by the sender.
			tok = AnomalyCaptureHeadersCut
		}
		s.anomalies[tok]++
	}
	return false
}

// decode runs the parser and fills p. Anomalies that do not stop decoding
// are counted in an directly; the one that does is returned.
func (d *decoder) decode(p *Packet, frame []byte, lt layers.LinkType, an map[string]uint64) (outcome, string) {
	first := firstLayer(lt, frame)
	if first == gopacket.LayerTypeZero {
		return outAnomaly, AnomalyLinkTypeUnsupported
	}
	parser := d.parsers[first]
	err := parser.DecodeLayers(frame, &d.decoded)

	var (
		have4, have6, haveTCP, haveUDP bool
		prevPayload                    = frame // input of the layer after the last decoded one
	)
	last := gopacket.LayerTypeZero
	for _, t := range d.decoded {
		switch t {
		case layers.LayerTypeIPv4:
			have4 = true
		case layers.LayerTypeIPv6:
			have6 = true
		case layers.LayerTypeTCP:
			haveTCP = true
		case layers.LayerTypeUDP:
			haveUDP = true
		case layers.LayerTypeLinuxSLL:
			if d.sll.badAddrLen {
				an[AnomalyLinkSLLAddrLength]++
			}
		case layers.LayerTypeLinuxSLL2:
			if d.sll2.badAddrLen {
				an[AnomalyLinkSLLAddrLength]++
			}
		}
		last = t
	}
	next := first
	if last != gopacket.LayerTypeZero {
		l, _ := d.container.Decoder(last)
		next = l.NextLayerType()
		prevPayload = l.LayerPayload()
	}
	if err != nil {
		// The layer after the last decoded one failed.
		return outAnomaly, d.failureToken(next, prevPayload)
	}
	if _, known := d.container.Decoder(next); known && next != gopacket.LayerTypeZero {
		// The parser stopped because the bytes ran out before a layer it
		// decodes (for example an IPv4 header with protocol TCP and no
		// bytes after it).
		return outAnomaly, d.failureToken(next, prevPayload)
	}
	switch {
	case have4 && d.ip4.Version != 4, have6 && d.ip6.Version != 6:
		return outAnomaly, AnomalyIPMalformed
	case have4 && d.ip4.fragment(), have6 && d.frag.fragmented && containsType(d.decoded, layers.LayerTypeIPv6Fragment):
		return outAnomaly, AnomalyIPFragment
	case haveTCP || haveUDP:
		return d.fill(p, frame, have4, haveTCP, an)
	case have4 || have6:
		return outOtherIP, ""
	}
	return outNonIP, ""
}

func containsType(ts []gopacket.LayerType, t gopacket.LayerType) bool {
	for _, x := range ts {
		if x == t {
			return true
		}
	}
	return false
}

// failureToken names the anomaly for a layer of type t that could not be
// decoded from data.
func (d *decoder) failureToken(t gopacket.LayerType, data []byte) string {
	switch t {
	case layers.LayerTypeEthernet, layers.LayerTypeDot1Q, layers.LayerTypeLinuxSLL,
		layers.LayerTypeLinuxSLL2, layers.LayerTypeLoopback:
		return AnomalyLinkMalformed
	case layers.LayerTypeIPv4:
		// RFC 791 §3.1: IHL is the header length in 32-bit words, at least
		// 5, and cannot exceed the total length.
		if len(data) >= 4 {
			ihl := int(data[0] & 0x0f)
			total := int(binary.BigEndian.Uint16(data[2:4]))
			if ihl < 5 || (total != 0 && ihl*4 > total) {
				return AnomalyIPBadHeaderLength
			}
		}
		return AnomalyIPMalformed
	case layers.LayerTypeTCP:
		return AnomalyTCPMalformed
	case layers.LayerTypeUDP:
		return AnomalyUDPMalformed
	}
	return AnomalyIPMalformed
}

// fill copies the decoded IP and transport fields into p.
func (d *decoder) fill(p *Packet, frame []byte, v4, isTCP bool, an map[string]uint64) (outcome, string) {
	// Layer slices are subslices of frame sharing its end of capacity, so
	// the difference of capacities is a layer's offset in the frame.
	var offIP, ipEnd int
	if v4 {
		ip := &d.ip4
		offIP = cap(frame) - cap(ip.Contents)
		p.IPVersion = 4
		p.Src.Addr = flow.AddrFrom4(ip.SrcIP)
		p.Dst.Addr = flow.AddrFrom4(ip.DstIP)
		p.TTL = ip.TTL
		p.IPID = ip.Id
		if total := int(binary.BigEndian.Uint16(ip.Contents[2:4])); total == 0 {
			// TCP segmentation offload: the stack had not filled in the
			// length yet; the frame length is the truth.
			an[AnomalyIPTSOLengthZero]++
			ipEnd = p.WireLen
		} else {
			ipEnd = offIP + total
		}
	} else {
		ip := &d.ip6
		offIP = cap(frame) - cap(ip.Contents)
		p.IPVersion = 6
		p.Src.Addr = flow.AddrFrom16(ip.SrcIP)
		p.Dst.Addr = flow.AddrFrom16(ip.DstIP)
		p.TTL = ip.HopLimit
		if ip.Length == 0 {
			// Jumbogram (RFC 2675) or BIG TCP with the jumbo option
			// already removed: the frame length bounds the packet.
			if ip.bigTCP {
				an[AnomalyIPTSOLengthZero]++
			}
			ipEnd = p.WireLen
		} else {
			ipEnd = offIP + 40 + int(ip.Length)
		}
	}
	if ipEnd > p.WireLen {
		an[AnomalyIPLengthExceedsFrame]++
		ipEnd = p.WireLen
	}

	var offT, hdrLen int
	if isTCP {
		t := &d.tcp
		hdr := t.Contents
		offT = cap(frame) - cap(hdr)
		hdrLen = len(hdr)
		p.Proto = ProtoTCP
		p.Src.Port = uint16(t.SrcPort)
		p.Dst.Port = uint16(t.DstPort)
		p.Seq = t.Seq
		p.Ack = t.Ack
		p.Flags = hdr[13]
		p.Window = t.Window
		if !parseTCPOptions(hdr[20:], &p.Opts) {
			an[AnomalyTCPOptionMalformed]++
		}
	} else {
		u := &d.udp
		offT = cap(frame) - cap(u.Contents)
		hdrLen = 8
		p.Proto = ProtoUDP
		p.Src.Port = uint16(u.SrcPort)
		p.Dst.Port = uint16(u.DstPort)
	}
	p.PayloadLen = ipEnd - offT - hdrLen
	if p.PayloadLen < 0 {
		// The transport header reaches past the end of the IP packet.
		p.PayloadLen = 0
		if isTCP {
			return outAnomaly, AnomalyTCPMalformed
		}
		return outAnomaly, AnomalyUDPMalformed
	}
	start := min(offT+hdrLen, len(frame))
	end := min(ipEnd, len(frame))
	p.Payload = frame[start:max(start, end)]
	return outDecoded, ""
}
