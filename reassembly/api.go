package reassembly

import (
	"time"

	"connscope/flow"
)

// Config sets the limits and timeouts of a Tracker. The zero value of a
// field means its default (see DefaultConfig).
type Config struct {
	// MaxConns caps the connections held at once. When it is reached, the
	// least recently active connection is evicted (closed with CloseEvicted)
	// and the anomaly "tcp_conn_limit" is counted.
	MaxConns int
	// MaxBufferPerDir caps the out-of-order bytes buffered for one direction
	// (and the segments buffered at maxSegsPerDir); past it the hole is
	// declared a gap ("tcp_ooo_buffer_limit").
	MaxBufferPerDir int
	// MaxBufferTotal caps out-of-order bytes buffered over all connections;
	// past it the connection with the largest buffer flushes its gap.
	MaxBufferTotal int
	// IdleTimeout closes a connection with no packet for this long (packet
	// time). Negative disables it.
	IdleTimeout time.Duration
	// CloseLinger keeps a closed connection in the table this long (packet
	// time) so that late retransmissions and final ACKs are still counted on
	// it before it is reported. Negative means no linger: the connection is
	// reported at the next packet or Advance call.
	CloseLinger time.Duration
	// QuietLinger shortens the linger of a connection closed by FIN both
	// ways once both FINs are acknowledged: it is reported after this long
	// (packet time) from then, and for the rest of its CloseLinger only its
	// tuple and its FINs' sequence numbers are kept, so that a late packet
	// is counted (AnomalyAfterClose) instead of starting a connection of
	// its own (a packet past a FIN does start one: AnomalyNewWithoutSYN).
	// Late packets of such connections come within milliseconds (crossed
	// ACKs, duplicates); a FIN retransmitted because the last ACK was lost
	// past the capture point comes after the sender's RTO (200 ms on
	// Linux). Negative keeps every closed connection for its whole
	// CloseLinger.
	QuietLinger time.Duration
	// SettleDelay is how long (packet time) after both FINs of a
	// connection were acknowledged a Sink that implements Settler is told
	// (see Settler): packets that come sooner, such as crossed ACKs and
	// duplicates, still reach Segment while the analysis is open. Negative
	// tells it at once.
	SettleDelay time.Duration
	// ClassifyPayload, when set, looks at the first payload bytes of a
	// connection whose SYN was not seen and says who sent them: +1 a client
	// (request line, TLS ClientHello...), -1 a server (status line...), 0
	// unknown. It is used to fix roles before the connection is reported.
	ClassifyPayload func(p []byte) int
	// NextID, when set, hands out connection ids, so that connections of
	// other transports (UDP flows) share one id space in capture order.
	// Without it the tracker numbers its connections 1, 2, 3...
	NextID func() flow.ConnID
}

// DefaultConfig returns the defaults: 1,000,000 connections, 256 KiB
// out-of-order per direction, 256 MiB in total, 5 minutes idle, 5 seconds of
// linger after close, 1 second of it once both FINs are acknowledged, the
// Settler told 100 milliseconds into that second.
func DefaultConfig() Config {
	return Config{
		MaxConns:        1 << 20,
		MaxBufferPerDir: 256 << 10,
		MaxBufferTotal:  256 << 20,
		IdleTimeout:     5 * time.Minute,
		CloseLinger:     5 * time.Second,
		QuietLinger:     time.Second,
		SettleDelay:     100 * time.Millisecond,
	}
}

// RoleSource says how the client and server roles of a connection were
// decided.
type RoleSource uint8

const (
	// RoleFromSYN: the client sent the SYN.
	RoleFromSYN RoleSource = iota
	// RoleFromSYNACK: the SYN was not seen; the SYN/ACK sender is the server.
	RoleFromSYNACK
	// RoleFromPayload: no handshake; ClassifyPayload recognised the payload.
	RoleFromPayload
	// RoleFromPort: no handshake; the lower (or well-known) port is the server.
	RoleFromPort
)

// String returns the report token: "syn", "syn_ack", "protocol" or "port".
func (r RoleSource) String() string {
	return [...]string{"syn", "syn_ack", "protocol", "port"}[r]
}

// CloseKind says how a connection ended.
type CloseKind uint8

