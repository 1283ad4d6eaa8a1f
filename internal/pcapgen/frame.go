package pcapgen

import (
	"encoding/binary"
	"net/netip"
)

// TCP flag bits (RFC 9293 §3.1).
const (
	FIN uint8 = 0x01
	SYN uint8 = 0x02
	RST uint8 = 0x04
	PSH uint8 = 0x08
	ACK uint8 = 0x10
	URG uint8 = 0x20
	ECE uint8 = 0x40
	CWR uint8 = 0x80
)

// IPv6 extension header numbers accepted in Segment.IPv6Ext.
const (
	ExtHopByHop    uint8 = 0
	ExtRouting     uint8 = 43
	ExtFragment    uint8 = 44
	ExtDestination uint8 = 60
)

// Segment describes one IPv4 or IPv6 packet carrying TCP (or UDP when UDP is
// set). Src and Dst must be of the same address family. Zero values are
// used as given (a zero Window is a zero window), except TTL, where 0 means
// 64.
type Segment struct {
	Src, Dst netip.AddrPort
	// UDP makes the packet a UDP datagram; the TCP fields are then unused.
	UDP      bool
	Seq, Ack uint32
	Flags    uint8
	Window   uint16
	// Options is the TCP options area (see TCPOptions); it is padded to a
	// multiple of 4 bytes with End-of-Option-List.
	Options []byte
	Payload []byte
	TTL     uint8
	IPID    uint16

	// DontFragment sets the IPv4 DF bit.
	DontFragment bool
	// MoreFragments and FragOffset (in 8-byte units) make an IPv4 fragment,
	// or an IPv6 fragment through a Fragment extension header (added when
	// IPv6Ext has none).
	MoreFragments bool
	FragOffset    uint16
	// ZeroIPLength writes an IPv4 total length of 0, as captured before TCP
	// segmentation offload fills it in.
	ZeroIPLength bool
	// IPv6Ext lists extension headers (Ext* constants) to put between the
	// IPv6 header and the transport header, in order. Each is 8 bytes.
	IPv6Ext []uint8
}

// TCP returns a TCP Segment from src to dst. opts are TCP options built with
// the Opt* functions, concatenated in order.
func TCP(src, dst netip.AddrPort, seq, ack uint32, flags uint8, window uint16, payload []byte, opts ...[]byte) Segment {
	return Segment{
		Src: src, Dst: dst, Seq: seq, Ack: ack, Flags: flags, Window: window,
		Payload: payload, Options: TCPOptions(opts...),
	}
}

// UDP returns a UDP Segment from src to dst.
func UDP(src, dst netip.AddrPort, payload []byte) Segment {
	return Segment{Src: src, Dst: dst, UDP: true, Payload: payload}
}

// TCPOptions concatenates TCP options; the result is padded when serialised.
func TCPOptions(opts ...[]byte) []byte {
	var b []byte
	for _, o := range opts {
		b = append(b, o...)
	}
	return b
}

// OptNOP is the No-Operation option (RFC 9293 §3.2).
func OptNOP() []byte { return []byte{1} }

// OptMSS is the Maximum Segment Size option (RFC 9293 §3.2).
func OptMSS(mss uint16) []byte { return []byte{2, 4, byte(mss >> 8), byte(mss)} }

// OptWScale is the Window Scale option (RFC 7323 §2.2).
func OptWScale(shift uint8) []byte { return []byte{3, 3, shift} }

// OptSACKPermitted is the SACK-Permitted option (RFC 2018 §2).
func OptSACKPermitted() []byte { return []byte{4, 2} }

// OptTimestamps is the Timestamps option (RFC 7323 §3.2).
func OptTimestamps(val, ecr uint32) []byte {
	b := []byte{8, 10, 0, 0, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[2:], val)
	binary.BigEndian.PutUint32(b[6:], ecr)
	return b
}

// OptSACK is the SACK option (RFC 2018 §3) with blocks given as left, right
// edge pairs: OptSACK(l1, r1, l2, r2).
func OptSACK(edges ...uint32) []byte {
	b := []byte{5, byte(2 + 4*len(edges))}
	for _, e := range edges {
		b = binary.BigEndian.AppendUint32(b, e)
	}
	return b
}

