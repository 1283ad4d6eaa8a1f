// Package h2hol reports TCP head-of-line blocking on HTTP/2 connections:
// one lost segment stalls every stream whose frames travel behind it,
// because TCP delivers bytes only in order (detection-methods §4.2).
//
// Rule, judged in Finish from connections[].h2.hol_events (recorded by the
// HTTP/2 decoder): a hole in one direction's sequence space that held the
// bytes beyond it for at least one round trip, when those bytes carried
// frames of at least 2 distinct streams, is one event. One finding per
// connection (warning) with count = events, duration_us = the sum of the
// holds, evidence worst_hold_us, streams_blocked (union, at most 50),
// rtt_us and rtt_source, held_bytes, causes.
//
// The round trip is the handshake RTT (SYN→ACK at the capture point), else
// the median data→ACK RTT, else 200 ms (the Linux minimum RTO) so that
// connections with no RTT estimate only count stalls a retransmission
// timeout would cause.
//
// Capture point: the decoder measures from the out-of-order arrival of the
// first segment beyond the hole to the segment that filled it (or to the
// ACK that proved the bytes were delivered when the capture missed them).
// At a receiver-side (client-side, for responses) capture that is the time
// the receiving stack held data it had; at a sender-side capture the
// segments beyond the hole are seen when sent, so the hold is an upper
// bound. Reordering without loss holds bytes for far less than one round
// trip and is not reported.
//
// Events: none (Finish only). Configuration: none. Concurrency: one
// goroutine. Buffer ownership: reads the report, keeps nothing. Limits: at
// most one finding per connection.
package h2hol
