package httpdecode_test

import (
	"reflect"
	"strings"
	"testing"

	"connscope/httpdecode"
)

// connCase is one scripted connection with its expected results.
type connCase struct {
	name  string
	lim   httpdecode.Limits
	steps []step
	// want are exSum lines of the exchanges, in order.
	want []string
	// anomalies are all tokens reported to the Handler, sorted.
	anomalies []string
	upgraded  []string
	tunnel    [2]string
	notHTTP   bool
	// oracle: the streams are well-formed enough for net/http.
	oracle bool
	check  func(t *testing.T, r *recorder)
}

const (
	okEmpty = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
	getA    = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
)

func req(r *recorder, i int) *httpdecode.Message  { return r.ex[i].Request }
func resp(r *recorder, i int) *httpdecode.Message { return r.ex[i].Response }

var connCases = []connCase{
	{
		name:   "simple_get",
		steps:  []step{C(1, "GET /a HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t\r\n\r\n"), S(2, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")},
		want:   []string{"#0 GET /a HTTP/1.1 none body=0 complete => 200 HTTP/1.1 content_length body=5 complete"},
		oracle: true,
		check: func(t *testing.T, r *recorder) {
			q, s := req(r, 0), resp(r, 0)
			if q.Host != "example.com" || q.HeaderCount != 2 || q.HeaderBytes != 53 || q.ContentLength != -1 {
				t.Errorf("request head: host %q count %d bytes %d cl %d", q.Host, q.HeaderCount, q.HeaderBytes, q.ContentLength)
			}
			if q.Start != 1 || q.HeadEnd != 1 || q.End != 1 || s.Start != 2 || s.End != 2 || s.ContentLength != 5 || s.Reason != "OK" {
				t.Errorf("times/fields: req %d/%d/%d resp %d/%d cl %d reason %q", q.Start, q.HeadEnd, q.End, s.Start, s.End, s.ContentLength, s.Reason)
			}
		},
	},
	{
		name:   "post_content_length",
		steps:  []step{C(1, "POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 11\r\n\r\nhello=world"), S(2, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n")},
		want:   []string{"#0 POST /form HTTP/1.1 content_length body=11 complete => 201 HTTP/1.1 content_length body=0 complete"},
		oracle: true,
		check: func(t *testing.T, r *recorder) {
			if q := req(r, 0); q.ContentType != "application/x-www-form-urlencoded" || q.BodyWireBytes != 11 {
				t.Errorf("content type %q wire %d", q.ContentType, q.BodyWireBytes)
			}
		},
	},
	{
		// RFC 9112 §7.1.1 chunk extensions (with BWS and a quoted value),
		// §7.1.2 trailer section.
		name: "chunked_extensions_trailers",
		steps: []step{C(1, "GET /c HTTP/1.1\r\nHost: x\r\nTE: trailers\r\n\r\n"),
			S(2, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n5;name=value\r\nhello\r\n6;q=\"a;b\"\r\n world\r\n0\r\nX-Checksum: abc\r\n\r\n")},
		want:   []string{"#0 GET /c HTTP/1.1 none body=0 complete => 200 HTTP/1.1 chunked body=11 complete"},
		oracle: true,
		check: func(t *testing.T, r *recorder) {
			s := resp(r, 0)
			const framing = "5;name=value\r\nhello\r\n6;q=\"a;b\"\r\n world\r\n0\r\nX-Checksum: abc\r\n\r\n"
			if s.BodyWireBytes != int64(len(framing)) || s.TransferEncoding != "chunked" || req(r, 0).TE != "trailers" {
				t.Errorf("wire %d want %d, te %q", s.BodyWireBytes, len(framing), s.TransferEncoding)
			}
		},
	},
	{
		// RFC 9112 §7.1.1: BWS before a chunk extension (net/http rejects it).
		name:  "chunk_extension_bws",
		steps: []step{C(1, getA), S(2, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3 \t; a=b ;c\r\nabc\r\n0 ;z\r\n\r\n")},
		want:  []string{"#0 GET /a HTTP/1.1 none body=0 complete => 200 HTTP/1.1 chunked body=3 complete"},
	},
	{
		// RFC 9112 §6.3 rule 1: a response to HEAD has no content even with
		// Content-Length; the next response must still parse.
		name: "head_with_content_length",
		steps: []step{C(1, "HEAD /a HTTP/1.1\r\nHost: x\r\n\r\n"), S(2, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"),
			C(3, "GET /b HTTP/1.1\r\nHost: x\r\n\r\n"), S(4, "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nnop")},
		want: []string{
			"#0 HEAD /a HTTP/1.1 none body=0 complete => 200 HTTP/1.1 none body=0 complete",
			"#1 GET /b HTTP/1.1 none body=0 complete => 404 HTTP/1.1 content_length body=3 complete",
		},
		oracle: true,
		check: func(t *testing.T, r *recorder) {
			if cl := resp(r, 0).ContentLength; cl != 1000 {
				t.Errorf("HEAD response ContentLength %d, want the declared 1000", cl)
			}
		},
	},
	{
		// RFC 9112 §6.3 rule 1 and RFC 9110 §8.6: 204 must not carry
		// Content-Length; 304 may (it describes the selected representation).
		name: "no_body_statuses_with_content_length",
		steps: []step{C(1, getA), S(2, "HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n"),
			C(3, "GET /b HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"v1\"\r\n\r\n"), S(4, "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n"),
			C(5, "GET /c HTTP/1.1\r\nHost: x\r\n\r\n"), S(6, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")},
		want: []string{
			"#0 GET /a HTTP/1.1 none body=0 complete => 204 HTTP/1.1 none body=0 complete [http_forbidden_content_length]",
			"#1 GET /b HTTP/1.1 none body=0 complete => 304 HTTP/1.1 none body=0 complete",
			"#2 GET /c HTTP/1.1 none body=0 complete => 200 HTTP/1.1 content_length body=2 complete",
		},
		anomalies: []string{httpdecode.AnomalyForbiddenContentLength},
		oracle:    true,
	},
	{
		// RFC 9110 §10.1.1 and §15.2.1: interim 100 does not consume the
		// request.
		name: "expect_100_continue",
		steps: []step{C(1, "PUT /u HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"),
			S(2, "HTTP/1.1 100 Continue\r\n\r\n"), C(3, "data"), S(4, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")},
		want:   []string{"#0 interim=1 PUT /u HTTP/1.1 content_length body=4 complete => 200 HTTP/1.1 content_length body=0 complete"},
		oracle: true,
		check: func(t *testing.T, r *recorder) {
			if q := req(r, 0); q.Expect != "100-continue" || q.End != 3 {
				t.Errorf("expect %q end %d", q.Expect, q.End)
			}
		},
	},
	{
		// RFC 6455 §4: the bytes after the 101 are WebSocket frames.
		name: "websocket_upgrade",
		steps: []step{
			C(1, "GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"),
			S(2, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n\x81\x05hello"),
			C(3, "\x81\x85abcd\x01\x02\x03\x04\x05"), S(4, "\x88\x00")},
		want:     []string{"#0 GET /chat HTTP/1.1 none body=0 complete => 101 HTTP/1.1 tunnel body=0 complete"},
		upgraded: []string{"websocket@0"},
		tunnel:   [2]string{"\x81\x85abcd\x01\x02\x03\x04\x05", "\x81\x05hello\x88\x00"},
		check: func(t *testing.T, r *recorder) {
			q, s := req(r, 0), resp(r, 0)
			if q.WSKey != "dGhlIHNhbXBsZSBub25jZQ==" || s.WSAccept != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" ||
				!reflect.DeepEqual(q.ConnectionTokens, []string{"upgrade"}) || q.Upgrade != "websocket" {
				t.Errorf("websocket fields: %q %q %q %q", q.WSKey, s.WSAccept, q.ConnectionTokens, q.Upgrade)
			}
		},
	},
	{
		name: "h2c_upgrade",
		steps: []step{
			C(1, "GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n"),
			S(2, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00"),
			C(3, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")},
		want:     []string{"#0 GET / HTTP/1.1 none body=0 complete => 101 HTTP/1.1 tunnel body=0 complete"},
		upgraded: []string{"h2c@0"},
		tunnel:   [2]string{"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "\x00\x00\x00\x04\x00\x00\x00\x00\x00"},
		check: func(t *testing.T, r *recorder) {
			if q := req(r, 0); q.HTTP2Settings != "AAMAAABkAARAAAAAAAIAAAAA" || !reflect.DeepEqual(q.ConnectionTokens, []string{"upgrade", "http2-settings"}) {
				t.Errorf("h2c fields %q %q", q.HTTP2Settings, q.ConnectionTokens)
			}
		},
	},
	{
		// RFC 9110 §9.3.6: after a 2xx to CONNECT the connection is a tunnel.
		name: "connect_tunnel",
		steps: []step{C(1, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"),
			S(2, "HTTP/1.1 200 Connection Established\r\n\r\n"), C(3, "\x16\x03\x01\x00\x05hello"), S(4, "\x16\x03\x03\x00\x01x")},
		want:     []string{"#0 CONNECT example.com:443 HTTP/1.1 none body=0 complete => 200 HTTP/1.1 tunnel body=0 complete"},
		upgraded: []string{"connect@0"},
		tunnel:   [2]string{"\x16\x03\x01\x00\x05hello", "\x16\x03\x03\x00\x01x"},
	},
	{
		name: "connect_refused_stays_http",
		steps: []step{C(1, "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n"), S(2, "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n"),
			C(3, "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\nProxy-Authorization: Basic eA==\r\n\r\n"), S(4, "HTTP/1.1 200 OK\r\n\r\n"), C(5, "tls")},
		want: []string{
			"#0 CONNECT a:443 HTTP/1.1 none body=0 complete => 407 HTTP/1.1 content_length body=0 complete",
			"#1 CONNECT a:443 HTTP/1.1 none body=0 complete => 200 HTTP/1.1 tunnel body=0 complete",
		},
		upgraded: []string{"connect@1"},
		tunnel:   [2]string{"tls", ""},
	},
	{
		name:      "unsolicited_switching_protocols",
		steps:     []step{C(1, "GET / HTTP/1.1\r\n\r\n"), S(2, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: Foo/2\r\n\r\nxx")},
		want:      []string{"#0 GET / HTTP/1.1 none body=0 complete => 101 HTTP/1.1 tunnel body=0 complete [http_unsolicited_switching_protocols]"},
		anomalies: []string{httpdecode.AnomalyUnsolicitedSwitch},
		upgraded:  []string{"foo/2@0"},
		tunnel:    [2]string{"", "xx"},
	},
	{
		// RFC 9112 §6.3 rule 8: a response without framing ends at close.
		name: "close_delimited",
		steps: []step{C(1, "GET / HTTP/1.0\r\n\r\n"), S(2, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nsome body"),
			S(3, " more"), SE(4), CE(5)},
		want:   []string{"#0 GET / HTTP/1.0 none body=0 complete => 200 HTTP/1.0 close_delimited body=14 complete"},
		oracle: true,
		check: func(t *testing.T, r *recorder) {
			if e := resp(r, 0).End; e != 3 {
				t.Errorf("close-delimited End %d, want 3 (last body byte)", e)
			}
		},
	},
	{
		// RFC 9112 Appendix C.2.2 / RFC 2068 §19.7.1: HTTP/1.0 keep-alive.
		name: "http10_keep_alive",
		steps: []step{C(1, "GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"),
			S(2, "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5, max=100\r\nContent-Length: 2\r\n\r\nok"),
			C(3, "GET /b HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"), S(4, "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok")},
		want: []string{
			"#0 GET /a HTTP/1.0 none body=0 complete => 200 HTTP/1.0 content_length body=2 complete",
			"#1 GET /b HTTP/1.0 none body=0 complete => 200 HTTP/1.0 content_length body=2 complete",
		},
		oracle: true,
		check: func(t *testing.T, r *recorder) {
			if s := resp(r, 0); s.KeepAlive != "timeout=5, max=100" || !reflect.DeepEqual(s.ConnectionTokens, []string{"keep-alive"}) {
				t.Errorf("keep-alive %q tokens %q", s.KeepAlive, s.ConnectionTokens)
			}
			if q := req(r, 1); q.Connection != "Keep-Alive" || !reflect.DeepEqual(q.ConnectionTokens, []string{"keep-alive"}) {
				t.Errorf("connection %q tokens %q", q.Connection, q.ConnectionTokens)
			}
		},
	},
	{
		// RFC 9112 §9.3.2: responses come in request order.
		name: "pipelined_gets",
		steps: []step{C(1, "GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\nGET /3 HTTP/1.1\r\nHost: x\r\n\r\n"),
			S(2, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nbbHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")},
		want: []string{
			"#0 GET /1 HTTP/1.1 none body=0 complete => 200 HTTP/1.1 content_length body=1 complete",
			"#1 pipelined GET /2 HTTP/1.1 none body=0 complete => 200 HTTP/1.1 content_length body=2 complete",
			"#2 pipelined GET /3 HTTP/1.1 none body=0 complete => 404 HTTP/1.1 content_length body=0 complete",
		},
		oracle: true,
	},
	{
		name: "pipelined_post",
		steps: []step{C(1, "POST /p HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET /g HTTP/1.1\r\n\r\n"),
			S(2, okEmpty+okEmpty)},
		want: []string{
			"#0 POST /p HTTP/1.1 content_length body=3 complete => 200 HTTP/1.1 content_length body=0 complete",
			"#1 pipelined GET /g HTTP/1.1 none body=0 complete => 200 HTTP/1.1 content_length body=0 complete",
		},
		oracle: true,
	},
	{
		// RFC 9112 §2.2: empty lines before a request line are ignored.
		name:  "crlf_after_body",
		steps: []step{C(1, "POST /a HTTP/1.1\r\nContent-Length: 2\r\n\r\nok\r\nGET /b HTTP/1.1\r\n\r\n"), S(2, okEmpty+okEmpty)},
		want: []string{
			"#0 POST /a HTTP/1.1 content_length body=2 complete => 200 HTTP/1.1 content_length body=0 complete",
			"#1 pipelined GET /b HTTP/1.1 none body=0 complete => 200 HTTP/1.1 content_length body=0 complete",
		},
	},
	{
		name:  "request_answered_before_body_ends",
		steps: []step{C(1, "POST /up HTTP/1.1\r\nContent-Length: 6\r\n\r\nabc"), S(2, "HTTP/1.1 413 Content Too Large\r\nContent-Length: 0\r\n\r\n"), C(3, "def")},
		want:  []string{"#0 POST /up HTTP/1.1 content_length body=6 complete => 413 HTTP/1.1 content_length body=0 complete"},
	},
	{
		// RFC 9112 §8: a message that ends early is incomplete.
		name:      "truncated_content_length_body",
		steps:     []step{C(1, "GET / HTTP/1.1\r\n\r\n"), S(2, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort"), SE(3)},
		want:      []string{"#0 GET / HTTP/1.1 none body=0 complete => 200 HTTP/1.1 content_length body=5 truncated [http_truncated_body]"},
		anomalies: []string{httpdecode.AnomalyTruncatedBody},
	},
	{
		name:      "truncated_request_body",
		steps:     []step{C(1, "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc"), CE(2), S(3, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")},
		want:      []string{"#0 POST / HTTP/1.1 content_length body=3 truncated [http_truncated_body] => 400 HTTP/1.1 content_length body=0 complete"},
		anomalies: []string{httpdecode.AnomalyTruncatedBody},
	},
	{
		name:      "truncated_chunked_body",
		steps:     []step{C(1, getA), S(2, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel"), SE(3)},
		want:      []string{"#0 GET /a HTTP/1.1 none body=0 complete => 200 HTTP/1.1 chunked body=3 truncated [http_truncated_body]"},
		anomalies: []string{httpdecode.AnomalyTruncatedBody},
	},
	{
		name:      "truncated_head",
		steps:     []step{C(1, "GET / HTTP/1.1\r\nHost: x\r\n"), CE(2)},
		anomalies: []string{httpdecode.AnomalyTruncatedHead},
	},
	{
		// RFC 9112 §6.3 rule 5: differing Content-Length values make the
		// request unframeable; the parser resynchronises on the next request.
		name: "smuggle_two_content_lengths",
		steps: []step{C(1, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nabcGET /x HTTP/1.1\r\nHost: x\r\n\r\n"),
			S(2, "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"), SE(3)},
		want: []string{
			"#0 POST / HTTP/1.1 none body=0 complete [http_conflicting_content_length] => 400 HTTP/1.1 content_length body=0 complete",
			"#1 pipelined GET /x HTTP/1.1 none body=0 complete [http_resync] => -",
		},
		anomalies: []string{httpdecode.AnomalyConflictingContentLength, httpdecode.AnomalyResync},
		check: func(t *testing.T, r *recorder) {
			if cl, sk := req(r, 0).ContentLength, req(r, 1).ResyncSkipped; cl != -1 || sk != 3 {
				t.Errorf("ContentLength %d (want -1), ResyncSkipped %d (want 3)", cl, sk)
			}
		},
	},
	{
		name:  "duplicate_content_length",
		steps: []step{C(1, "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc"), S(2, "HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nok")},
		want: []string{"#0 POST / HTTP/1.1 content_length body=3 complete [http_duplicate_content_length] => " +
			"200 HTTP/1.1 content_length body=2 complete [http_duplicate_content_length]"},
		anomalies: []string{httpdecode.AnomalyDuplicateContentLength, httpdecode.AnomalyDuplicateContentLength},
	},
	{
		name:      "bad_content_length_response",
		steps:     []step{C(1, getA), S(2, "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nabc"), SE(3)},
		want:      []string{"#0 GET /a HTTP/1.1 none body=0 complete => 200 HTTP/1.1 close_delimited body=3 complete [http_bad_content_length]"},
		anomalies: []string{httpdecode.AnomalyBadContentLength},
	},
	{
		// RFC 9112 §6.3 rule 3: Transfer-Encoding overrides Content-Length
		// (te_cl_desync in smuggling terms).
		name: "te_cl_desync",
		steps: []step{C(1, "POST /s HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /n HTTP/1.1\r\nHost: x\r\n\r\n"),
			S(2, okEmpty+okEmpty)},
		want: []string{
			"#0 POST /s HTTP/1.1 chunked body=0 complete [http_content_length_and_transfer_encoding] => 200 HTTP/1.1 content_length body=0 complete",
			"#1 pipelined GET /n HTTP/1.1 none body=0 complete => 200 HTTP/1.1 content_length body=0 complete",
		},
		anomalies: []string{httpdecode.AnomalyContentLengthAndTransferEncoding},
	},
	{
		// RFC 9112 §6.3 rule 4: a response whose TE does not end in chunked
		// is read until close.
		name:  "transfer_encoding_not_chunked_response",
		steps: []step{C(1, getA), S(2, "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxyz"), SE(3)},
		want:  []string{"#0 GET /a HTTP/1.1 none body=0 complete => 200 HTTP/1.1 close_delimited body=3 complete"},
	},
	{
		// RFC 9112 §6.3 rule 4: a request whose TE does not end in chunked
		// cannot be framed.
		name: "transfer_encoding_not_chunked_request",
		steps: []step{C(1, "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\nzzzzGET /n HTTP/1.1\r\n\r\n"),
			S(2, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")},
		want: []string{
			"#0 POST / HTTP/1.1 none body=0 complete [http_bad_transfer_encoding] => 400 HTTP/1.1 content_length body=0 complete",
			"#1 pipelined GET /n HTTP/1.1 none body=0 complete [http_resync] => -",
		},
		anomalies: []string{httpdecode.AnomalyBadTransferEncoding, httpdecode.AnomalyResync},
	},
	{
		name: "bad_chunk_size",
		steps: []step{C(1, "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n"),
			S(2, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")},
		want: []string{
			"#0 GET /a HTTP/1.1 none body=0 complete => 200 HTTP/1.1 chunked body=0 incomplete [http_bad_chunk_size]",
			"#1 pipelined GET /b HTTP/1.1 none body=0 complete => 200 HTTP/1.1 content_length body=2 complete [http_resync]",
		},
		anomalies: []string{httpdecode.AnomalyBadChunkSize, httpdecode.AnomalyResync},
		check: func(t *testing.T, r *recorder) {
			if sk := resp(r, 1).ResyncSkipped; sk != 16 {
				t.Errorf("ResyncSkipped %d, want 16", sk)
			}
		},
	},
	{
		// chunk_size_overflow: 16 hex digits exceed the 15 accepted.
		name:      "chunk_size_overflow",
		steps:     []step{C(1, getA), S(2, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000a\r\nxx"), SE(3)},
		want:      []string{"#0 GET /a HTTP/1.1 none body=0 complete => 200 HTTP/1.1 chunked body=0 incomplete [http_bad_chunk_size]"},
		anomalies: []string{httpdecode.AnomalyBadChunkSize, httpdecode.AnomalyResync},
	},
	{
		// RFC 9112 §5.2: obs-fold is replaced by a space.
		name:      "obs_fold",
		steps:     []step{C(1, "GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive,\r\n Upgrade\r\n\t \r\nUpgrade: h2c\r\n\r\n"), S(2, okEmpty)},
		want:      []string{"#0 GET / HTTP/1.1 none body=0 complete [http_obs_fold] => 200 HTTP/1.1 content_length body=0 complete"},
		anomalies: []string{httpdecode.AnomalyObsFold, httpdecode.AnomalyObsFold},
		check: func(t *testing.T, r *recorder) {
			if q := req(r, 0); q.Connection != "keep-alive, Upgrade" || !reflect.DeepEqual(q.ConnectionTokens, []string{"keep-alive", "upgrade"}) || q.HeaderCount != 3 {
				t.Errorf("folded Connection %q tokens %q count %d", q.Connection, q.ConnectionTokens, q.HeaderCount)
			}
		},
	},
	{
		// RFC 9112 §5.1: no whitespace between field name and colon.
		name:      "space_before_colon",
		steps:     []step{C(1, "GET / HTTP/1.1\r\nHost : x\r\n\r\n"), S(2, okEmpty)},
		want:      []string{"#0 GET / HTTP/1.1 none body=0 complete [http_space_before_colon] => 200 HTTP/1.1 content_length body=0 complete"},
		anomalies: []string{httpdecode.AnomalySpaceBeforeColon},
		check: func(t *testing.T, r *recorder) {
			if h := req(r, 0).Host; h != "x" {
				t.Errorf("Host %q", h)
			}
		},
	},
	{
		name:      "bad_header_line",
		steps:     []step{C(1, "GET / HTTP/1.1\r\nno colon here\r\nHost: x\r\n\r\n"), S(2, okEmpty)},
		want:      []string{"#0 GET / HTTP/1.1 none body=0 complete [http_bad_header_line] => 200 HTTP/1.1 content_length body=0 complete"},
		anomalies: []string{httpdecode.AnomalyBadHeaderLine},
	},
	{
		// RFC 9112 §2.2: a bare LF line terminator is accepted.
		name:      "bare_lf",
		steps:     []step{C(1, "GET /lf HTTP/1.1\nHost: x\n\n"), S(2, "HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n3\nabc\n0\n\n")},
		want:      []string{"#0 GET /lf HTTP/1.1 none body=0 complete [http_bare_lf] => 200 HTTP/1.1 chunked body=3 complete [http_bare_lf]"},
		anomalies: []string{httpdecode.AnomalyBareLF, httpdecode.AnomalyBareLF},
	},
	{
		name:      "space_in_target",
		steps:     []step{C(1, "GET /a b HTTP/1.1\r\n\r\n"), S(2, okEmpty)},
		want:      []string{"#0 GET /a b HTTP/1.1 none body=0 complete [http_space_in_target] => 200 HTTP/1.1 content_length body=0 complete"},
		anomalies: []string{httpdecode.AnomalySpaceInTarget},
	},
	{
		name:      "response_without_request",
		steps:     []step{S(1, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), C(2, "GET /next HTTP/1.1\r\n\r\n")},
		want:      []string{"#0 - => 200 HTTP/1.1 content_length body=2 complete [http_response_without_request]", "#1 GET /next HTTP/1.1 none body=0 complete => -"},
		anomalies: []string{httpdecode.AnomalyResponseWithoutRequest},
	},
	{
		// A capture gap inside a body is not a truncation (Zeek's
		// content_gap).
		name: "gap_inside_body",
		steps: []step{C(1, "GET / HTTP/1.1\r\n\r\n"), S(2, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab"), SG(3, 5), S(4, "cde"),
			C(5, "GET /2 HTTP/1.1\r\n\r\n"), S(6, "HTTP/1.1 204 No Content\r\n\r\n")},
		want: []string{
			"#0 GET / HTTP/1.1 none body=0 complete => 200 HTTP/1.1 content_length body=5 complete gap=5",
			"#1 GET /2 HTTP/1.1 none body=0 complete => 204 HTTP/1.1 none body=0 complete",
		},
	},
	{
		name:  "gap_inside_chunk_data",
		steps: []step{C(1, getA), S(2, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhe"), SG(3, 3), S(4, "\r\n0\r\n\r\n")},
		want:  []string{"#0 GET /a HTTP/1.1 none body=0 complete => 200 HTTP/1.1 chunked body=2 complete gap=3"},
	},
	{
		name: "gap_inside_chunk_framing",
		steps: []step{C(1, "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n"), S(2, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r"),
			SG(3, 1), S(4, "0\r\n\r\n"+okEmpty)},
		want: []string{
			"#0 GET /a HTTP/1.1 none body=0 complete => 200 HTTP/1.1 chunked body=5 incomplete",
			"#1 pipelined GET /b HTTP/1.1 none body=0 complete => 200 HTTP/1.1 content_length body=0 complete [http_resync]",
		},
		anomalies: []string{httpdecode.AnomalyResync},
	},
	{
		name: "gap_inside_head_resync",
		steps: []step{C(1, "GET / HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n"), S(2, "HTTP/1.1 200 OK\r\nContent-Le"), SG(3, 20),
			S(4, "ngth: 0\r\n\r\n"+okEmpty)},
		want: []string{
			"#0 GET / HTTP/1.1 none body=0 complete => 200 HTTP/1.1 content_length body=0 complete [http_resync]",
			"#1 pipelined GET /2 HTTP/1.1 none body=0 complete => -",
		},
		anomalies: []string{httpdecode.AnomalyResync},
		check: func(t *testing.T, r *recorder) {
			if sk := resp(r, 0).ResyncSkipped; sk != 38 {
				t.Errorf("ResyncSkipped %d, want 38", sk)
			}
		},
	},
	{
		// A client that waits for each response: the response to /b is
		// lost in a capture gap, so the next one answers /c, the newest
		// request sent before it (FIFO would give it to /b, and /c would
		// look pipelined behind a response that never comes).
		name: "sequential_response_lost_in_gap",
		steps: []step{C(1, getA), S(2, okEmpty), C(3, "GET /b HTTP/1.1\r\n\r\n"), SG(4, 40),
			C(5, "GET /c HTTP/1.1\r\n\r\n"), S(6, okEmpty), C(7, "GET /d HTTP/1.1\r\n\r\n"), S(8, okEmpty)},
		want: []string{
			"#0 GET /a HTTP/1.1 none body=0 complete => 200 HTTP/1.1 content_length body=0 complete",
			"#1 GET /b HTTP/1.1 none body=0 complete [http_response_lost] => -",
			"#2 GET /c HTTP/1.1 none body=0 complete => 200 HTTP/1.1 content_length body=0 complete [http_resync]",
			"#3 GET /d HTTP/1.1 none body=0 complete => 200 HTTP/1.1 content_length body=0 complete",
		},
		anomalies: []string{httpdecode.AnomalyResync, httpdecode.AnomalyResponseLost},
	},
	{
		// Two responses lost: /b and /c are given up, and /d, sent after
		// them, is not pipelined.
		name: "sequential_two_responses_lost",
		steps: []step{C(1, getA), S(2, okEmpty), C(3, "GET /b HTTP/1.1\r\n\r\n"), C(5, "GET /c HTTP/1.1\r\n\r\n"),
			C(7, "GET /d HTTP/1.1\r\n\r\n"), SG(8, 80), S(8, okEmpty)},
		want: []string{
			"#0 GET /a HTTP/1.1 none body=0 complete => 200 HTTP/1.1 content_length body=0 complete",
			"#1 GET /b HTTP/1.1 none body=0 complete [http_response_lost] => -",
			"#2 GET /c HTTP/1.1 none body=0 complete [http_response_lost] => -",
			"#3 GET /d HTTP/1.1 none body=0 complete => 200 HTTP/1.1 content_length body=0 complete [http_resync]",
		},
		anomalies: []string{httpdecode.AnomalyResync, httpdecode.AnomalyResponseLost, httpdecode.AnomalyResponseLost},
	},
	{
		// The client pipelined where nothing was lost (/b completed after
		// /c was sent), so after the gap pairing stays FIFO.
		name: "pipelining_client_keeps_fifo",
		steps: []step{C(1, getA), S(2, okEmpty), C(3, "GET /b HTTP/1.1\r\n\r\n"), C(4, "GET /c HTTP/1.1\r\n\r\n"),
			S(5, okEmpty), C(6, "GET /d HTTP/1.1\r\n\r\n"), SG(7, 38), S(8, okEmpty)},
		want: []string{
			"#0 GET /a HTTP/1.1 none body=0 complete => 200 HTTP/1.1 content_length body=0 complete",
			"#1 GET /b HTTP/1.1 none body=0 complete => 200 HTTP/1.1 content_length body=0 complete",
			"#2 pipelined GET /c HTTP/1.1 none body=0 complete => 200 HTTP/1.1 content_length body=0 complete [http_resync]",
			"#3 pipelined GET /d HTTP/1.1 none body=0 complete => -",
		},
		anomalies: []string{httpdecode.AnomalyResync},
	},
	{
		// The end of /a's body is lost, and /b came after the last byte
		// of it that was seen: that /b was sent before the rest is not
		// known, so it is not called pipelined.
		name: "tail_lost_before_next_request",
		steps: []step{C(1, getA), S(2, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello"), C(3, "GET /b HTTP/1.1\r\n\r\n"),
			SG(4, 5), S(5, okEmpty)},
		want: []string{
			"#0 GET /a HTTP/1.1 none body=0 complete => 200 HTTP/1.1 content_length body=5 complete gap=5",
			"#1 GET /b HTTP/1.1 none body=0 complete => 200 HTTP/1.1 content_length body=0 complete",
		},
		check: func(t *testing.T, r *recorder) {
			if end := resp(r, 0).End; end != 2 {
				t.Errorf("End of the response whose tail was lost = %d, want 2 (its last byte seen)", end)
			}
		},
	},
	{
		// /b was sent while /a's body was still arriving: pipelined, even
		// though the end of that body was lost.
		name: "tail_lost_after_next_request",
		steps: []step{C(1, getA), S(2, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhel"), C(3, "GET /b HTTP/1.1\r\n\r\n"),
			S(4, "lo"), SG(5, 5), S(6, okEmpty)},
		want: []string{
			"#0 GET /a HTTP/1.1 none body=0 complete => 200 HTTP/1.1 content_length body=5 complete gap=5",
			"#1 pipelined GET /b HTTP/1.1 none body=0 complete => 200 HTTP/1.1 content_length body=0 complete",
		},
	},
	{
		name: "header_too_large",
		lim:  httpdecode.Limits{MaxHeaderBytes: 128},
		steps: []step{C(1, "GET /big HTTP/1.1\r\n"+strings.Repeat("X-Filler-1: aaaaaaaaaaaaaaaaaaaa\r\n", 8)+"\r\nGET /ok HTTP/1.1\r\nHost: x\r\n\r\n"),
			S(2, okEmpty)},
		want:      []string{"#0 GET /ok HTTP/1.1 none body=0 complete [http_header_too_large,http_resync] => 200 HTTP/1.1 content_length body=0 complete"},
		anomalies: []string{httpdecode.AnomalyHeaderTooLarge, httpdecode.AnomalyResync},
	},
	{
		name:      "line_too_long",
		lim:       httpdecode.Limits{MaxLineBytes: 64},
		steps:     []step{C(1, "GET /"+strings.Repeat("a", 100)+" HTTP/1.1\r\nHost: x\r\n\r\nGET /ok HTTP/1.1\r\n\r\n"), S(2, okEmpty)},
		want:      []string{"#0 GET /ok HTTP/1.1 none body=0 complete [http_line_too_long,http_resync] => 200 HTTP/1.1 content_length body=0 complete"},
		anomalies: []string{httpdecode.AnomalyLineTooLong, httpdecode.AnomalyResync},
	},
	{
		name:      "too_many_headers",
		lim:       httpdecode.Limits{MaxHeaders: 4},
		steps:     []step{C(1, "GET /many HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\n\r\nGET /ok HTTP/1.1\r\n\r\n"), S(2, okEmpty)},
		want:      []string{"#0 GET /ok HTTP/1.1 none body=0 complete [http_too_many_headers,http_resync] => 200 HTTP/1.1 content_length body=0 complete"},
		anomalies: []string{httpdecode.AnomalyResync, httpdecode.AnomalyTooManyHeaders},
	},
	{
		// RFC 9112 §2.3: only HTTP/1.x is parsed here.
		name:      "bad_request_line",
		steps:     []step{C(1, "GET /x HTTP/2.0\r\n\r\nGET /ok HTTP/1.1\r\n\r\n"), S(2, okEmpty)},
		want:      []string{"#0 GET /ok HTTP/1.1 none body=0 complete [http_bad_request_line,http_resync] => 200 HTTP/1.1 content_length body=0 complete"},
		anomalies: []string{httpdecode.AnomalyBadRequestLine, httpdecode.AnomalyResync},
		check: func(t *testing.T, r *recorder) {
			if sk := req(r, 0).ResyncSkipped; sk != 19 {
				t.Errorf("ResyncSkipped %d, want 19", sk)
			}
		},
	},
	{
		name:      "bad_status_line",
		steps:     []step{C(1, "GET / HTTP/1.1\r\n\r\n"), S(2, "HTTP/1.1 2xx OK\r\n\r\n"+okEmpty)},
		want:      []string{"#0 GET / HTTP/1.1 none body=0 complete => 200 HTTP/1.1 content_length body=0 complete [http_bad_status_line,http_resync]"},
		anomalies: []string{httpdecode.AnomalyBadStatusLine, httpdecode.AnomalyResync},
	},
	{
		name: "data_after_close_delimited",
		steps: []step{C(1, "GET /a HTTP/1.1\r\n\r\n"), S(2, "HTTP/1.1 200 OK\r\n\r\npartial"), C(3, "GET /b HTTP/1.1\r\n\r\n"),
			S(4, "rest"), SE(5)},
		want: []string{
			"#0 GET /a HTTP/1.1 none body=0 complete => 200 HTTP/1.1 close_delimited body=11 complete",
			"#1 pipelined GET /b HTTP/1.1 none body=0 complete [http_data_after_close_delimited] => -",
		},
		anomalies: []string{httpdecode.AnomalyDataAfterCloseDelimited},
	},
	{
		name:  "excessive_pipelining",
		lim:   httpdecode.Limits{MaxPending: 2},
		steps: []step{C(1, "GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\nGET /3 HTTP/1.1\r\n\r\n"), S(2, okEmpty)},
		want: []string{
			"#0 GET /1 HTTP/1.1 none body=0 complete => -",
			"#1 pipelined GET /2 HTTP/1.1 none body=0 complete => 200 HTTP/1.1 content_length body=0 complete",
			"#2 pipelined GET /3 HTTP/1.1 none body=0 complete [http_excessive_pipelining] => -",
		},
		anomalies: []string{httpdecode.AnomalyExcessivePipelining},
	},
	{
		name:    "not_http_tls",
		steps:   []step{C(1, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"), S(2, "\x16\x03\x03\x00\x5a\x02"), CE(3), SE(4)},
		notHTTP: true,
	},
	{
		name:    "not_http_server_speaks_first",
		steps:   []step{S(1, "220 smtp.example.com ESMTP\r\n"), C(2, "EHLO me\r\n"), S(3, "250 ok\r\n")},
		notHTTP: true,
	},
	{
		name:    "not_http_h2_prior_knowledge",
		steps:   []step{C(1, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), S(2, "\x00\x00\x00\x04\x00\x00\x00\x00\x00")},
		notHTTP: true,
	},
}

func TestConnTable(t *testing.T) {
	for _, tc := range connCases {
		t.Run(tc.name, func(t *testing.T) {
			r, c := run(tc.steps, tc.lim, whole)
			var got []string
			for _, e := range r.ex {
				got = append(got, exSum(e))
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("exchanges:\n got %q\nwant %q", got, tc.want)
			}
			for i, e := range r.ex {
				if e.Index != i {
					t.Errorf("exchange %d has Index %d", i, e.Index)
				}
			}
			if a := sorted(r.anomalies); !reflect.DeepEqual(a, sorted(tc.anomalies)) && len(a)+len(tc.anomalies) > 0 {
				t.Errorf("anomalies %q, want %q", a, sorted(tc.anomalies))
			}
			if !reflect.DeepEqual(r.upgraded, tc.upgraded) {
				t.Errorf("upgraded %q, want %q", r.upgraded, tc.upgraded)
			}
			if string(r.tunnel[0]) != tc.tunnel[0] || string(r.tunnel[1]) != tc.tunnel[1] {
				t.Errorf("tunnel %q %q, want %q %q", r.tunnel[0], r.tunnel[1], tc.tunnel[0], tc.tunnel[1])
			}
			if c.IsHTTP() == tc.notHTTP {
				t.Errorf("IsHTTP %v, want %v", c.IsHTTP(), !tc.notHTTP)
			}
			if tc.check != nil && len(r.ex) == len(tc.want) {
				tc.check(t, r)
			}
		})
	}
}

// TestConnSplitInvariance feeds every table input whole, byte by byte and
// split at every offset: all must give identical results.
func TestConnSplitInvariance(t *testing.T) {
	for _, tc := range connCases {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := run(tc.steps, tc.lim, whole)
			want := dump(r)
			rb, _ := run(tc.steps, tc.lim, byteByByte)
			if got := dump(rb); got != want {
				t.Fatalf("byte by byte differs:\n got %s\nwant %s", got, want)
			}
			longest := 0
			for _, s := range tc.steps {
				longest = max(longest, len(s.data))
			}
			for k := 1; k < longest; k++ {
				rs, _ := run(tc.steps, tc.lim, splitAt(k))
				if got := dump(rs); got != want {
					t.Fatalf("split at %d differs:\n got %s\nwant %s", k, got, want)
				}
			}
		})
	}
}

func TestConnHelpers(t *testing.T) {
	r := &recorder{}
	c := httpdecode.NewConn(r, httpdecode.Limits{})
	if c.IsHTTP() || c.Version() != "" {
		t.Fatalf("fresh conn: IsHTTP %v Version %q", c.IsHTTP(), c.Version())
	}
	c.Feed(httpdecode.ClientToServer, 1, []byte("GET / HTTP/1.0\r\n\r\nGET /2 HTTP/1.0\r\n\r\n"))
	if !c.IsHTTP() || c.Version() != "HTTP/1.0" || c.Pending() != 2 {
		t.Errorf("after requests: IsHTTP %v Version %q Pending %d", c.IsHTTP(), c.Version(), c.Pending())
	}
	c.Feed(httpdecode.ServerToClient, 2, []byte("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
	if c.Version() != "HTTP/1.1" || c.Pending() != 1 || len(r.ex) != 1 {
		t.Errorf("after response: Version %q Pending %d exchanges %d", c.Version(), c.Pending(), len(r.ex))
	}
	st := c.Stats()
	if st[0].Messages != 2 || st[1].Messages != 1 || st[0].Bytes != 37 {
		t.Errorf("stats %+v", st)
	}
	c.Close(3)
	if len(r.ex) != 2 || r.ex[1].Response != nil {
		t.Errorf("close did not flush the unanswered request: %d exchanges", len(r.ex))
	}
	c.Feed(httpdecode.ClientToServer, 4, []byte("GET / HTTP/1.1\r\n\r\n"))
	if len(r.ex) != 2 {
		t.Errorf("feed after Close produced exchanges")
	}
}

func TestLooksLike(t *testing.T) {
	cases := []struct {
		in        string
		req, resp bool
	}{
		{"GET / HTTP/1.1\r\n", true, false},
		{"\r\nOPTIONS * HTTP/1.1", true, false},
		{"MKCALENDAR /c HTTP/1.1", true, false},
		{"GET", false, false},
		{"get / HTTP/1.1", false, false},
		{"PRI * HTTP/2.0", false, false},
		{"HTTP/1.1 200 OK", false, true},
		{"HTTP/1.", false, true},
		{"HTTP/2 200", false, false},
		{"\x16\x03\x01", false, false},
	}
	for _, c := range cases {
		t.Run(strings.ReplaceAll(c.in, "\r\n", "_"), func(t *testing.T) {
			if got := httpdecode.LooksLikeRequest([]byte(c.in)); got != c.req {
				t.Errorf("LooksLikeRequest = %v", got)
			}
			if got := httpdecode.LooksLikeResponse([]byte(c.in)); got != c.resp {
				t.Errorf("LooksLikeResponse = %v", got)
			}
		})
	}
}

func TestAnomalyTokens(t *testing.T) {
	list := httpdecode.Anomalies()
	seen := map[string]bool{}
	for i, tok := range list {
		if !strings.HasPrefix(tok, "http_") || strings.ToLower(tok) != tok || strings.ContainsAny(tok, " -") {
			t.Errorf("token %q is not snake_case with the http_ prefix", tok)
		}
		if seen[tok] {
			t.Errorf("token %q listed twice", tok)
		}
		seen[tok] = true
		if i > 0 && list[i-1] >= tok {
			t.Errorf("Anomalies() not sorted at %q", tok)
		}
	}
}
