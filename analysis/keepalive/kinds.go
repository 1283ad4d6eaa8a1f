package keepalive

import (
	"connscope/analysis"
	"connscope/report"
)

// Kinds documents the finding kinds of the analyser.
func Kinds() []analysis.KindDoc {
	return []analysis.KindDoc{
		{
			Kind: KindDisabled, Severity: report.SeverityWarning,
			Title: "keep-alive was turned off, forcing one connection per request",
			Explain: `HTTP/1.1 connections persist by default: after a response the client may send the next request on the same connection, saving a TCP (and TLS) handshake, slow start and a TIME_WAIT entry (RFC 9112 §9.3). Either side turns this off with "Connection: close" (RFC 9112 §9.6). HTTP/1.0 connections persist only when the request says "Connection: keep-alive" and the response echoes it (RFC 9112 App. C.2.2).

Rule: a connection that carried exactly one exchange in which the client sent "Connection: close" (HTTP/1.1) or an HTTP/1.0 request without keep-alive (the client disabled it), or else the server answered with "Connection: close" or an HTTP/1.0 response without keep-alive (the server disabled it). One finding per peer, side and reason with count = connections; evidence disabled_by, reason, the versions and Connection values of the first one. Severity info for one connection, warning for two or more.

Not reported: a Connection: close on the last of several requests (the normal way to end a connection); a server closing after an error response (status 400 or more, often with an unread request body); close-delimited bodies (see http_close_delimited_body); a server closing after its keep-alive request budget.

False positives: a client with only one request to make loses nothing; one-shot tools (curl --http1.0, health checks) look like this.

What to change: the side named in disabled_by — remove "Connection: close", use HTTP/1.1, enable keep-alive on the server (nginx keepalive_timeout, Apache KeepAlive On), and reuse a connection pool in the client.`,
		},
		{
			Kind: KindRace, Severity: report.SeverityWarning,
			Title: "a request was sent on an idle connection just as the server closed it",
			Explain: `Servers close idle keep-alive connections after a timeout (nginx 75 s by default, Apache 5 s). If the client sends a new request on such a connection at the moment the server gives up on it, the request crosses the server's FIN: the server never reads it, answers with RST, and the client sees a failed request (ECONNRESET, "connection reset by peer", "server closed idle connection"). RFC 9112 §9.3.1 lets clients retry idempotent requests in this case.

Rule: on a connection with an answered, persistent exchange, the next request was sent after that response (not pipelined) and got no response; the server's FIN (or RST) reached the capture point between 1 s before the request and the server half round trip + 2 ms after it — that is, the server closed before it could have seen the request (detection-methods §3.2 keepalive_race). Evidence: idle_us (time since the last response), server_close_offset_us (negative: the FIN came first), server_closed_by, advertised_timeout_s (from Keep-Alive: timeout=), retried (whether the same request followed on another connection within 1 s of the failure).

False positives: a server that crashed just as a request arrived looks the same; a FIN that arrived long before the request (more than 1 s) is a client ignoring a closed connection and is not reported here.

What to change: make the client's pool idle timeout shorter than the server's keep-alive timeout (honour Keep-Alive: timeout=), check a pooled connection for a pending FIN before reusing it, and retry idempotent requests on a fresh connection.`,
		},
		{
			Kind: KindRetry, Severity: report.SeverityWarning,
			Title: "a non-idempotent request was automatically re-sent after a connection failure",
			Explain: `When a request gets no response because its connection closed or was reset, the client cannot know whether the server processed it. Repeating an idempotent request (GET, HEAD, OPTIONS, TRACE, PUT, DELETE) is harmless; repeating a POST or PATCH may do the work twice — two orders, two payments. RFC 9110 §9.2.2 and RFC 9112 §9.3.1 say a user agent must not retry a non-idempotent request automatically unless it knows the request is idempotent.

Rule: a request with a non-idempotent method got no response and its connection ended with FIN or RST; the same method and target was sent on another connection, opened after the failed request, within 1 s of the failure. The finding names the retry (its connection and transaction) and the failed one (failed_connection, failed_transaction, failure, after_race).

False positives: an application that deliberately repeats a POST (polling with POST, or a request carrying an idempotency key the server honours) looks the same; a different request to the same URL within the window is indistinguishable.

What to change: disable automatic retries for non-idempotent methods in the client library, or add an idempotency key; avoid the failure in the first place (see http_idle_close_race).`,
		},
		{
			Kind: KindHang, Severity: report.SeverityError,
			Title: "a second request on a keep-alive connection never got a response (dumb-proxy hang)",
			Explain: `HTTP/1.0 proxies that do not understand "Connection: keep-alive" forward it to the server like any header. The server agrees to keep the connection open, the proxy relays the response, and then waits for the server to close — ignoring the client's next request on the same connection, which hangs until a timeout (RFC 2068 §19.7.1; this is why Connection fields are hop-by-hop, RFC 9110 §7.6.1).

Rule (detection-methods §3.5): an exchange on the connection was answered with keep-alive (persistence not disabled by either side), the next request was sent after that response, no response byte arrived for at least 5 s, and the connection then ended (FIN or RST) without a response. Not a hang: an idle-close race (the server's close within its half round trip of the request, see http_idle_close_race), a slow or long-polling endpoint (the previous exchange on the connection itself took 5 s or more), a connection still open when the capture ended. Evidence: waited_us, ended_by, hung_request, first_request_keepalive and response_keepalive (explicit tokens), proxy_suspect (absolute-form targets or Proxy-Connection seen on the connection).

False positives: a server that is simply slower than the client's timeout for that one request; a request that never reached the server because of network loss.

What to change: stop sending Connection: keep-alive through the old proxy (or replace or reconfigure it to strip hop-by-hop fields); use HTTP/1.1 end to end; lower the client's timeout and retry idempotent requests on a new connection.`,
		},
	}
}
