package pcapgen

import "encoding/binary"

// Link is a link-layer encapsulation for generated frames.
type Link uint8

// Encapsulations. The VLAN ones use Writer/Encap tag lists (default 100 for
// EthernetVLAN, 200 outer and 100 inner for QinQ).
const (
	// Ethernet is DLT 1 with no tag.
	Ethernet Link = iota
	// EthernetVLAN is DLT 1 with one 802.1Q tag (0x8100).
	EthernetVLAN
	// QinQ is DLT 1 with an 802.1ad outer tag (0x88a8) and inner 802.1Q tags.
	QinQ
	// SLL is Linux cooked capture v1 (DLT 113).
	SLL
	// SLL2 is Linux cooked capture v2 (DLT 276).
	SLL2
	// Null is BSD loopback (DLT 0): a 4-byte address family in the writing
	// host's byte order, here little-endian.
	Null
	// NullBigEndian is DLT 0 as written by a big-endian host.
	NullBigEndian
	// Loop is OpenBSD loopback (DLT 108): the family in network byte order.
	Loop
	// Raw is LINKTYPE_RAW (101): the frame is the IP packet.
	Raw
	// RawIPv4 is DLT 228, bare IPv4.
	RawIPv4
	// RawIPv6 is DLT 229, bare IPv6.
	RawIPv6
)

// LinkType returns the LINKTYPE_ number written in capture headers.
func (l Link) LinkType() uint16 {
	switch l {
	case Ethernet, EthernetVLAN, QinQ:
		return 1
	case SLL:
		return 113
	case SLL2:
		return 276
	case Null, NullBigEndian:
		return 0
	case Loop:
		return 108
	case Raw:
		return 101
	case RawIPv4:
		return 228
	case RawIPv6:
		return 229
	}
	panic("pcapgen: unknown Link")
}

// Fixed addresses used in generated link headers.
var (
	clientMAC = []byte{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}
	serverMAC = []byte{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}
)

// Encap wraps the IP packet ip in the link header of l. vlans gives the tag
// IDs for EthernetVLAN (one, default 100) and QinQ (outer first, default
// 200, 100); further IDs add further stacked tags. The EtherType or family
// is chosen from the IP version nibble.
func Encap(l Link, ip []byte, vlans ...uint16) []byte {
	v6 := len(ip) > 0 && ip[0]>>4 == 6
	etherType := uint16(0x0800)
	if v6 {
		etherType = 0x86dd
	}
	switch l {
	case Ethernet, EthernetVLAN, QinQ:
		if len(vlans) == 0 {
			switch l {
			case EthernetVLAN:
				vlans = []uint16{100}
			case QinQ:
				vlans = []uint16{200, 100}
			}
		}
		b := make([]byte, 0, 14+4*len(vlans)+len(ip))
		b = append(b, serverMAC...)
		b = append(b, clientMAC...)
		for i, id := range vlans {
			tpid := uint16(0x8100)
			if l == QinQ && i == 0 {
				tpid = 0x88a8
			}
			b = binary.BigEndian.AppendUint16(b, tpid)
			b = binary.BigEndian.AppendUint16(b, id&0x0fff)
		}
		b = binary.BigEndian.AppendUint16(b, etherType)
		return append(b, ip...)
	case SLL:
		b := make([]byte, 16, 16+len(ip))
		binary.BigEndian.PutUint16(b[0:], 0) // sent to us
		binary.BigEndian.PutUint16(b[2:], 1) // ARPHRD_ETHER
		binary.BigEndian.PutUint16(b[4:], 6)
		copy(b[6:], clientMAC)
		binary.BigEndian.PutUint16(b[14:], etherType)
		return append(b, ip...)
	case SLL2:
		b := make([]byte, 20, 20+len(ip))
		binary.BigEndian.PutUint16(b[0:], etherType)
		binary.BigEndian.PutUint32(b[4:], 2) // interface index
		binary.BigEndian.PutUint16(b[8:], 1) // ARPHRD_ETHER
		b[10] = 0                            // sent to us
		b[11] = 6
		copy(b[12:], clientMAC)
		return append(b, ip...)
	case Null, NullBigEndian, Loop:
		family := uint32(2) // AF_INET
		if v6 {
			family = 24 // AF_INET6 as numbered by BSD NULL captures
		}
		b := make([]byte, 4, 4+len(ip))
		if l == Null {
			binary.LittleEndian.PutUint32(b, family)
		} else {
			binary.BigEndian.PutUint32(b, family)
		}
		return append(b, ip...)
	case Raw, RawIPv4, RawIPv6:
		return append([]byte(nil), ip...)
	}
	panic("pcapgen: unknown Link")
}
