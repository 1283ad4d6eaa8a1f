// Package timewait judges TIME_WAIT accumulation and ephemeral-port
// pressure per (client host, server endpoint) pair.
//
// Background (detection-methods §2.6): the side that sends the first FIN
// holds the 4-tuple in TIME_WAIT for T_tw (2·MSL, RFC 9293 §3.6; Linux 60 s,
// Windows 120–240 s). While the client holds it, that source port cannot be
// used again towards the same server endpoint, so one pair can sustain at
// most ports ÷ T_tw new connections per second: ≈ 470/s with Linux's
// default 32768–60999 and 60 s, ≈ 136/s with 49152–65535 and 120 s, ≈ 537/s
// with 1024–65535 and 120 s.
//
// Inputs and assumptions: analysis.Config.TimeWait (T_tw, default 60 s) and
// PortRangeLo/Hi (default 32768–60999). When the client reused source ports
// (more connections than distinct ports) and used fewer distinct ports than
// the configured range holds, the observed distinct ports are the range
// (range_source "observed"): the client never left a smaller range.
//
// Findings (one per pair and kind, Peer "client -> server"):
//
//   - tcp_time_wait_churn: new connections whose client held TIME_WAIT,
//     at the busiest Config.RateWindow (10 s) rate (over the whole span
//     when shorter, 1 s floor), times T_tw, reach Config.WarnFraction (50 %)
//     of the range → warning; Config.ErrorFraction (90 %) → error. At
//     least Config.MinConnections such connections are required.
//   - tcp_time_wait_reuse: a SYN reused a 4-tuple whose previous incarnation
//     closed gracefully (someone held TIME_WAIT) less than T_tw earlier
//     (Wireshark "TCP port numbers reused"). Evidence count, the smallest
//     interval, which side held TIME_WAIT. Warning.
//   - tcp_port_exhaustion_risk: the client held TIME_WAIT on at least
//     WarnFraction of the range at one instant (error at ErrorFraction);
//     a TIME_WAIT interval ends after T_tw or when its port is reused.
//
// Server-held TIME_WAIT consumes no client port; it is counted in the
// evidence only. The peer table rows gain time_wait_peak and
// time_wait_reuse.
//
// Events: ConnClosed. Output: findings and the two report.Peer fields.
// Configuration: analysis.Config and Config (New). Concurrency: one
// goroutine (Prepare, the judging, may run beside other analysers'; see
// analysis.Preparer). Buffer ownership: nothing from an event is retained.
// Limits: at most analysis.Config.MaxPeers pairs (others are counted in the
// "analysis_timewait_peer_limit" anomaly); each keeps a packed row of five
// numbers per connection (analysis.History; its full pages in
// analysis.Config.Pages when set) until Finish, judged in one
// pass in order of start that keeps the last connection per port and the
// client-held TIME_WAIT intervals not over yet.
package timewait