const (
	// CloseOpen: still open at the end of the input (includes half-closed).
	CloseOpen CloseKind = iota
	// CloseFIN: FIN seen in both directions (graceful).
	CloseFIN
	// CloseRST: ended by a reset.
	CloseRST
	// CloseIdle: no packet for Config.IdleTimeout.
	CloseIdle
	// CloseEvicted: removed because Config.MaxConns was reached.
	CloseEvicted
)

// String returns the report token: "open", "fin", "rst", "idle_timeout"
// or "evicted".
func (k CloseKind) String() string {
	return [...]string{"open", "fin", "rst", "idle_timeout", "evicted"}[k]
}

// Side names an endpoint of a connection by role.
type Side uint8

const (
	// SideNone: no side (nothing happened, or not applicable).
	SideNone Side = iota
	// SideClient: the client (SYN sender).
	SideClient
	// SideServer: the server.
	SideServer
	// SideBoth: both sides.
	SideBoth
)

// String returns "none", "client", "server" or "both".
func (s Side) String() string { return [...]string{"none", "client", "server", "both"}[s] }

// SideOf returns the side that sends in direction d.
func SideOf(d flow.Dir) Side {
	if d == flow.ClientToServer {
		return SideClient
	}
	return SideServer
}

// Options are the TCP options a side announced in its SYN or SYN/ACK.
type Options struct {
	Seen          bool // the SYN or SYN/ACK of this side was seen
	MSS           uint16
	WScale        int8 // -1 when not offered
	SACKPermitted bool
	Timestamps    bool
}

// Handshake describes the connection setup as seen at the capture point.
type Handshake struct {
	// SYN, SYNACK and ACK are the capture times of the (last) SYN, the first
	// SYN/ACK answering it, and the client's ACK completing the handshake
	// (0 when not seen).
	SYN, SYNACK, ACK flow.Time
	// FirstSYN is the time of the first SYN (differs from SYN on retries).
	FirstSYN flow.Time
	// SYNRetries counts retransmitted SYNs (same ISN); SYNACKRetries the same
	// for SYN/ACKs.
	SYNRetries, SYNACKRetries int
	// Complete is true when SYN, SYN/ACK and the ACK were all seen.
	Complete bool
	// Client and Server are the options each side announced.
	Client, Server Options
}

// ServerHalf is SYN→SYN/ACK: the round trip from the capture point to the
// server and back. ClientHalf is SYN/ACK→ACK. Both are 0 when unknown.
func (h *Handshake) ServerHalf() time.Duration {
	if h.SYN == 0 || h.SYNACK == 0 || h.SYNACK < h.SYN {
		return 0
	}
	return h.SYNACK.Sub(h.SYN)
}

// ClientHalf is SYN/ACK→ACK (see ServerHalf).
func (h *Handshake) ClientHalf() time.Duration {
	if h.SYNACK == 0 || h.ACK == 0 || h.ACK < h.SYNACK {
		return 0
	}
	return h.ACK.Sub(h.SYNACK)
}

// DirStats are the per-direction TCP facts of a connection.
type DirStats struct {
	Packets, Bytes uint64 // frames and their wire bytes
	PayloadBytes   uint64 // new in-sequence payload (excludes retransmitted bytes)
	// ISN is the initial sequence number (from the SYN) or, without one, the
	// first sequence number seen; ISNKnown tells which.
	ISN      uint32
	ISNKnown bool
	// Retransmissions counts segments that carried only already-seen
	// sequence space (plus partial overlaps), excluding keep-alives and
	// zero-window probes; RetransBytes their payload.
	Retransmissions, RetransBytes uint64
	// OutOfOrder counts segments that arrived above the next expected
	// sequence number and were buffered.
	OutOfOrder uint64
	// Gaps and GapBytes count holes in the byte stream that were never
	// filled (capture loss or data missing at the capture point).
	Gaps, GapBytes uint64
	KeepAlives     uint64
	DupAcks        uint64
	// ZeroWindow counts segments advertising a zero window (no SYN/FIN/RST).
	ZeroWindow uint64
	// FIN and RST are the times of the first FIN and the first accepted RST
	// sent in this direction (0 if none).
	FIN, RST flow.Time
	// LastAck is the last acknowledgment number sent in this direction.
	LastAck uint32
	// TruncatedSegments and TruncatedBytes count in-sequence payload that the
	// capture cut off (snaplen). Those bytes are reported to the Stream as a
	// Gap but are not counted in Gaps/GapBytes: their sequence space was seen.
	TruncatedSegments, TruncatedBytes uint64
}

