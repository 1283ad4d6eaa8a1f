package httpdecode

// Anomaly tokens. Each is a stable snake_case report token prefixed "http_".
// A Parser or Conn passes them to its handler's Anomaly method each time the
// condition is seen; Conn also records them in Message.Anomalies of the
// message being parsed (or of the next message, for tokens raised between
// messages).
const (
	// AnomalyBadRequestLine: a request line that is not
	// "method SP request-target SP HTTP/1.x" (RFC 9112 §3). The line is
	// skipped and the parser resynchronises.
	AnomalyBadRequestLine = "http_bad_request_line"
	// AnomalyBadStatusLine: a status line that is not
	// "HTTP/1.x SP 3DIGIT [SP reason]" (RFC 9112 §4). The line is skipped
	// and the parser resynchronises.
	AnomalyBadStatusLine = "http_bad_status_line"
	// AnomalySpaceInTarget: the request-target contains whitespace; it is
	// accepted as everything between the first and the last space.
	AnomalySpaceInTarget = "http_space_in_target"
	// AnomalyBadHeaderLine: a field line without a colon, with an empty or
	// invalid field name, or a continuation line before the first field
	// (RFC 9112 §5). The line is ignored.
	AnomalyBadHeaderLine = "http_bad_header_line"
	// AnomalySpaceBeforeColon: whitespace between a field name and the colon
	// (RFC 9112 §5.1 says a server must reject it); the name is trimmed and
	// the field kept.
	AnomalySpaceBeforeColon = "http_space_before_colon"
	// AnomalyObsFold: obsolete line folding (RFC 9112 §5.2); the
	// continuation is joined to the previous value with one space.
	AnomalyObsFold = "http_obs_fold"
	// AnomalyBareLF: a line of the head or of the chunked framing ended with
	// LF alone instead of CRLF (accepted, RFC 9112 §2.2). Raised at most once
	// per message.
	AnomalyBareLF = "http_bare_lf"
	// AnomalyLineTooLong: a head or chunk line longer than
	// Limits.MaxLineBytes; the message is abandoned and the parser
	// resynchronises.
	AnomalyLineTooLong = "http_line_too_long"
	// AnomalyHeaderTooLarge: a head (or trailer section) larger than
	// Limits.MaxHeaderBytes; the message is abandoned and the parser
	// resynchronises.
	AnomalyHeaderTooLarge = "http_header_too_large"
	// AnomalyTooManyHeaders: more than Limits.MaxHeaders field lines; the
	// message is abandoned and the parser resynchronises.
	AnomalyTooManyHeaders = "http_too_many_headers"
	// AnomalyContentLengthAndTransferEncoding: both fields are present;
	// Transfer-Encoding wins (RFC 9112 §6.3 rule 3; request smuggling
	// territory).
	AnomalyContentLengthAndTransferEncoding = "http_content_length_and_transfer_encoding"
	// AnomalyConflictingContentLength: several Content-Length values that
	// differ (RFC 9112 §6.3 rule 5). The length is treated as invalid.
	AnomalyConflictingContentLength = "http_conflicting_content_length"
	// AnomalyDuplicateContentLength: several identical Content-Length values
	// (allowed by RFC 9110 §8.6, but unusual); the value is used.
	AnomalyDuplicateContentLength = "http_duplicate_content_length"
	// AnomalyBadContentLength: a Content-Length value that is not a
	// non-negative decimal integer below 2^62. A response is then read until
	// close; a request is emitted without a body and the parser
	// resynchronises (RFC 9112 §6.3 rule 5).
	AnomalyBadContentLength = "http_bad_content_length"
	// AnomalyBadTransferEncoding: a request whose Transfer-Encoding does not
	// end in chunked, so its length cannot be determined (RFC 9112 §6.3
	// rule 4). The request is emitted without a body and the parser
	// resynchronises.
	AnomalyBadTransferEncoding = "http_bad_transfer_encoding"
	// AnomalyForbiddenContentLength: a Content-Length field in a 1xx or 204
	// response (RFC 9110 §8.6); it is ignored.
	AnomalyForbiddenContentLength = "http_forbidden_content_length"
	// AnomalyBadChunkSize: a chunk-size that is not hexadecimal or
	// overflows (more than 15 hex digits); the message ends incomplete and
	// the parser resynchronises (RFC 9112 §7.1).
	AnomalyBadChunkSize = "http_bad_chunk_size"
	// AnomalyBadChunkFraming: chunk data not followed by CRLF; the message
	// ends incomplete and the parser resynchronises.
	AnomalyBadChunkFraming = "http_bad_chunk_framing"
	// AnomalyTruncatedBody: the direction ended before the body announced by
	// Content-Length or chunked framing was complete (RFC 9112 §8).
	// Message.Truncated is set.
	AnomalyTruncatedBody = "http_truncated_body"
	// AnomalyTruncatedHead: the direction ended in the middle of a message
	// head; the partial message is dropped.
	AnomalyTruncatedHead = "http_truncated_head"
	// AnomalyResync: the parser lost the message boundary (a gap in a head
	// or in chunk framing, or bytes it could not parse) and scans for the
	// next plausible start line. Stats.SkippedBytes counts what it skipped.
	AnomalyResync = "http_resync"
	// AnomalyResponseWithoutRequest: a final response arrived while no
	// request was waiting for one (Zeek's HTTP_response_before_request).
	AnomalyResponseWithoutRequest = "http_response_without_request"
	// AnomalyResponseLost: a request whose response was lost in a capture
	// gap (or in bytes skipped while resynchronising): a later response
	// answered a newer request (see Conn), so this one is emitted without
	// a response.
	AnomalyResponseLost = "http_response_lost"
	// AnomalyExcessivePipelining: more than Limits.MaxPending requests were
	// waiting for a response; the oldest is given up (emitted without a
	// response) to bound memory (Zeek's HTTP_excessive_pipelining).
	AnomalyExcessivePipelining = "http_excessive_pipelining"
	// AnomalyDataAfterCloseDelimited: the client sent a request after the
	// server had started a close-delimited response, which ends only when
	// the connection closes, so the request cannot be answered on this
	// connection.
	AnomalyDataAfterCloseDelimited = "http_data_after_close_delimited"
	// AnomalyUnsolicitedSwitch: a 101 (Switching Protocols) response to a
	// request that carried no Upgrade field (RFC 9110 §15.2.2).
	AnomalyUnsolicitedSwitch = "http_unsolicited_switching_protocols"
)

// Anomalies lists every anomaly token of this package, sorted.
func Anomalies() []string {
	return []string{
		AnomalyBadChunkFraming,
		AnomalyBadChunkSize,
		AnomalyBadContentLength,
		AnomalyBadHeaderLine,
		AnomalyBadRequestLine,
		AnomalyBadStatusLine,
		AnomalyBadTransferEncoding,
		AnomalyBareLF,
		AnomalyConflictingContentLength,
		AnomalyContentLengthAndTransferEncoding,
		AnomalyDataAfterCloseDelimited,
		AnomalyDuplicateContentLength,
		AnomalyExcessivePipelining,
		AnomalyForbiddenContentLength,
		AnomalyHeaderTooLarge,
		AnomalyLineTooLong,
		AnomalyObsFold,
		AnomalyResponseWithoutRequest,
		AnomalyResync,
		AnomalySpaceBeforeColon,
		AnomalySpaceInTarget,
		AnomalyTooManyHeaders,
		AnomalyTruncatedBody,
		AnomalyTruncatedHead,
		AnomalyUnsolicitedSwitch,
	}
}