// IPPacket serialises s as an IPv4 or IPv6 packet with correct lengths and
// checksums (except where a knob asks otherwise). It panics if Src and Dst
// are of different families, a programming error in the test.
func (s Segment) IPPacket() []byte {
	src, dst := s.Src.Addr(), s.Dst.Addr()
	v4 := src.Is4() || src.Is4In6()
	if v4 != (dst.Is4() || dst.Is4In6()) {
		panic("pcapgen: Src and Dst of different address families")
	}
	proto := uint8(6)
	var l4 []byte
	if s.UDP {
		proto = 17
		l4 = make([]byte, 8, 8+len(s.Payload))
		binary.BigEndian.PutUint16(l4[0:], s.Src.Port())
		binary.BigEndian.PutUint16(l4[2:], s.Dst.Port())
		binary.BigEndian.PutUint16(l4[4:], uint16(8+len(s.Payload)))
	} else {
		opts := append([]byte(nil), s.Options...)
		for len(opts)%4 != 0 {
			opts = append(opts, 0)
		}
		hl := 20 + len(opts)
		l4 = make([]byte, hl, hl+len(s.Payload))
		binary.BigEndian.PutUint16(l4[0:], s.Src.Port())
		binary.BigEndian.PutUint16(l4[2:], s.Dst.Port())
		binary.BigEndian.PutUint32(l4[4:], s.Seq)
		binary.BigEndian.PutUint32(l4[8:], s.Ack)
		l4[12] = byte(hl/4) << 4
		l4[13] = s.Flags
		binary.BigEndian.PutUint16(l4[14:], s.Window)
		copy(l4[20:], opts)
	}
	l4 = append(l4, s.Payload...)

	ttl := s.TTL
	if ttl == 0 {
		ttl = 64
	}
	var pseudo []byte
	var ip []byte
	if v4 {
		s4, d4 := src.Unmap().As4(), dst.Unmap().As4()
		ip = make([]byte, 20)
		ip[0] = 0x45
		if !s.ZeroIPLength {
			binary.BigEndian.PutUint16(ip[2:], uint16(20+len(l4)))
		}
		binary.BigEndian.PutUint16(ip[4:], s.IPID)
		ff := s.FragOffset & 0x1fff
		if s.DontFragment {
			ff |= 0x4000
		}
		if s.MoreFragments {
			ff |= 0x2000
		}
		binary.BigEndian.PutUint16(ip[6:], ff)
		ip[8] = ttl
		ip[9] = proto
		copy(ip[12:], s4[:])
		copy(ip[16:], d4[:])
		binary.BigEndian.PutUint16(ip[10:], checksum(ip, 0))
		pseudo = append(append(append([]byte{}, s4[:]...), d4[:]...), 0, proto, byte(len(l4)>>8), byte(len(l4)))
	} else {
		s16, d16 := src.As16(), dst.As16()
		exts := s.IPv6Ext
		if (s.MoreFragments || s.FragOffset != 0) && !contains(exts, ExtFragment) {
			exts = append(append([]uint8(nil), exts...), ExtFragment)
		}
		var extBytes []byte
		for i, e := range exts {
			next := proto
			if i+1 < len(exts) {
				next = exts[i+1]
			}
			h := make([]byte, 8)
			h[0] = next
			if e == ExtFragment {
				binary.BigEndian.PutUint16(h[2:], s.FragOffset<<3)
				if s.MoreFragments {
					h[3] |= 1
				}
				binary.BigEndian.PutUint32(h[4:], uint32(s.IPID))
			} else {
				// Hdr Ext Len 0 (8 bytes), then a PadN option filling the
				// remaining 6 bytes (RFC 8200 §4.2).
				h[2], h[3] = 1, 4
			}
			extBytes = append(extBytes, h...)
		}
		first := proto
		if len(exts) > 0 {
			first = exts[0]
		}
		ip = make([]byte, 40)
		ip[0] = 0x60
		binary.BigEndian.PutUint16(ip[4:], uint16(len(extBytes)+len(l4)))
		ip[6] = first
		ip[7] = ttl
		copy(ip[8:], s16[:])
		copy(ip[24:], d16[:])
		ip = append(ip, extBytes...)
		pseudo = append(append(append([]byte{}, s16[:]...), d16[:]...),
			byte(len(l4)>>24), byte(len(l4)>>16), byte(len(l4)>>8), byte(len(l4)), 0, 0, 0, proto)
	}
	sum := checksum(l4, sumBytes(pseudo))
	if s.UDP {
		if sum == 0 {
			sum = 0xffff // RFC 768: a computed zero is sent as all ones
		}
		binary.BigEndian.PutUint16(l4[6:], sum)
	} else {
		binary.BigEndian.PutUint16(l4[16:], sum)
	}
	return append(ip, l4...)
}

func contains(xs []uint8, x uint8) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// sumBytes returns the one's-complement partial sum of b (RFC 1071).
func sumBytes(b []byte) uint32 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	return s
}

// checksum folds the sum of b plus initial into the Internet checksum.
func checksum(b []byte, initial uint32) uint16 {
	s := initial + sumBytes(b)
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}
