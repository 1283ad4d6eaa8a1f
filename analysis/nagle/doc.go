// Package nagle detects the Nagle + delayed-ACK stall: a sender holds a
// small segment's successor (Nagle's algorithm, RFC 896, RFC 1122
// §4.2.3.4; Linux's Minshall variant) until the receiver's delayed ACK
// (RFC 1122 §4.2.3.2, 40 ms minimum on Linux, 200 ms on Windows) releases
// it. A write-write-read application (headers and body written separately)
// loses the ACK delay on every request.
//
// Rule (detection-methods §2.3), for each direction A→B with times seen at
// the capture point:
//
//  1. S1: A sends new in-order data with 0 < len < MSS at t1 (MSS from the
//     handshake, else 1460, raised to the largest payload seen when no MSS
//     was announced: loopback captures have MTU 65536 and MSS ≈ 65483).
//  2. A sends no other data and B sends no data until the first ACK
//     covering S1's end, which is a pure ACK seen at t2.
//  3. ack_delay = (t2 − t1) − r_B lies in [Config.MinAckDelay,
//     Config.MaxAckDelay] = [20 ms, 500 ms]: the receiver delayed its ACK.
//  4. S2: A's next data starts exactly at S1's end and is seen at t3 with
//     release = (t3 − t2) − r_A ≤ Config.Epsilon (2 ms): A was holding it.
//
// r_A and r_B are the round trips from the capture point to each endpoint
// and back (the handshake halves; without a handshake the smallest data→ACK
// samples, with confidence lowered), so the rule holds at the client, the
// server and in the middle. A TCP_NODELAY sender sends S2 before the ACK
// (no event); a delayed ACK alone, with nothing held, has no S2 within ε
// (no event); the first request of a Linux connection does not stall (quick
// ACK mode), so the detector does not expect it to.
//
// Finding tcp_nagle_delayed_ack_stall, one per connection and direction:
// count = stalls; evidence stall_total_us, stall_worst_us, ack_delay_class
// (linux_like 35–60 ms, windows_like 180–220 ms, other), small and held
// segment lengths of the first stall, the half RTTs used and confidence
// (high with ≥ 2 stalls and handshake halves). Warning with at least
// Config.WarnMinStalls stalls, info for a single one; duration_us is the
// total stall.
//
// Events: ConnOpened, Segment, ConnClosed. Configuration: Config (New);
// Factory uses DefaultConfig. Concurrency: one goroutine. Buffer ownership:
// nothing from an event is retained. Limits: constant state per connection
// (the connection's rtt.Tracker is the engine's, shared); dropped at
// ConnClosed.
package nagle
