// Package parallel flags client hosts that keep more TCP connections open
// at once to one server endpoint than the HTTP/1.1 browser norm.
//
// What it measures: nothing itself. In Finish it reads the peer table the
// peers analyser wrote (report.Peers: max_parallel is the most connections
// between one client host and one server endpoint open at one instant, by a
// sweep over [first packet, close]) and the connection records (to count
// connections that never carried a byte from the client, such as
// speculative pre-connects).
//
// Events: none; it must run after the peers analyser.
//
// Finding: tcp_parallel_connections (warning), one per peer whose
// max_parallel exceeds Config.MaxParallel (default 6: Chromium, Firefox and
// Apple's URLSession open at most 6 HTTP/1.1 connections per host;
// detection-methods §3.3). Evidence: max_parallel, connections, limit,
// requests, peak_connections_per_s, unused_connections.
//
// Configuration: Config.MaxParallel. Concurrency: one goroutine. Buffer
// ownership: reads the report only. Limits: one pass over peers and
// connections.
package parallel
