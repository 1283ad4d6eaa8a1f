// Package loss judges retransmissions, reordering, capture gaps and flow
// control on every TCP connection and reports them as findings.
//
// What it measures (detection-methods §2.1–2.2), per direction of data:
//
//   - Keep-alives (len ≤ 1 at next−1) and zero-window probes are never
//     retransmissions, whatever else they look like.
//   - A hole (data above the highest byte seen) that is later filled within
//     T_ooo (half the smallest RTT seen — handshake or data samples — at
//     least Config.OOOWindow = 3 ms) is network
//     reordering ("out of order"); filled later it is a retransmission of a
//     segment lost upstream of the capture point; acknowledged by the
//     receiver without ever being filled it is capture loss (capture gap
//     bytes), not network loss.
//   - A segment that repeats bytes already seen is a retransmission (lost
//     downstream of the capture point), classified in this precedence:
//     spurious (its end was already acknowledged at the capture point;
//     cause "crossed" when that ACK was seen less than the sender's half
//     RTT before, else "ack_lost_or_ignored"), fast (≥ Config.FastDupAcks
//     duplicate ACKs for its start, within r_sender + max(Config.FastWindow,
//     SRTT/4) of the last one), rto (the gap since the previous
//     transmission of that range ≥ Config.RTOFraction × the sender's RFC
//     6298 timeout estimate, floor 200 ms), tlp (re-sends the highest
//     outstanding segment after ≥ max(2·SRTT, Config.TLPMin) of silence
//     with no duplicate ACK, RFC 8985), else unknown. SYN retries are left
//     to the reset analyser's tcp_syn_retry.
//   - Duplicate ACK (Wireshark definition): no payload, no SYN/FIN/RST, the
//     same ACK number and the same non-zero window as before, with data
//     outstanding, not answering a keep-alive.
//   - Zero-window episode: from the first window-0 advertisement (no
//     SYN/FIN/RST) to the first advertisement of at least one MSS (any
//     non-zero window when the scale is unknown); zero-window probes sent
//     meanwhile mean the sender was blocked. Window full: data reaching the
//     peer's last ACK plus its scaled window (scale known only).
//
// Findings:
//
//   - tcp_retransmission, one per connection with retransmissions: count =
//     retransmitted segments; evidence has the class breakdown, bytes, the
//     loss side, out-of-order, duplicate-ACK and capture-gap counts.
//     Warning when any was an RTO, or when there were at least
//     Config.WarnMinRetrans and they are at least Config.WarnFraction of
//     the data segments; info otherwise. duration_us is the total RTO wait.
//   - tcp_zero_window, one per connection with episodes: count = episodes;
//     evidence episodes, total_us, longest_us, probes, side. Warning when
//     the longest episode lasted at least max(Config.ZeroWindowWarn,
//     2·RTT), info otherwise (short episodes on fast receivers are benign).
//
// Events: ConnOpened, PreSegment (a segment is judged against the shared
// rtt.Tracker as it was before the segment), ConnClosed. Configuration:
// Config (New); Factory uses DefaultConfig. Concurrency: one goroutine.
// Buffer ownership: nothing from an event is retained. Limits: per
// direction at most MaxRanges transmitted ranges and MaxHoles holes are
// remembered (older ones are forgotten and their retransmissions classed
// unknown); state is dropped at ConnClosed.
package loss
