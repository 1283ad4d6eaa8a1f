// Package reassembly tracks TCP connections and rebuilds their byte streams.
//
// Job: turn decoded TCP packets into connection incarnations with settled
// client/server roles, per-direction TCP facts (handshake, retransmissions,
// out-of-order segments, gaps, keep-alives, zero windows, duplicate ACKs,
// FIN/RST and how the connection closed) and in-order payload.
//
// Input: *capture.Packet values given to Tracker.Packet in capture order
// (non-TCP packets are ignored); Tracker.Advance moves packet time forward
// when no packet arrives (live captures); Tracker.Flush ends the input.
//
// Output: calls on the Sink: ConnOpened once the roles are final (at the
// SYN or SYN/ACK, or, without a handshake, at the first payload or when the
// connection closes), Segment for every packet of an opened connection,
// Stream.Data/Gap/End with the in-order bytes, and ConnClosed once per
// connection when it leaves the table. Tracker.Stats gives the counters and
// the anomaly tokens (Anomaly* constants).
//
// Concurrency: a Tracker is not safe for concurrent use. One goroutine calls
// Packet, Advance, Flush and Stats; the Sink and Streams are called
// synchronously on that goroutine. Shard by flow.Key.Hash to use more cores.
//
// Buffer ownership: the packet and its Payload are not retained after
// Packet returns. In-order payload is passed to Stream.Data without a copy
// and is valid only during the call; out-of-order payload is copied into the
// tracker's buffers. A *Conn may be read during callbacks but must not be
// kept after ConnClosed returns (the struct is recycled).
//
// Limits: Config.MaxConns connections (the least recently active one is
// evicted), Config.MaxBufferPerDir bytes (and 1024 segments) of out-of-order
// data per direction, Config.MaxBufferTotal bytes over all connections,
// Config.IdleTimeout, Config.CloseLinger and Config.QuietLinger in packet
// time (a Sink that implements Settler hears of a connection closed by FIN
// both ways Config.SettleDelay into its quiet linger, so that it can let
// go of its own state then), and as many remembered tuples of retired connections as
// Config.MaxConns. Bad or hostile input is counted as an anomaly, never a
// panic or an error. The same packets always give the same calls in the
// same order.
package reassembly
