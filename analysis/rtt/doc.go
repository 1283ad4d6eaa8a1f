// Package rtt measures the round-trip time of every TCP connection from the
// packets seen at the capture point and writes min, median and max into the
// connection record (report.Connection.TCP.RTTUS).
//
// What it measures (detection-methods §1.3–1.4): the handshake round trip
// (SYN→SYN/ACK plus SYN/ACK→ACK, ConnInfo.ServerHalf and ClientHalf) and
// data→ACK samples in both directions. A data→ACK sample is taken only when
// an ACK's number equals the end of a segment seen once (Karn's rule, RFC
// 6298 §3); a retransmission of any range voids every sample above it (an
// "intervening retransmission", as tcptrace's rexmit.c does). A data→ACK
// sample seen at the capture point X covers only the far half (X→receiver→X);
// the sender's half (from the handshake, or else the smallest sample of the
// opposite direction) is added so that every sample estimates the
// end-to-end round trip whatever the vantage. An ACK that covers fewer than
// DelackSegments full-sized segments and arrives at least DelackExcess later
// than the running minimum of its direction is delayed-ACK suspect and kept
// out of the statistics. The handshake sample is dropped when it exceeds
// HandshakeSuspectFactor times the smallest data sample (SYN/ACK delayed by
// SYN cookies or a full accept queue).
//
// Events: ConnOpened, Segment, ConnClosed; ReportConn fills RTTUS. Findings:
// none. Configuration: none; the thresholds are the constants below.
//
// Exported helpers: Tracker follows one connection's sequence spaces and
// yields samples, half round trips and an RFC 6298 retransmission-timeout
// estimate. It is the analysers' shared per-connection state
// (analysis.SeqState: rtt, loss, Nagle and slow start declare it with
// NewSeqState); the engine keeps one per open connection and feeds it each
// segment once, and the analysers read it through Of and never change it.
//
// Concurrency: one goroutine. Buffer ownership: nothing from an event is
// retained. Limits: a Tracker remembers at most MaxOutstanding unacknowledged
// segments per direction (older ones are forgotten and give no sample); the
// analyser keeps at most MaxStored samples per direction (uniformly thinned
// when more arrive) plus exact min and max, and drops a connection's state
// when its record is written.
package rtt
