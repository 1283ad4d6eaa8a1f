// Package body judges how HTTP/1.x message bodies ended: bodies cut short
// by the end of their connection, and responses whose body is delimited by
// the connection's close.
//
// What it measures: for every message whose parser marked it Truncated, the
// declared length (Content-Length), the bytes the sender put on the wire
// (bytes received plus bytes missing from the capture), the bytes missing,
// and which side ended the stream; for every response framed by close
// (RFC 9112 §6.3 rule 8), its version.
//
// Events: Exchange (the messages) and ConnClosed (the FIN and RST times
// that say how each direction ended). Exchanges of a connection arrive
// before its ConnClosed.
//
// Findings:
//
//   - http_truncated_body (error; warning when the receiver reset the
//     connection): a message's direction ended with FIN or RST before the
//     body its framing announced was complete (RFC 9112 §8). A capture gap
//     is not truncation: when bytes received plus bytes missing from the
//     capture (Message.GapBytes) reach the Content-Length, nothing is
//     reported. A direction still open when the capture ended proves
//     nothing and is not reported. HEAD responses and 1xx, 204 and 304
//     responses never have a body (RFC 9110 §6.4.1, RFC 9112 §6.3) and are
//     never reported. Evidence: direction, framing, declared, received,
//     missing, gap_bytes, ended_by ("server_fin", "server_rst",
//     "client_rst", ...).
//   - http_close_delimited_body (info for an HTTP/1.0 response, warning for
//     HTTP/1.1 and later): a response without Content-Length or chunked
//     coding, so the body ends at connection close; it forces a new
//     connection for the next request and makes truncation undetectable
//     unless the stream ends with RST. One finding per peer and response
//     version, with count = responses.
//
// Configuration: none. Concurrency: one goroutine (the engine's). Buffer
// ownership: the analyser copies the few values it keeps. Limits: per open
// connection it keeps at most MaxPendingPerConn truncated messages (a
// direction can only end once, so two are enough); per peer one counter per
// response version, for at most Config.MaxPeers peers (more are counted in
// the capture anomaly "analysis_body_peer_limit").
package body
