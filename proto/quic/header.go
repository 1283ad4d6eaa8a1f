package quic

import (
	"encoding/binary"
	"strconv"
)

// Versions that have Initial keys every observer can derive.
const (
	// Version1 is QUIC version 1 (RFC 9000).
	Version1 uint32 = 0x00000001
	// Version2 is QUIC version 2 (RFC 9369).
	Version2 uint32 = 0x6b3343cf
	// VersionNegotiation marks a Version Negotiation packet (RFC 9000 §17.2.1).
	VersionNegotiation uint32 = 0
	// versionDraft29 is the last widely deployed draft version.
	versionDraft29 uint32 = 0xff00001d
)

// MaxCIDLen is the longest connection id of QUIC v1 and v2 (RFC 9000 §17.2).
const MaxCIDLen = 20

// IsGrease reports whether v is a reserved version of the 0x?a?a?a?a pattern
// used to exercise version negotiation (RFC 9000 §15).
func IsGrease(v uint32) bool { return v&0x0f0f0f0f == 0x0a0a0a0a }

// IsDraft reports whether v is an IETF draft version 0xff0000xx.
func IsDraft(v uint32) bool { return v&0xffffff00 == 0xff000000 }

// VersionName returns the report name of a version: "1", "2", "draft-NN",
// "negotiation", "grease" or "unknown-xxxxxxxx" (hex).
func VersionName(v uint32) string {
	switch {
	case v == Version1:
		return "1"
	case v == Version2:
		return "2"
	case v == VersionNegotiation:
		return "negotiation"
	case IsGrease(v):
		return "grease"
	case IsDraft(v):
		return "draft-" + strconv.Itoa(int(v&0xff))
	}
	return "unknown-" + strconv.FormatUint(uint64(v)|1<<32, 16)[1:]
}

// Known reports whether v is a version this package can decrypt Initial
// packets of (v1, v2, drafts 23–32).
func Known(v uint32) bool {
	_, ok := initialSalt(v)
	return ok
}

// PacketType is a long-header packet type, normalised to the v1 numbering.
type PacketType uint8

// Long-header packet types (RFC 9000 §17.2, Table 5).
const (
	TypeInitial PacketType = iota
	Type0RTT
	TypeHandshake
	TypeRetry
	// TypeVersionNegotiation is a Version Negotiation packet (version 0).
	TypeVersionNegotiation
)

// String returns "initial", "0rtt", "handshake", "retry" or
// "version_negotiation".
func (t PacketType) String() string {
	names := [...]string{"initial", "0rtt", "handshake", "retry", "version_negotiation"}
	if int(t) < len(names) {
		return names[t]
	}
	return "unknown"
}

// LongHeader is a parsed long header. Slices alias the datagram.
type LongHeader struct {
	// First is the first byte as sent (header protection still applied).
	First   byte
	Version uint32
	Type    PacketType
	DCID    []byte
	SCID    []byte
	// Token is the Initial packet's token (nil for other types).
	Token []byte
	// PNOffset is the offset of the packet number in the packet (Initial,
	// 0-RTT, Handshake); Length the value of the Length field (packet
	// number and payload).
	PNOffset int
	Length   int
	// Size is the number of bytes of the datagram this packet occupies;
	// coalesced packets follow it (RFC 9000 §12.2).
	Size int
	// SupportedVersions holds the versions listed by a Version
	// Negotiation packet.
	SupportedVersions []uint32
}

// IsLongHeader reports whether p starts with a long-header packet (header
// form bit set, RFC 8999 §5.1).
func IsLongHeader(p []byte) bool { return len(p) > 0 && p[0]&0x80 != 0 }

// ReadVarint decodes a variable-length integer (RFC 9000 §16) and returns
// it with the number of bytes used; n is 0 when p is too short.
func ReadVarint(p []byte) (v uint64, n int) {
	if len(p) == 0 {
		return 0, 0
	}
	n = 1 << (p[0] >> 6)
	if len(p) < n {
		return 0, 0
	}
	v = uint64(p[0] & 0x3f)
	for i := 1; i < n; i++ {
		v = v<<8 | uint64(p[i])
	}
	return v, n
}

// ParseLongHeader parses the long header at the start of p. anomaly is ""
// on success, otherwise the token naming what was wrong.
func ParseLongHeader(p []byte) (h LongHeader, anomaly string) {
	if len(p) < 7 || p[0]&0x80 == 0 {
		return h, AnomalyTruncated
	}
	h.First = p[0]
	h.Version = binary.BigEndian.Uint32(p[1:5])
	i := 5
	dl := int(p[i])
	i++
	if i+dl+1 > len(p) {
		return h, AnomalyTruncated
	}
	h.DCID = p[i : i+dl]
	i += dl
	sl := int(p[i])
	i++
	if i+sl > len(p) {
		return h, AnomalyTruncated
	}
	h.SCID = p[i : i+sl]
	i += sl
	if h.Version == VersionNegotiation {
		// RFC 9000 §17.2.1: the rest is a list of 32-bit versions and the
		// packet fills the datagram. Connection ids may be up to 255 bytes
		// here (RFC 8999 §6).
		h.Type = TypeVersionNegotiation
		for ; i+4 <= len(p) && len(h.SupportedVersions) < 64; i += 4 {
			h.SupportedVersions = append(h.SupportedVersions, binary.BigEndian.Uint32(p[i:]))
		}
		h.Size = len(p)
		return h, ""
	}
	if !Known(h.Version) {
		// Only the invariant fields can be read (RFC 8999 §5.1).
		h.Size = len(p)
		return h, ""
	}
	if dl > MaxCIDLen || sl > MaxCIDLen {
		return h, AnomalyBadHeader
	}
	if p[0]&0x40 == 0 {
		// Fixed bit must be 1 (RFC 9000 §17.2).
		return h, AnomalyBadHeader
	}
	h.Type = packetType(h.Version, p[0])
	switch h.Type {
	case TypeRetry:
		h.Token = nil
		h.Size = len(p)
		return h, ""
	case TypeInitial:
		tl, n := ReadVarint(p[i:])
		if n == 0 || tl > uint64(len(p)-i-n) {
			return h, AnomalyTruncated
		}
		i += n
		h.Token = p[i : i+int(tl)]
		i += int(tl)
	}
	ln, n := ReadVarint(p[i:])
	if n == 0 {
		return h, AnomalyTruncated
	}
	i += n
	if ln > uint64(len(p)-i) {
		return h, AnomalyTruncated
	}
	h.PNOffset = i
	h.Length = int(ln)
	h.Size = i + int(ln)
	return h, ""
}

// packetType maps the two type bits of the first byte to the v1 numbering;
// QUIC v2 permutes them (RFC 9369 §3.2).
func packetType(v uint32, first byte) PacketType {
	t := PacketType(first >> 4 & 3)
	if v == Version2 {
		return [4]PacketType{TypeRetry, TypeInitial, Type0RTT, TypeHandshake}[t]
	}
	return t
}
