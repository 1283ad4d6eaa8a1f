// Package httpdecode parses HTTP/1.x byte streams and pairs requests with
// responses.
//
// Its single job: turn the two reassembled byte streams of one TCP
// connection into HTTP/1.x messages and request/response exchanges, with
// body framing (RFC 9112 §6.3), timing and named anomalies.
//
// Inputs: in-order bytes of one direction with their capture time
// (nanoseconds since the epoch), gaps (n bytes missing) and end-of-direction
// signals, pushed synchronously:
//
//   - Parser is the low-level one-direction push parser (Feed, Gap, End). It
//     reports heads, body bytes, message ends, tunnel bytes and anomalies to
//     a ParserHandler through byte-slice views.
//   - Conn owns one Parser per direction (Feed, Gap, End, Close). It pairs
//     requests and responses FIFO (pipelining), frames responses with their
//     request's method (HEAD, CONNECT), counts interim 1xx responses,
//     follows protocol switches (101, 2xx to CONNECT) and reports to a
//     Handler.
//   - LooksLikeRequest and LooksLikeResponse classify the first bytes of a
//     stream.
//
// Outputs: Exchange values holding owned Message values (copied strings; they
// may be kept), anomaly tokens (the Anomaly* constants, stable snake_case
// prefixed "http_"), Upgraded notifications and the tunnel bytes after a
// switch. Bad or hostile input is never an error or a panic: it becomes an
// anomaly, and the parser resynchronises at the next plausible start line
// (request: known method SP target SP "HTTP/1.x"; response: "HTTP/1.x NNN").
// A gap inside a Content-Length, chunk-data or close-delimited body is
// counted (Message.GapBytes) and parsing continues; a gap anywhere else
// causes a resynchronisation. A message whose last bytes were lost ends at
// its last byte seen. When server bytes were lost where responses could
// have been, FIFO pairing would give every later response to the request
// before its own: unless the client was seen pipelining, the next response
// answers the newest request sent before it, and the older ones are
// reported with their response lost (AnomalyResponseLost).
//
// Concurrency: none. A Parser or Conn is used from one goroutine; all
// callbacks run synchronously inside Feed, Gap, End, StartTunnel and Close.
// The package starts no goroutines and uses only the standard library.
//
// Buffer ownership: the caller's slices are scanned in place and never
// retained. Slices passed to ParserHandler and Handler.Tunnel are valid only
// during the call. Only a head that crosses Feed calls is copied, into a
// per-direction carry-over buffer.
//
// Limits (Limits, with defaults): a head is at most MaxHeaderBytes (64 KiB),
// a line MaxLineBytes (8 KiB), MaxHeaders fields (256), and at most
// MaxPending requests (100) wait for a response. Bodies are counted, never
// stored, so the memory of a Conn is bounded by the two carry-over buffers
// plus the pending exchanges. The Parser allocates nothing per message in
// steady state.
package httpdecode
