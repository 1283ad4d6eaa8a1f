package analysis

import (
	"time"

	"connscope/flow"
	"connscope/httpdecode"
)

// ConnInfo is the identity of a connection as analysers see it.
type ConnInfo struct {
	ID     flow.ConnID
	Client flow.Endpoint
	Server flow.Endpoint
	// Start is the time of the first packet; SYN the time of the (last)
	// SYN, 0 when the handshake was not seen (a connection already open
	// when the capture started).
	Start, SYN flow.Time
	// RoleSource is "syn", "syn_ack", "protocol" or "port".
	RoleSource string
	// ServerHalf (SYN→SYN/ACK) and ClientHalf (SYN/ACK→ACK) are the two
	// halves of the handshake round trip seen at the capture point, 0 when
	// unknown.
	ServerHalf, ClientHalf time.Duration
	// MSS is the smaller MSS announced by the two sides, 0 when unknown.
	MSS int
	// WScale is the window-scale shift per direction, -1 when unknown or not
	// negotiated.
	WScale [2]int
}

// SegmentKind classifies a TCP segment in its direction's sequence space.
type SegmentKind uint8

// Segment kinds.
const (
	SegNew SegmentKind = iota
	SegOutOfOrder
	SegRetransmission
	SegKeepAlive
	SegZeroWindowProbe
	SegDupAck
)

// Segment is one TCP packet of a connection, after reassembly classified it.
type Segment struct {
	Conn    *ConnInfo
	Time    flow.Time
	Index   uint64
	Dir     flow.Dir
	Seq     uint32
	Ack     uint32
	Flags   uint8
	Window  uint16
	Len     int
	WireLen int
	Kind    SegmentKind
	RelSeq  int64
	TSval   uint32
	TSecr   uint32
	HasTS   bool
	// Shared is the connection's shared SeqState, set by the engine (nil
	// when no analyser uses one).
	Shared SeqState
}

// TCP flag bits of Segment.Flags.
const (
	FlagFIN uint8 = 0x01
	FlagSYN uint8 = 0x02
	FlagRST uint8 = 0x04
	FlagPSH uint8 = 0x08
	FlagACK uint8 = 0x10
)

// ConnClosed is the final state of a connection when it leaves the tracker,
// or, for a connection closed by FIN both ways, when the tracker settles it
// (reassembly.Settler: both FINs acknowledged a moment ago; End is the
// last packet until then).
type ConnClosed struct {
	Conn *ConnInfo
	End  flow.Time
	// CloseKind is "fin", "rst", "open", "idle_timeout" or "evicted";
	// Initiator and TimeWaitHolder are "client", "server", "both" or "none".
	CloseKind      string
	Initiator      string
	TimeWaitHolder string
	CloseAt        flow.Time
	Refused        bool
	RSTUnreadData  bool
	SYNRetries     int
	HandshakeDone  bool
	// FIN and RST times per direction (0 when none).
	FIN, RST [2]flow.Time
	Packets  [2]uint64
	Payload  [2]uint64
	Retrans  [2]uint64
	GapBytes [2]uint64
	// Shared is the connection's shared SeqState, set by the engine (nil
	// when no analyser uses one).
	Shared SeqState
}

// Exchange is one HTTP/1.x request with its response (Response is nil when
// none arrived before the connection ended).
type Exchange struct {
	Conn *ConnInfo
	// Index is the 0-based position of the exchange on its connection.
	Index    int
	Request  *httpdecode.Message
	Response *httpdecode.Message
	// Pipelined is true when the request was sent before the previous
	// response had fully arrived.
	Pipelined bool
}
