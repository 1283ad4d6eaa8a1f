// Package pipelining detects HTTP/1.1 pipelining on a connection, requests
// pipelined around non-idempotent methods, and responses held behind a slow
// earlier response (head-of-line blocking).
//
// What it measures, per connection, from the FIFO-paired exchanges:
//
//   - Pipelined: request i started before response i−1 had fully arrived.
//     The parser's flag is exact at a client vantage. Elsewhere the client
//     could not have reacted to the end of response i−1 before
//     t_resp_end(i−1) + r_C at the capture point, so a request seen earlier
//     than t_resp_end(i−1) + r_C·(1−Tau) is pipelined too
//     (detection-methods §3.4; r_C is the handshake's client half). The
//     correction is applied only when the connection's vantage is "server"
//     or "middle" (on sub-2-ms round trips it is noise). Depth is the number
//     of requests outstanding when a request was sent, itself included.
//   - Server think time of response k: t_resp_start(k) −
//     max(t_req_end(k) + r_S, t_resp_end(k−1)), where r_S is the
//     handshake's server half (a request seen at the capture point reaches
//     the server r_S/2 later; the response left it r_S/2 earlier).
//
// Capture gaps: the pairing is the parser's (httpdecode.Conn). After server
// bytes were lost, a client that was not seen pipelining is taken to wait
// for each response, so a response lost in the gap does not shift every
// later pair and make each request look pipelined; a response whose last
// bytes were lost ends at its last byte seen, so a request after that byte
// is not called pipelined on the strength of bytes nobody saw.
//
// Events: ConnOpened, Exchange, ConnClosed. Findings are built when the
// connection closes (its exchanges arrive before the close).
//
// Findings:
//
//   - http_pipelined (info): one per connection with pipelined requests;
//     evidence pipelined_requests, requests, depth_max, vantage_corrected
//     (requests found only by the r_C correction), client_half_us.
//   - http_pipelined_non_idempotent (warning): a non-idempotent request
//     (RFC 9110 §9.2.2: any method but GET, HEAD, OPTIONS, TRACE, PUT,
//     DELETE) sent pipelined, or any request sent after a non-idempotent one
//     before that one's final status line arrived (RFC 9112 §9.3.2; with
//     the same r_C correction). One per connection; evidence
//     non_idempotent_method, first_method, reason.
//   - http_head_of_line_blocking (warning): request i+1 was pipelined and
//     already at the server when response i started (t_req_end(i+1) + r_S ≤
//     t_resp_start(i)), response i's think time was ≥ MinBlockingWait
//     (100 ms) and ≥ BlockingRatio (5) × response i+1's own think time
//     (t_resp_start(i+1) − max(t_resp_end(i), t_req_end(i+1) + r_S)), and
//     response i was complete. Blocked time = t_resp_end(i) −
//     (t_req_end(i+1) + r_S). One per connection with count and the
//     total and worst blocked time. The rule is conservative: a server that
//     processes pipelined requests one at a time is indistinguishable from
//     one that blocks on order, and both cost the client the same.
//
// Configuration: Options (Tau, MinBlockingWait, BlockingRatio), defaults
// from DefaultOptions. Concurrency: one goroutine. Buffer ownership: copies
// only times, indexes and method names. Limits: per open connection a few
// counters plus one entry per outstanding response (bounded by the parser's
// pipelining limit).
package pipelining
