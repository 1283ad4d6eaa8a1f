// Package hopbyhop checks the connection-management header fields of
// HTTP/1.x messages against RFC 9110 §7.6.1 (Connection), RFC 9112 §9.3 and
// Appendix C.2.2 (Keep-Alive, Proxy-Connection).
//
// What it measures: for every request and response, the Connection options,
// Keep-Alive, Proxy-Connection, TE, Upgrade and Via fields as sent.
//
// Events: Exchange.
//
// Finding: http_hop_by_hop_violation, one per (peer, issue, field,
// direction) with count = messages, the first message's connection and
// exchange when all occurrences share them, and evidence field, value,
// issue, direction. Issues (severity):
//
//   - end_to_end_in_connection (warning): a Connection option names a field
//     meant for every recipient (Host, Content-Length, Content-Type,
//     Authorization, Cache-Control, Cookie, ...; see EndToEnd); an
//     intermediary must remove the named field, so the message breaks or
//     loses its credentials at the first proxy.
//   - proxy_connection_to_origin (warning): Proxy-Connection in an
//     origin-form request (target "/..." or "*"), i.e. sent to an origin
//     server; it is a non-standard legacy field that clients should not
//     send (RFC 9112 App. C.2.2 and its predecessor RFC 7230 App. A.1.2).
//   - keep_alive_not_in_connection (warning): a Keep-Alive field on an
//     HTTP/1.1 exchange without the keep-alive Connection option, so a
//     proxy forwards it as if it were end-to-end.
//   - keep_alive_on_http11 (info): a Keep-Alive field on an HTTP/1.1
//     exchange (request HTTP/1.1) listed in Connection: legal, but
//     meaningless in HTTP/1.1 (persistence is the default).
//   - forwarded_hop_by_hop (warning): a message that crossed an intermediary
//     (it has Via) still carries Proxy-Connection or Keep-Alive not listed
//     in Connection.
//   - te_not_in_connection (info), upgrade_not_in_connection (warning): a
//     request with TE or Upgrade but without the matching Connection option
//     (RFC 9110 §10.1.4, §7.8); intermediaries drop or forward them
//     inconsistently.
//
// Configuration: none. Concurrency: one goroutine. Buffer ownership: keeps
// copies of the first value of each site. Limits: sites are kept for at
// most Config.MaxPeers peers (more are counted in the capture anomaly
// "analysis_hopbyhop_peer_limit"); per peer at most a few dozen sites
// (issues × fields in EndToEnd × 2 directions).
package hopbyhop
