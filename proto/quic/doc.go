// Package quic recognises QUIC connections in UDP datagrams and reads what a
// passive observer can read of them: the long-header fields (RFC 8999,
// RFC 9000 §17.2), the version (v1, v2 of RFC 9369, version negotiation,
// greasing), the connection ids, and — after removing Initial packet
// protection with the keys every observer can derive (RFC 9001 §5.2,
// RFC 9369 §3.3) — the TLS ClientHello carried in the client's CRYPTO frames
// (server name and ALPN list).
//
// Single job: datagrams in, one Conn summary per QUIC connection out.
//
// Inputs: Tracker.Datagram receives every UDP datagram of a capture in
// packet-time order (time, frame index, source, destination, payload).
// Outputs: Tracker.Finish returns the connections seen, in order of first
// packet, with their roles, times, per-direction packet and byte counts,
// version, connection ids, SNI and ALPN, plus anomaly counts. The lower-level
// pieces (ParseLongHeader, InitialKeys, OpenInitial, ParseFrames,
// CryptoStream, ParseClientHello) are exported for tests and reuse.
//
// Concurrency: a Tracker is used from one goroutine. Buffer ownership:
// payloads are valid during the call only; the tracker copies what it keeps
// (connection ids, CRYPTO data up to MaxCrypto bytes per connection);
// OpenInitial decrypts into a caller-supplied buffer.
//
// Limits: at most Config.MaxFlows connections are tracked at once (past it,
// new flows are counted as AnomalyFlowLimit and ignored); a connection idle
// for Config.IdleTimeout of packet time is finished; CRYPTO data kept per
// connection is capped at MaxCrypto bytes and only until the ClientHello is
// parsed. Malformed input never panics: it is counted as a named anomaly
// (the Anomaly* constants) and skipped. No wall-clock time is read.
package quic
