// Package slowstart infers TCP flights (rounds) from the ACK clock and
// reports transfers that never left slow start and congestion-window
// restarts after idle.
//
// Rounds (detection-methods §2.4): per sending side A, round 0 of a transfer
// is A's new data seen before t_ack0 + r_A·(1−τ), t_ack0 being when the
// first ACK covering the round's first byte was seen and r_A the round trip
// from the capture point to A and back (handshake half, else the smallest
// data→ACK sample); round k+1 starts with the first new data at or after
// that point for round k (τ = Tolerance = 0.2). This works at the sender
// (r_A ≈ 0), the receiver (r_A ≈ RTT, the "slow-start method" of Jiang &
// Dovrolis) and in the middle, and does not depend on packet spacing, so
// paced senders (BBR startup, fq) are handled. A transfer starts with A's
// first data, or with new data after all of A's data was acknowledged and
// A stayed idle longer than its RTO estimate; a shorter pause with the
// pipe drained (more than AppLimitSlack, r_A subtracted) marks the transfer
// application-limited.
//
// Findings (one per connection and direction, count = occurrences):
//
//   - tcp_slow_start_bound (info): on a fresh connection (SYN seen), A's
//     first transfer was fully acknowledged after at least Config.MinRounds
//     (3) rounds, every complete round grew ≥ GrowthFactor (1.5×) and ≥ 2
//     MSS over the previous one, each round followed the releasing ACK
//     within r_A + AppLimitSlack (cwnd-limited), with no retransmission,
//     no application-limited pause and no round reaching 90 % of the
//     receiver's window. Evidence transfer_bytes, rounds, flights, iw_bytes,
//     iw_segments, ideal_rounds, rtt_us and overhead_us ≈ (rounds − 1)·RTT,
//     the time a connection with an open window (reuse, larger IW) saves.
//   - tcp_slow_start_restart (warning): after an idle gap g (from the ACK of
//     all of A's data to A's next data, minus r_A) longer than the RTO
//     estimate (RFC 6298, 200 ms floor), the first post-idle flight was
//     complete (more data followed it within r_A plus the larger of the
//     slack and half the minimum RTT — senders pace their first post-idle
//     rounds) and flight_after ≤ max(2·IW, cwnd_before >> ⌊g/RTO⌋) + MSS
//     and flight_after ≤ cwnd_before/4, while cwnd_before ≥ 2·IW. Linux
//     with cubic lands on IW; BBR's idle restart and paced senders land a
//     little above it, hence 2·IW (RFC 5681 §4.1, RFC 7661; Linux
//     tcp_slow_start_after_idle). cwnd_before is the largest complete
//     flight before the idle; IW is the first flight of a fresh
//     connection, else 10·MSS. Evidence idle_us, rto_est_us,
//     flight_before, flight_after, extra_rounds, cost_us.
//
// Both rules need an RTT of at least Config.MinRTT (2 ms): on LAN and
// loopback captures flights are not distinguishable and the cost is nil.
// Application-limited senders look like small windows; the cwnd-limited
// tests guard against that.
//
// Events: ConnOpened, Segment (with the connection's shared rtt.Tracker),
// ConnClosed. Configuration: Config (New); Factory uses DefaultConfig.
// Concurrency: one goroutine. Buffer ownership: nothing from an event is
// retained. Limits: at most MaxRounds flights are kept per transfer (longer
// transfers are not slow-start bound); state is dropped at ConnClosed.
package slowstart
