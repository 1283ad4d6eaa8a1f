// Package websocket decodes the frames of a WebSocket session (RFC 6455)
// from the two byte streams of a TCP connection after the HTTP/1.1 upgrade.
//
// Single job: turn in-order bytes after a 101 Switching Protocols into
// per-session facts — data messages per direction (fragments joined),
// pings, pongs and ping→pong round trips, the first close frame's code and
// sender, masking violations and protocol anomalies — and check the
// handshake's Sec-WebSocket-Accept value (RFC 6455 §4.2.2).
//
// Inputs: Session.Data, Gap and End per direction (0 client to server, 1
// server to client) with packet times in nanoseconds. Outputs: Session.Result
// and the anomaly tokens (Anomaly* constants) with their counts.
//
// Concurrency: a Session is used by one goroutine. Buffer ownership: bytes
// passed to Data are not retained (control-frame payloads of at most 125
// bytes are copied). Limits: a direction stops being parsed after a gap
// (frame alignment is lost) or a frame header that cannot be valid; at most
// MaxRTTSamples ping round trips and MaxPendingPings outstanding pings are
// kept; data payloads are counted, never stored.
package websocket
