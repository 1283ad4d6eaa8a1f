// Package reuse finds clients that open a new connection for each request
// to a server although an existing connection could have carried it.
//
// What it measures, per (client host, server endpoint) peer: for every
// connection its start (SYN, or first packet), its close (first FIN or
// RST), the requests it carried, its setup time (first request − SYN) and
// whether the client could have kept using it ("reusable": its last
// exchange left it persistent and the client closed it, or the client
// itself disabled persistence — detection-methods §3.1, §3.2
// client_no_reuse).
//
// Rule: a "reopened" connection is one whose SYN was seen, which carried
// exactly one request whose persistence the server did not refuse, and
// which was the next connection of the same peer to open after a reusable
// connection closed, at most ReuseWindow (2 s) later (closes and opens are
// paired in time order, so with several connections in flight each close
// pairs with one new connection). The finding fires when a peer has at least MinReopened
// (2) of them — a chain of three or more single-request connections.
//
// Events: ConnOpened, Exchange, ConnClosed; the peer tables are judged in
// Finish (the order in which connections close does not matter).
//
// Finding: http_connection_not_reused (warning), one per peer, count =
// reopened connections. Evidence: connections, single_request_connections,
// requests, requests_per_connection, reopened, avoidable_setup_us (the sum
// of the reopened connections' setup times), client_disabled_keepalive
// (reopened connections whose request itself disabled persistence).
//
// Not counted: connections whose server refused persistence (Connection:
// close from the server, an HTTP/1.0 answer without keep-alive, a
// close-delimited body) or closed them (idle timeout, request budget) —
// the client had nothing to reuse; connections running in parallel (the
// rule needs a closed predecessor); connections without a seen handshake.
// Known limit: a new connection opened while an idle one to the same
// server was still open is only caught when it also follows a close.
//
// Configuration: Options (ReuseWindow, MinReopened), defaults from
// DefaultOptions. Concurrency: one goroutine (Prepare, the judging, may run
// beside other analysers'; see analysis.Preparer). Buffer ownership: copies
// times and counts. Limits: a packed row of six numbers (analysis.History;
// its full pages in Config.Pages when set) per closed connection of a
// tracked peer until Finish (judged in one pass
// in order of start, holding the closes not yet paired),
// for at most Config.MaxPeers peers (more are counted in the capture
// anomaly "analysis_reuse_peer_limit").
package reuse
