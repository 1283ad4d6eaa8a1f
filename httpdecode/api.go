package httpdecode

// Dir is the direction of a byte stream: 0 client to server (requests),
// 1 server to client (responses). It matches flow.Dir numerically; this
// package stays standard-library only.
type Dir uint8

// Directions.
const (
	ClientToServer Dir = 0
	ServerToClient Dir = 1
)

// Framing says how a message body is delimited (RFC 9112 §6.3).
type Framing uint8

// Framings.
const (
	FramingNone           Framing = iota // no body (request without CL/TE, HEAD, 1xx, 204, 304)
	FramingContentLength                 // Content-Length
	FramingChunked                       // Transfer-Encoding: chunked
	FramingCloseDelimited                // response body ends at connection close
	FramingTunnel                        // 101 or 2xx to CONNECT: the rest is another protocol
)

// String returns the report token: "none", "content_length", "chunked",
// "close_delimited" or "tunnel" ("unknown" for an undefined value).
func (f Framing) String() string {
	names := [...]string{"none", "content_length", "chunked", "close_delimited", "tunnel"}
	if int(f) < len(names) {
		return names[f]
	}
	return "unknown"
}

// Header is one header field as sent (name not canonicalised).
type Header struct {
	Name, Value string
}

// Message is one parsed HTTP/1.x request or response with its body framing
// and timing. Strings are owned copies: a Message may be kept.
type Message struct {
	Request bool
	// Request line.
	Method, Target string
	// Status line.
	Status int
	Reason string
	// Version is "HTTP/1.0", "HTTP/1.1" (as sent; "" when unparseable).
	Version string

	// Connection-management headers as sent (joined with ", " when
	// repeated): Connection, Keep-Alive, Proxy-Connection, Upgrade, TE.
	Connection, KeepAlive, ProxyConnection, Upgrade, TE string
	// TransferEncoding is the Transfer-Encoding field as sent (joined with
	// ", " when repeated).
	TransferEncoding string
	// ConnectionTokens are the lower-cased comma-separated tokens of all
	// Connection fields.
	ConnectionTokens []string
	// Other headers the analysers use, as sent: Host, Content-Type, Via,
	// Expect, Sec-WebSocket-Key, Sec-WebSocket-Accept, HTTP2-Settings.
	Host, ContentType, Via, Expect string
	WSKey, WSAccept, HTTP2Settings string
	// HeaderCount is the number of header fields; HeaderBytes the size of
	// the head including the start line and the final CRLF.
	HeaderCount int
	HeaderBytes int

	// ContentLength is the declared length, -1 when absent or invalid.
	ContentLength int64
	Framing       Framing
	// BodyBytes counts body bytes seen (chunked: the data bytes, without
	// chunk framing); BodyWireBytes counts all bytes after the head,
	// including chunk framing and trailers. Bodies are counted, never stored.
	BodyBytes, BodyWireBytes int64
	// Complete is true when the body ended where its framing said it would
	// (close-delimited bodies are complete when the direction ended cleanly).
	Complete bool
	// Truncated is true when the direction ended (FIN, RST or end of
	// capture) before the body was complete. GapBytes counts body bytes that
	// were missing from the capture (a gap is not a truncation).
	Truncated bool
	GapBytes  int64

	// Times in nanoseconds since the epoch: first byte of the start line,
	// last byte of the head, last byte of the message.
	Start, HeadEnd, End int64

	// ResyncSkipped counts the bytes the parser skipped while
	// resynchronising just before this message (0 in an intact stream).
	ResyncSkipped int64

	// Anomalies are the distinct tokens raised while parsing this message,
	// in the order first raised, including those raised between the previous
	// message of the same direction and this one (such as "http_resync").
	Anomalies []string
}

// Exchange is a request paired with its response, in request order on one
// connection. Interim 1xx responses (other than 101) are not exchanges; they
// are counted in Interim.
type Exchange struct {
	// Index is the 0-based position of the exchange on its connection.
	Index int
	// Request is nil only for a response that arrived while no request was
	// waiting (anomaly "http_response_without_request", typically a capture
	// that started mid-connection).
	Request  *Message
	Response *Message // nil when no response arrived
	// Pipelined is true when this request started before the previous
	// exchange's response had fully arrived (at the capture point).
	Pipelined bool
	// Interim counts 1xx responses (100, 102, 103) received before the final
	// response.
	Interim int
}

// Handler receives the results of a Conn. Calls happen synchronously from
// Feed, Gap and End.
type Handler interface {
	// Exchange is called once per request when its exchange is complete:
	// the request and its response ended, or no response can come any more
	// (the server direction ended, the connection switched protocols, or
	// the request was given up for excessive pipelining). It is also called
	// for a response without a request. Calls come in Index order; e may be
	// kept.
	Exchange(e *Exchange)
	// Anomaly reports a named protocol anomaly (see the Anomaly* tokens).
	Anomaly(token string)
	// Upgraded reports that the connection switched protocols after the
	// given exchange (101 with Upgrade, or 2xx to CONNECT): proto is the
	// lower-cased Upgrade token ("websocket", "h2c") or "connect". Bytes that
	// follow in both directions are not HTTP/1.x and are passed to Tunnel.
	Upgraded(proto string, e *Exchange)
	// Tunnel receives bytes after an upgrade (valid only during the call).
	Tunnel(d Dir, t int64, p []byte)
}

// Limits bound the memory of a Conn.
type Limits struct {
	// MaxHeaderBytes caps one message head (start line and fields); default
	// 64 KiB. Past it the message is abandoned with "http_header_too_large".
	MaxHeaderBytes int
	// MaxLineBytes caps one line; default 8 KiB.
	MaxLineBytes int
	// MaxHeaders caps the number of fields; default 256.
	MaxHeaders int
	// MaxPending caps requests waiting for a response (pipelining depth);
	// default 100, past it "http_excessive_pipelining".
	MaxPending int
}