// Close describes how the connection ended.
type Close struct {
	Kind CloseKind
	// Initiator is the side whose FIN or RST came first (SideNone when the
	// connection was open, idle or evicted).
	Initiator Side
	// TimeWaitHolder is the side that enters TIME_WAIT: the side that sent
	// the first FIN of a graceful close, SideBoth for a simultaneous close,
	// SideNone when a reset ended it or it did not close.
	TimeWaitHolder Side
	// Refused is true when the server answered the SYN with a RST.
	Refused bool
	// HalfClosed is true when one side sent FIN and the other kept sending
	// data after it.
	HalfClosed bool
	// Simultaneous is true when the two FINs crossed.
	Simultaneous bool
	// RSTUnreadData is true when the RST sender had received payload that it
	// had not acknowledged, or payload arrived after its FIN.
	RSTUnreadData bool
	// At is the time of the event that closed the connection (second FIN,
	// RST, or last packet for open/idle connections).
	At flow.Time
}

// Conn is the tracker's view of one connection incarnation. Sinks may read
// it during callbacks; it must not be retained after ConnClosed returns.
type Conn struct {
	ID     flow.ConnID
	Key    flow.Key
	Client flow.Endpoint
	Server flow.Endpoint
	Roles  RoleSource
	// Start and End are the times of the first and last packet.
	Start, End flow.Time
	Handshake  Handshake
	Dir        [2]DirStats
	Close      Close

	// fields private to the tracker follow in tracker.go
	t trackerState
}

// Stream receives the in-order payload of one connection. The tracker calls
// it synchronously, on its own goroutine, in capture order.
type Stream interface {
	// Data delivers in-order bytes of direction d. t is the capture time of
	// the packet that made them deliverable (for bytes that waited in the
	// out-of-order buffer, the packet that filled the hole; behind a hole
	// declared lost to the capture, their own packet's, as the receiver had
	// them then), so t never goes backwards within a direction unless the
	// capture's timestamps do. p is valid only during the call.
	Data(d flow.Dir, t flow.Time, p []byte)
	// Gap reports n bytes of direction d that will never be delivered, at
	// the time of the bytes after them when those waited in the buffer.
	Gap(d flow.Dir, t flow.Time, n int)
	// End reports that direction d is finished (its FIN was reached in
	// order, a RST arrived, or the connection was closed).
	End(d flow.Dir, t flow.Time)
}

// SegmentInfo is what the tracker learned from one TCP packet, after it
// updated the connection's state. It carries no payload bytes.
type SegmentInfo struct {
	Time    flow.Time
	Index   uint64 // packet ordinal in the input
	Dir     flow.Dir
	Seq     uint32
	Ack     uint32
	Flags   uint8
	Window  uint16
	Len     int // payload length from the IP header
	WireLen int
	// Kind classifies the segment in its direction's sequence space.
	Kind SegmentKind
	// RelSeq is Seq relative to the direction's ISN (+1 after the SYN) as a
	// 64-bit unwrapped offset.
	RelSeq int64
	// TSval and TSecr are the timestamp option values (HasTS tells if set).
	TSval, TSecr uint32
	HasTS        bool
	// SACK blocks carried by this segment.
	NumSACK uint8
	SACK    [4][2]uint32
}

// SegmentKind classifies a segment.
type SegmentKind uint8

// Segment kinds.
const (
	SegNew             SegmentKind = iota // new data (or a pure ACK / control segment) in order
	SegOutOfOrder                         // above the next expected sequence number
	SegRetransmission                     // all or part already seen
	SegKeepAlive                          // keep-alive probe (seq = next-1, len 0 or 1)
	SegZeroWindowProbe                    // 1 byte at the peer's zero window
	SegDupAck                             // duplicate ACK (RFC 5681 / Wireshark definition)
)

// String returns the kind as a snake_case token.
func (k SegmentKind) String() string {
	return [...]string{"new", "out_of_order", "retransmission", "keep_alive", "zero_window_probe", "dup_ack"}[k]
}

