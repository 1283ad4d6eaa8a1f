// Package reset reports how TCP connection setup failed or a connection was
// aborted: SYN retries, refused connections and resets.
//
// Rules (detection-methods §1.1, §2.5), all from the ConnClosed event:
//
//   - tcp_syn_retry: the client re-sent its SYN (same ISN) at least once
//     (ConnClosed.SYNRetries > 0). Evidence syn_retries, connect_delay_us
//     (first packet to the last SYN: the time the retries cost), whether the
//     handshake then completed or was refused. Warning (each retry costs the
//     SYN timeout: 1 s, then 2 s, 4 s…).
//   - tcp_connection_refused: the server answered the SYN with a RST
//     (ConnClosed.Refused; Zeek "REJ"). Warning: the client's connect failed
//     (nothing listens on the port, or a firewall rejects). Evidence
//     syn_retries, rst_after_us (SYN → RST).
//   - tcp_reset: a connection ended by a RST that did not answer a SYN.
//     Evidence rst_by (client or server, the first RST), phase (handshake,
//     data, after_fin) and class: rst_unread_data (the RST sender had
//     received data it had not read — Linux resets instead of closing, RFC
//     2525 §2.17, the "TCP reset problem" of RFC 9112 §9.6: the peer may
//     lose response data) → warning; rst_after_fin (abortive close after the
//     sender's own FIN or the finished exchange, e.g. SO_LINGER 0) → info;
//     rst_handshake (an attempt abandoned during the handshake) → info;
//     rst_midstream (no FIN: the peer sees "connection reset by peer") →
//     warning.
//
// Events: ConnClosed. Configuration: none. Concurrency: one goroutine.
// Buffer ownership: nothing from an event is retained. Limits: findings are
// held until Finish (at most three per connection).
package reset
