// Package h2 decodes cleartext HTTP/2 (RFC 9113) from the two byte streams
// of a TCP connection: the prior-knowledge preface or the bytes after an
// HTTP/1.1 `Upgrade: h2c` 101.
//
// Single job: turn in-order bytes into per-connection HTTP/2 facts — frames
// per direction, streams opened and the most open at once, one exchange per
// stream (method, authority, path, status, DATA bytes, reset), SETTINGS,
// PING, GOAWAY — and the TCP head-of-line events seen on the way: bytes
// that arrived beyond a hole in the sequence space and were held until the
// hole was filled, with the streams whose frames they carried.
//
// Inputs: Conn.Data, Gap and End per direction (0 client to server, 1 server
// to client), packet times in nanoseconds, and Conn.Segment for each TCP
// segment after the Data calls it caused (its payload length and whether it
// arrived out of order). Outputs: Conn.Result and anomaly tokens
// (Anomaly* constants) with counts.
//
// Frames are parsed by hand (9-byte headers, RFC 9113 §4.1); header blocks
// are decoded with golang.org/x/net/http2/hpack, one decoder per direction,
// sized from the SETTINGS_HEADER_TABLE_SIZE the peer announced. A gap that
// hits a header block or frame boundary poisons that direction's HPACK
// decoder for good: after a missing block the decoder would return wrong
// headers without an error.
//
// Concurrency: a Conn is used by one goroutine. Buffer ownership: bytes
// passed to Data are not retained; non-DATA frame payloads up to
// MaxBufferedFrame bytes and header blocks up to MaxHeaderBlock bytes are
// copied. Limits: MaxExchanges exchanges (the rest counted), MaxOpenStreams
// tracked streams, MaxHOLEvents head-of-line events; DATA payloads are
// counted, never stored; a direction whose frame alignment is lost stops.
package h2
