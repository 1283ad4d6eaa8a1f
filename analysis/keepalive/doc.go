// Package keepalive judges HTTP/1.x connection persistence: connections
// that carried one request because a side disabled keep-alive, requests
// lost when the server closed an idle keep-alive connection, non-idempotent
// requests re-sent after such a failure, and keep-alive connections on which
// a request hung (the HTTP/1.0 "dumb proxy" problem).
//
// What it measures, per connection: the persistence decision of each
// exchange (RFC 9112 §9.3: HTTP/1.1 persists unless either side sends
// "Connection: close"; HTTP/1.0 only when the request asks for keep-alive
// and the response echoes it), the first unanswered request with the
// answered exchange before it, and the FIN and RST times of both sides.
// Per peer: failed requests and recent requests, to pair a failure with its
// retry.
//
// Events: Exchange and ConnClosed (a connection's exchanges arrive before
// its close, so each connection is judged when it closes).
//
// Findings (rules and thresholds in detail in Kinds):
//
//   - http_keepalive_disabled (info for one connection, warning for more):
//     a connection carried one exchange because the client or the server
//     disabled persistence; one per peer, side (disabled_by) and reason.
//     A server closing after an error response (status ≥ 400) is not
//     reported.
//   - http_idle_close_race (warning): the next request on an idle
//     persistent connection got no response and the server's FIN or RST
//     reached the capture point between RaceLead (1 s) before the request
//     and the server half RTT + RaceSlack (2 ms) after it
//     (detection-methods §3.2 keepalive_race).
//   - http_non_idempotent_retry (warning): a non-idempotent request without
//     response on a connection that ended was repeated (same method and
//     target) on a connection opened after it, within RetryWindow (1 s) of
//     the failure (RFC 9110 §9.2.2, RFC 9112 §9.3.1).
//   - http_keepalive_hang (error): after an answered persistent exchange the
//     next request got no response byte for HangTimeout (5 s) and the
//     connection then ended with FIN or RST (detection-methods §3.5).
//
// Configuration: Options (RaceLead, RaceSlack, RetryWindow, HangTimeout),
// defaults from DefaultOptions. Concurrency: one goroutine. Buffer
// ownership: copies the strings and times it keeps. Limits: per open
// connection a few summaries and at most 8 unanswered requests; per peer at
// most MaxFailedPerPeer failed and RecentPerPeer recent requests, for at
// most Config.MaxPeers peers (more are counted in the capture anomaly
// "analysis_keepalive_peer_limit"). Failed requests are also kept until
// Finish to report retries; there is at most one per unanswered request.
package keepalive
