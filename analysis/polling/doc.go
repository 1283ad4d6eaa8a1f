// Package polling recognises three ways clients wait for news over
// HTTP/1.x (detection-methods §3.7): periodic polling, long polling and
// streaming responses (Server-Sent Events, endless chunked or
// close-delimited bodies).
//
// Events: ConnOpened (for the connection's handshake RTT) and Exchange.
// Exchanges are grouped by endpoint — client host, server endpoint, Host
// header and request path without its query — and judged in Finish.
//
// Rules (thresholds in Options, defaults below):
//   - http_polling: at least MinPolls (5) requests to one endpoint whose
//     intervals (request start to next request start) have a coefficient
//     of variation below MaxCV (0.2), a mean period of at least MinPeriod
//     (200 ms), short responses (median time to first byte under 1 s) and
//     an idle client between polls (median gap from response end to the
//     next request at least MinIdle, 100 ms: a benchmark sending requests
//     back to back is not polling). Evidence: endpoint, requests,
//     period_ms, cv, unchanged_fraction (304, 204, or the same body length
//     as the previous response), conn_per_poll, ttfb_ms_p50.
//   - http_long_polling: at least MinCycles (3) consecutive exchanges to
//     one endpoint whose time to first byte is at least max(LongHold 5 s,
//     50·RTT) and whose next request starts within NextWithin (1 s) of the
//     previous response's end. Evidence: endpoint, cycles, hold_ms_p50,
//     hold_ms_max, empty_fraction.
//   - http_streaming_response: a response with Content-Type
//     text/event-stream, or a chunked or close-delimited response lasting at
//     least StreamMin (30 s). Evidence: endpoint, type (sse, chunked,
//     close), duration_ms, bytes, content_type.
//
// All three are info findings: they describe a design, not a fault; the
// advice says what it costs. Polling and long-polling findings name the
// peer pair; streaming findings name the connection and transaction.
//
// Concurrency: one goroutine. Buffer ownership: exchanges are copied into
// small records. Limits: at most Config.MaxPeers endpoints are tracked and
// MaxRecords exchanges per endpoint (the capture anomaly
// "analysis_polling_limit" counts each endpoint that reached MaxRecords
// once, and each exchange of an endpoint past the endpoint cap).
package polling