// Sink receives the tracker's events. All calls happen on the goroutine that
// calls Tracker.Packet, Tracker.Advance or Tracker.Flush, in capture order.
type Sink interface {
	// ConnOpened announces a connection once its roles are settled and
	// returns the Stream that will receive its payload (nil for none).
	ConnOpened(c *Conn) Stream
	// Segment is called for every TCP packet of an opened connection.
	Segment(c *Conn, s *SegmentInfo)
	// ConnClosed is called once per connection when it leaves the table
	// (closed and lingered, idle, evicted, replaced by a new incarnation, or
	// flushed at the end). The Stream has already received End for both
	// directions.
	ConnClosed(c *Conn)
}

// Settler may be implemented by a Sink that concludes a connection's
// analysis as soon as nothing more is due on it. ConnSettled is called
// once for a connection closed by FIN both ways, Config.SettleDelay after
// both FINs were acknowledged, if its quiet linger (Config.QuietLinger;
// never when QuietLinger is negative) has not ended first. Both directions
// are finished by then (the Stream has received End for both, holes
// declared as gaps), and Close's Kind, Initiator, TimeWaitHolder and At
// are those ConnClosed will have. Packets that still arrive within the
// quiet linger (a FIN sent again because the last ACK was lost past the
// capture point, a duplicate ACK, a RST) are counted in Dir and End and
// passed to Segment as before; ConnClosed follows at the end of the quiet
// linger, or earlier if a new incarnation or the connection cap ends it.
type Settler interface {
	ConnSettled(c *Conn)
}

// Stats are the counters of a Tracker.
type Stats struct {
	// Packets counts the TCP packets given to Tracker.Packet.
	Packets uint64
	// Conns counts connection incarnations seen (each got a ConnID).
	Conns uint64
	// Active is the number of connections held now (open or lingering);
	// MaxActive its high-water mark.
	Active, MaxActive int
	// Buffered is the number of payload bytes held in out-of-order buffers
	// now; MaxBuffered its high-water mark.
	Buffered, MaxBuffered int
	// Anomalies counts odd or hostile input by token (see the Anomaly*
	// constants). Tokens with a zero count are absent.
	Anomalies map[string]uint64
}

// Anomaly tokens counted in Stats.Anomalies.
const (
	// AnomalyConnLimit: Config.MaxConns was reached and an open connection
	// was evicted.
	AnomalyConnLimit = "tcp_conn_limit"
	// AnomalyOOOBufferLimit: a direction's out-of-order buffer was full and
	// its hole was declared a gap.
	AnomalyOOOBufferLimit = "tcp_ooo_buffer_limit"
	// AnomalyOOOTotalLimit: the out-of-order buffers of all connections were
	// full and the connection with the largest buffer declared its gaps.
	AnomalyOOOTotalLimit = "tcp_ooo_total_limit"
	// AnomalyRSTOutOfWindow: a RST whose sequence number was outside the
	// receiver's window was ignored (RFC 5961 §3).
	AnomalyRSTOutOfWindow = "tcp_rst_out_of_window"
	// AnomalyTimeBackwards: a packet's timestamp was earlier than the latest
	// one seen.
	AnomalyTimeBackwards = "tcp_time_backwards"
	// AnomalyBadFlags: a segment with SYN together with FIN or RST was
	// ignored.
	AnomalyBadFlags = "tcp_bad_flags"
	// AnomalyDataAfterFIN: payload beyond a direction's FIN was ignored.
	AnomalyDataAfterFIN = "tcp_data_after_fin"
	// AnomalyAfterClose: a packet (not a SYN) of a connection already
	// reported after its quiet linger (Config.QuietLinger) arrived within
	// its close linger and was counted here only.
	AnomalyAfterClose = "tcp_packet_after_close"
	// AnomalyNewWithoutSYN: a packet that cannot belong to the connection
	// of its tuple (past the FIN of a connection closed both ways, or out of
	// the window by far after a second of silence) started a new
	// incarnation whose SYN the capture missed. An open connection left
	// behind is reported as still open: its close was missed too.
	AnomalyNewWithoutSYN = "tcp_new_incarnation_without_syn"
)
