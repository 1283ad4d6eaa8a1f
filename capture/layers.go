package capture

import (
	"encoding/binary"
	"errors"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// The types below wrap gopacket's DecodingLayers so that the parser follows
// only the paths this package decodes: link layer → (802.1Q tags) → IPv4 or
// IPv6 (→ IPv6 extension headers) → TCP or UDP. Anything else ends the
// parse (and is counted as non-IP or other-IP), so tunnels and application
// layers are never decoded by accident.

// etherNext maps an EtherType to the next layer to decode. 0x8100 (802.1Q),
// 0x88a8 (802.1ad QinQ) and 0x9100 (pre-standard QinQ) are VLAN tags.
func etherNext(t layers.EthernetType) gopacket.LayerType {
	switch t {
	case layers.EthernetTypeIPv4:
		return layers.LayerTypeIPv4
	case layers.EthernetTypeIPv6:
		return layers.LayerTypeIPv6
	case layers.EthernetTypeDot1Q, layers.EthernetTypeQinQ, 0x9100:
		return layers.LayerTypeDot1Q
	}
	return gopacket.LayerTypeZero
}

// ipNext maps an IP protocol / IPv6 next-header value to the next layer.
// Extension headers are followed only after an IPv6 header (v6 true).
func ipNext(p layers.IPProtocol, v6 bool) gopacket.LayerType {
	switch p {
	case layers.IPProtocolTCP:
		return layers.LayerTypeTCP
	case layers.IPProtocolUDP:
		return layers.LayerTypeUDP
	}
	if !v6 {
		return gopacket.LayerTypeZero
	}
	switch p {
	case layers.IPProtocolIPv6HopByHop:
		return layers.LayerTypeIPv6HopByHop
	case layers.IPProtocolIPv6Routing:
		return layers.LayerTypeIPv6Routing
	case layers.IPProtocolIPv6Destination:
		return layers.LayerTypeIPv6Destination
	case layers.IPProtocolIPv6Fragment:
		return layers.LayerTypeIPv6Fragment
	}
	return gopacket.LayerTypeZero
}

type ethernetLayer struct{ layers.Ethernet }

func (l *ethernetLayer) NextLayerType() gopacket.LayerType { return etherNext(l.EthernetType) }

type dot1qLayer struct{ layers.Dot1Q }

func (l *dot1qLayer) NextLayerType() gopacket.LayerType { return etherNext(l.Type) }

// sllLayer is Linux cooked capture v1. A declared address length above the
// fixed 8-byte field is ignored, as libpcap and Wireshark do, and noted in
// badAddrLen.
type sllLayer struct {
	layers.LinuxSLL
	badAddrLen bool
}

func (l *sllLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	l.badAddrLen = false
	if len(data) >= 16 && binary.BigEndian.Uint16(data[4:6]) > 8 {
		l.badAddrLen = true
		l.PacketType = layers.LinuxSLLPacketType(binary.BigEndian.Uint16(data[0:2]))
		l.AddrType = binary.BigEndian.Uint16(data[2:4])
		l.AddrLen = 8
		l.Addr = data[6:14]
		l.EthernetType = layers.EthernetType(binary.BigEndian.Uint16(data[14:16]))
		l.BaseLayer = layers.BaseLayer{Contents: data[:16], Payload: data[16:]}
		return nil
	}
	return l.LinuxSLL.DecodeFromBytes(data, df)
}

func (l *sllLayer) NextLayerType() gopacket.LayerType { return etherNext(l.EthernetType) }

// sll2Layer is Linux cooked capture v2, lenient like sllLayer.
type sll2Layer struct {
	layers.LinuxSLL2
	badAddrLen bool
}

func (l *sll2Layer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	l.badAddrLen = false
	if len(data) >= 20 && data[11] > 8 {
		l.badAddrLen = true
		l.ProtocolType = layers.EthernetType(binary.BigEndian.Uint16(data[0:2]))
		l.InterfaceIndex = binary.BigEndian.Uint32(data[4:8])
		l.ARPHardwareType = layers.ARPHardwareType(binary.BigEndian.Uint16(data[8:10]))
		l.PacketType = layers.LinuxSLL2PacketType(data[10])
		l.AddrLength = 8
		l.Addr = data[12:20]
		l.BaseLayer = layers.BaseLayer{Contents: data[:20], Payload: data[20:]}
		return nil
	}
	return l.LinuxSLL2.DecodeFromBytes(data, df)
}

func (l *sll2Layer) NextLayerType() gopacket.LayerType { return etherNext(l.ProtocolType) }

// loopLayer is the 4-byte BSD NULL/LOOP header; gopacket's decoder accepts
// the address family in either byte order.
type loopLayer struct{ layers.Loopback }

func (l *loopLayer) NextLayerType() gopacket.LayerType {
	switch l.Family {
	case layers.ProtocolFamilyIPv4:
		return layers.LayerTypeIPv4
	case layers.ProtocolFamilyIPv6BSD, layers.ProtocolFamilyIPv6FreeBSD,
		layers.ProtocolFamilyIPv6Darwin, layers.ProtocolFamilyIPv6Linux:
		return layers.LayerTypeIPv6
	}
	return gopacket.LayerTypeZero
}

// ip4Layer stops at fragments (no reassembly) and at anything but TCP/UDP.
type ip4Layer struct{ layers.IPv4 }

func (l *ip4Layer) fragment() bool {
	return l.Flags&layers.IPv4MoreFragments != 0 || l.FragOffset != 0
}

func (l *ip4Layer) NextLayerType() gopacket.LayerType {
	if l.fragment() {
		return gopacket.LayerTypeZero
	}
	return ipNext(l.Protocol, false)
}

// ip6Layer accepts a payload length of 0 without a jumbo Hop-by-Hop
// option (bigTCP set): Linux BIG TCP removes the jumbo header before the
// packet reaches the capture point, so the frame length is the only length.
type ip6Layer struct {
	layers.IPv6
	bigTCP bool
}

func (l *ip6Layer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	l.bigTCP = false
	err := l.IPv6.DecodeFromBytes(data, df)
	// gopacket sets every field before refusing a zero length whose next
	// header is not Hop-by-Hop.
	if err != nil && len(data) >= 40 && l.Length == 0 && l.HopByHop == nil &&
		l.NextHeader != layers.IPProtocolIPv6HopByHop && l.Version == 6 {
		l.bigTCP = true
		return nil
	}
	return err
}

func (l *ip6Layer) NextLayerType() gopacket.LayerType {
	if l.HopByHop != nil {
		return ipNext(l.HopByHop.NextHeader, true)
	}
	return ipNext(l.NextHeader, true)
}

// ip6ExtLayer skips Hop-by-Hop, Routing and Destination Options headers.
type ip6ExtLayer struct{ layers.IPv6ExtensionSkipper }

func (l *ip6ExtLayer) NextLayerType() gopacket.LayerType { return ipNext(l.NextHeader, true) }

// ip6FragLayer is the IPv6 Fragment header (RFC 8200 §4.5). An atomic
// fragment (offset 0, M clear) is decoded through; a real fragment ends the
// parse with fragmented set.
type ip6FragLayer struct {
	layers.BaseLayer
	next       layers.IPProtocol
	fragmented bool
}

var errIPv6FragmentShort = errors.New("ipv6 fragment header shorter than 8 bytes")

func (l *ip6FragLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if len(data) < 8 {
		df.SetTruncated()
		return errIPv6FragmentShort
	}
	l.next = layers.IPProtocol(data[0])
	offset := binary.BigEndian.Uint16(data[2:4]) >> 3
	more := data[3]&1 != 0
	l.fragmented = offset != 0 || more
	l.BaseLayer = layers.BaseLayer{Contents: data[:8], Payload: data[8:]}
	return nil
}

func (l *ip6FragLayer) CanDecode() gopacket.LayerClass { return layers.LayerTypeIPv6Fragment }

func (l *ip6FragLayer) NextLayerType() gopacket.LayerType {
	if l.fragmented {
		return gopacket.LayerTypeZero
	}
	return ipNext(l.next, true)
}

// tcpLayer and udpLayer end the parse: payloads are not decoded here.
type tcpLayer struct{ layers.TCP }

func (l *tcpLayer) NextLayerType() gopacket.LayerType { return gopacket.LayerTypeZero }

type udpLayer struct{ layers.UDP }

func (l *udpLayer) NextLayerType() gopacket.LayerType { return gopacket.LayerTypeZero }
