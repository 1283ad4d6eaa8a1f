package report

// TimeSeq is the bounded segment time series of one connection: the data a
// time-sequence (Stevens) graph is drawn from. It is recorded only on
// request (analysis.Config.Series) and only for the most troubled
// connections, so reports stay small.
type TimeSeq struct {
	// MSS is the maximum segment size used to judge small segments (0 when
	// unknown).
	MSS int `json:"mss,omitempty"`
	// Points are the connection's segments in capture order, at most the
	// configured number per connection.
	Points []SeqPoint `json:"points"`
	// Dropped counts segments seen after the cap and not recorded.
	Dropped int `json:"dropped,omitempty"`
}

// SeqPoint is one TCP segment of a connection's time series.
type SeqPoint struct {
	// TRelUS is the segment's time in microseconds since the connection's
	// first packet.
	TRelUS int64 `json:"t_rel_us"`
	// Dir is the sender: 0 client to server, 1 server to client.
	Dir int `json:"dir" jsonschema:"enum=0,enum=1"`
	// RelSeq is the segment's sequence number relative to its sender's
	// initial sequence number.
	RelSeq int64 `json:"rel_seq"`
	// Len is the payload length in bytes.
	Len int `json:"len"`
	// Ack is the acknowledgment number relative to the peer's initial
	// sequence number, -1 when the ACK flag is off or the peer's sequence
	// space is not known yet.
	Ack int64 `json:"ack"`
	// Window is the receive window the sender advertised, in bytes (scaled
	// when window scaling was negotiated).
	Window int64 `json:"window"`
	// Kind classifies the segment: data, ack, retransmission,
	// out_of_order, keepalive, zero_window_probe or dup_ack.
	Kind string `json:"kind"`
	// Flags lists the SYN, FIN and RST flags as S, F and R ("" for none).
	Flags string `json:"flags,omitempty"`
}

// Kinds of SeqPoint.
const (
	SeqData            = "data"
	SeqAck             = "ack"
	SeqRetransmission  = "retransmission"
	SeqOutOfOrder      = "out_of_order"
	SeqKeepAlive       = "keepalive"
	SeqZeroWindowProbe = "zero_window_probe"
	SeqDupAck          = "dup_ack"
)
