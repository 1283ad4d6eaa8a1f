// Package upgrade reports HTTP/1.1 connections that switched to another
// protocol: WebSocket (RFC 6455) and cleartext HTTP/2 by `Upgrade: h2c`.
//
// Rules (detection-methods §4.1, §4.2), judged in Finish from the report's
// connection records filled by the protocol decoders:
//
//   - http_websocket_upgrade: the connection carries a WebSocket session
//     (connections[].websocket). Info; warning when Sec-WebSocket-Accept
//     does not match the key (handshake_valid false, §4.2.2) or frames broke
//     the masking rule (client frames masked, server frames not, §5.3).
//     Evidence: messages per direction, pings, pongs, pong_rtt_us, close
//     code and initiator, handshake_valid, masking_violations,
//     abnormal_close (TCP ended with no close frame: 1006 semantics, §7.1.5)
//     and tcp_closed_first_by (§7.1.1: the server should close TCP first).
//   - http_h2c_upgrade: a request offered `Upgrade: h2c`. Info. RFC 9113
//     §3.1 deprecates the mechanism; accepted says whether the server
//     answered 101 and spoke HTTP/2 (connections[].h2.mode "upgrade").
//
// It also adds the decoders' per-connection anomaly tokens (prefixes ws_,
// h2_, tls_) to the capture's anomaly totals.
//
// Events: none (Finish only). Configuration: none. Concurrency: one
// goroutine. Buffer ownership: reads the report, keeps nothing. Limits: at
// most two findings per connection.
package upgrade
