package capture

import (
	"connscope/flow"
)

// IP protocol numbers the decoder distinguishes.
const (
	ProtoTCP uint8 = 6
	ProtoUDP uint8 = 17
)

// TCP flag bits, as in the TCP header's flags byte (RFC 9293 §3.1).
const (
	FlagFIN uint8 = 0x01
	FlagSYN uint8 = 0x02
	FlagRST uint8 = 0x04
	FlagPSH uint8 = 0x08
	FlagACK uint8 = 0x10
	FlagURG uint8 = 0x20
	FlagECE uint8 = 0x40
	FlagCWR uint8 = 0x80
)

// MaxSACKBlocks is the most SACK blocks a TCP header can carry.
const MaxSACKBlocks = 4

// SACKBlock is one selective-acknowledgment range [Left, Right).
type SACKBlock struct{ Left, Right uint32 }

// TCPOptions holds the TCP options the analysis uses. Absent options are
// zero with their Has* flag false.
type TCPOptions struct {
	MSS           uint16
	HasMSS        bool
	WScale        uint8
	HasWScale     bool
	SACKPermitted bool
	HasTimestamps bool
	TSval, TSecr  uint32
	SACK          [MaxSACKBlocks]SACKBlock
	NumSACK       uint8
}

// Packet is one decoded IPv4/IPv6 packet carrying TCP or UDP.
//
// Ownership: Payload aliases the reader's buffer and is valid only until the
// next call to Source.Next. Everything else is a plain value.
type Packet struct {
	// Index is the 1-based ordinal of the record in the input (after merging
	// several files), counting every record, decodable or not.
	Index uint64
	// Time is the capture timestamp.
	Time flow.Time
	// WireLen is the frame length on the wire; CapLen the captured length.
	WireLen, CapLen int
	// Source is the index of the input this packet came from.
	Source int

	IPVersion uint8
	Src, Dst  flow.Endpoint
	Proto     uint8
	TTL       uint8  // TTL or hop limit
	IPID      uint16 // IPv4 identification (0 for IPv6)

	// TCP header fields (valid when Proto == ProtoTCP).
	Seq, Ack uint32
	Flags    uint8
	Window   uint16
	Opts     TCPOptions

	// PayloadLen is the transport payload length computed from the IP total
	// length (not the captured length), so a snaplen-cut frame still carries
	// correct sequence-space information.
	PayloadLen int
	// Payload is the captured part of the transport payload
	// (len(Payload) <= PayloadLen).
	Payload []byte
}

// Truncated reports whether part of the transport payload was not captured.
func (p *Packet) Truncated() bool { return len(p.Payload) < p.PayloadLen }

// Has reports whether all bits of f are set in the TCP flags.
func (p *Packet) Has(f uint8) bool { return p.Flags&f == f }
