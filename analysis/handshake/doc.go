// Package handshake measures how much of a short HTTP exchange on a fresh
// connection went into setting the connection up, and flags peers where
// setup dominated (detection-methods §3.1).
//
// What it measures, for the first exchange of a connection whose SYN was
// seen:
//
//   - setup = t_req_first − t_SYN (TCP handshake plus client think time;
//     SYN and request travel the same way, so this is vantage-invariant);
//   - total = (t_resp_last − t_SYN) + r_C, the client-perceived duration
//     (r_C = the handshake's client half, section 1.3);
//   - share = setup / total.
//
// Pre-connects: when the request came more than PreconnectRTTs (2) round
// trips after the handshake completed, the connection was opened ahead of
// need and nobody waited for its handshake; it is skipped.
//
// Events: ConnOpened, Exchange, ConnClosed.
//
// Finding: tcp_handshake_dominated, one per peer: share ≥ MinShare (0.45 —
// a one-round-trip exchange on a fresh connection, the case the rule is
// for, has a share just under 0.5),
// the response (head and body as sent) ≤ MaxResponseBytes (64 KiB),
// setup ≥ MinSetup (1 ms: below it the saving is too small to matter and
// the timings are scheduling noise), the response complete, and the
// connection carried only that exchange (a reused connection amortised its
// setup). Severity info for one connection, warning for two or more.
// Evidence: setup_us, total_us and share of the worst connection,
// setup_us_total, connections. A one-round-trip
// exchange on a new connection already has a share near 0.5 (TLS pushes it
// to 0.67–0.75), so a single finding is expected for any one-off request;
// repeated ones mean connection reuse would pay.
//
// Configuration: Options (MinShare, MaxResponseBytes, MinSetup,
// PreconnectRTTs), defaults from DefaultOptions. Concurrency: one
// goroutine. Buffer ownership: copies a few numbers. Limits: one pending
// candidate per open connection; per-peer aggregates for at most
// Config.MaxPeers peers (more are counted in the capture anomaly
// "analysis_handshake_peer_limit").
package handshake
