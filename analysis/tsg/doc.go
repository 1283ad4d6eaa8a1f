// Package tsg records bounded per-connection segment time series, the data
// of time-sequence (Stevens) graphs, and attaches them to the most troubled
// connections of the report (report.Connection.Series).
//
// It records nothing unless analysis.Config.Series is set, so the default
// JSON report does not change. When on, every TCP segment of an open
// connection becomes one report.SeqPoint: time since the connection's first
// packet, direction, sequence number relative to the sender's ISN, payload
// length, acknowledgment number relative to the peer's ISN (unwrapped
// against the peer's last sequence number), the advertised window (scaled
// per RFC 7323 §2.2, except on SYN segments) and the reassembly
// classification (data, ack, retransmission, ...).
//
// Selection: at ConnClosed each connection gets a trouble score from its own
// series: problem segments (retransmissions, out-of-order, duplicate ACKs,
// zero-window probes, RST), then stalls (gaps of at least StallGap between
// consecutive packets), then duration, ties broken by the lower id. Only the
// Config.SeriesConns best-scoring connections are kept; Finish attaches
// their series to the report.
//
// Events: ConnOpened, Segment, ConnClosed. Findings: none. Concurrency: one
// goroutine. Buffer ownership: nothing from an event is retained (points are
// copied values).
//
// Limits: at most Config.SeriesMaxPoints points per connection (later
// segments are counted in TimeSeq.Dropped); at most Config.SeriesConns
// series kept after their connections close; and the points buffered for
// open connections together are capped at LiveFactor × SeriesConns ×
// SeriesMaxPoints, past which open connections record no further points
// (also counted in Dropped). Memory is therefore bounded whatever the
// number of connections.
package tsg
