package reassembly

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"connscope/flow"
)

// clientN returns a distinct client endpoint for connection n.
func clientN(n int) *flow.Endpoint {
	e := ep("10.0.1.1", uint16(40000+n))
	return &e
}

// synFrom returns a SYN row from client n at ms.
func synFrom(n, ms int) seg {
	return seg{at: ms, from: 'c', flags: "S", seq: uint32(1000 * n), cli: clientN(n)}
}

// TestMaxConnsEviction: with MaxConns 2 the least recently active
// connection is evicted when a third one starts.
func TestMaxConnsEviction(t *testing.T) {
	rows := []seg{
		synFrom(1, 0),
		synFrom(2, 1),
		{at: 2, from: 'c', flags: "S", seq: 1000, cli: clientN(1)}, // conn 1 is touched again
		synFrom(3, 3), // evicts conn 2
		synFrom(4, 4), // evicts conn 1
	}
	r, st := runSegs(t, Config{MaxConns: 2}, rows)
	if got, want := r.order, []flow.ConnID{2, 1, 3, 4}; !slices.Equal(got, want) {
		t.Errorf("close order %v, want %v", got, want)
	}
	for id, kind := range map[flow.ConnID]CloseKind{1: CloseEvicted, 2: CloseEvicted, 3: CloseOpen, 4: CloseOpen} {
		if k := r.conn(t, id).closed.Close.Kind; k != kind {
			t.Errorf("conn %d kind %s, want %s", id, k, kind)
		}
	}
	if st.Anomalies[AnomalyConnLimit] != 2 || st.MaxActive != 2 || st.Conns != 4 {
		t.Errorf("stats %+v", st)
	}
}

// TestMaxConnsPrefersLingering: a closed connection still lingering is
// reported early rather than evicting an open one.
func TestMaxConnsPrefersLingering(t *testing.T) {
	rows := []seg{
		synFrom(1, 0),
		{at: 1, from: 's', flags: "RA", seq: 0, ack: 1001, cli: clientN(1)},
		synFrom(2, 2),
		synFrom(3, 3),
	}
	r, st := runSegs(t, Config{MaxConns: 2}, rows)
	if k := r.conn(t, 1).closed.Close.Kind; k != CloseRST {
		t.Errorf("conn 1 kind %s", k)
	}
	if k := r.conn(t, 2).closed.Close.Kind; k != CloseOpen || st.Anomalies[AnomalyConnLimit] != 0 {
		t.Errorf("conn 2 kind %s, anomalies %v", k, st.Anomalies)
	}
}

// TestIdleTimeout: a connection silent for IdleTimeout (packet time) is
// closed with CloseIdle before the packet that revealed it, or by Advance.
func TestIdleTimeout(t *testing.T) {
	cfg := Config{IdleTimeout: 10 * time.Second}
	r := newRec()
	tr := New(cfg, r)
	rows := []seg{
		{at: 0, from: 'c', flags: "S", seq: 1000},
		{at: 1, from: 's', flags: "SA", seq: 5000, ack: 1001},
		{at: 5000, from: 'c', flags: "PA", seq: 1001, ack: 5001, data: "a", cli: clientN(2)},
		{at: 11000, from: 'c', flags: "PA", seq: 1002, ack: 5001, data: "b", cli: clientN(2)}, // conn 1 idle since 1 ms
	}
	for i, s := range rows[:3] {
		tr.Packet(mk(i, s))
	}
	if len(r.order) != 0 {
		t.Fatalf("closed too early: %v", r.order)
	}
	tr.Packet(mk(3, rows[3]))
	if !slices.Equal(r.order, []flow.ConnID{1}) {
		t.Fatalf("closed %v, want [1]", r.order)
	}
	c1 := r.conn(t, 1).closed
	if c1.Close.Kind != CloseIdle || c1.Close.At != tms(1) || c1.Close.Initiator != SideNone {
		t.Errorf("conn 1 close %+v", c1.Close)
	}
	if i := slices.Index(r.log, "closed 1 idle_timeout"); i < 0 || strings.HasPrefix(r.log[i-1], "data 2") {
		t.Errorf("conn 1 must close before the packet at 11 s is delivered; log %v", r.log)
	}
	tr.Advance(tms(21001))
	if !slices.Equal(r.order, []flow.ConnID{1, 2}) {
		t.Errorf("after Advance closed %v, want [1 2]", r.order)
	}
	if s := tr.Stats(); s.Active != 0 {
		t.Errorf("active %d", s.Active)
	}
}

// TestIdleDisabled: a negative IdleTimeout keeps connections forever.
func TestIdleDisabled(t *testing.T) {
	r := newRec()
	tr := New(Config{IdleTimeout: -1}, r)
	tr.Packet(mk(0, seg{at: 0, from: 'c', flags: "S", seq: 1}))
	tr.Advance(tms(int(time.Hour / time.Millisecond * 24)))
	if len(r.order) != 0 {
		t.Errorf("closed %v", r.order)
	}
}

// TestCloseLinger: after the close, late packets still count on the
// connection until CloseLinger of packet time has passed.
func TestCloseLinger(t *testing.T) {
	cfg := Config{CloseLinger: 2 * time.Second}
	r := newRec()
	tr := New(cfg, r)
	rows := cat(handshake(1000, 5000), []seg{
		{at: 10, from: 'c', flags: "FA", seq: 1001, ack: 5001},
		{at: 11, from: 's', flags: "FA", seq: 5001, ack: 1002},  // closed here
		{at: 500, from: 's', flags: "FA", seq: 5001, ack: 1002}, // retransmitted FIN
		{at: 501, from: 'c', flags: "A", seq: 1002, ack: 5001},  // ACK below the FIN
		{at: 3000, from: 'c', flags: "S", seq: 1, cli: clientN(9)},
	})
	for i, s := range rows[:len(rows)-1] {
		tr.Packet(mk(i, s))
	}
	if len(r.order) != 0 {
		t.Fatalf("closed during linger: %v", r.order)
	}
	tr.Packet(mk(len(rows)-1, rows[len(rows)-1]))
	if !slices.Equal(r.order, []flow.ConnID{1}) {
		t.Fatalf("closed %v, want [1]", r.order)
	}
	c := r.conn(t, 1).closed
	if c.Dir[1].Packets != 3 || c.Dir[0].Packets != 4 || c.Dir[1].Retransmissions != 1 || c.End != tms(501) {
		t.Errorf("late packets not counted: %+v end %v", c.Dir, c.End.Sub(baseTime))
	}
	if c.Close.Kind != CloseFIN || c.Close.At != tms(11) || c.Close.TimeWaitHolder != SideClient {
		t.Errorf("close %+v", c.Close)
	}
}

// quietClosed is a connection's handshake and its close by FIN both ways,
// both FINs acknowledged by 12 ms: it goes quiet then.
func quietClosed() []seg {
	return cat(handshake(1000, 5000), []seg{
		{at: 10, from: 'c', flags: "FA", seq: 1001, ack: 5001},
		{at: 11, from: 's', flags: "FA", seq: 5001, ack: 1002},
		{at: 12, from: 'c', flags: "A", seq: 1002, ack: 5002},
	})
}

// TestQuietClose: a connection closed by FIN both ways is reported a quiet
// linger after both FINs were acknowledged (packets until then still count);
// for the rest of its close linger its tuple only counts late packets, a SYN
// opens a new incarnation, and after the linger a packet of the tuple starts
// a connection of its own again. A negative QuietLinger keeps the whole
// close linger.
func TestQuietClose(t *testing.T) {
	other := clientN(9)
	rows := cat(quietClosed(), []seg{
		{at: 13, from: 'c', flags: "S", seq: 7000, cli: other},
		{at: 14, from: 's', flags: "SA", seq: 9000, ack: 7001, cli: other},
		{at: 15, from: 'c', flags: "A", seq: 7001, ack: 9001, cli: other},
		{at: 20, from: 'c', flags: "FA", seq: 7001, ack: 9001, cli: other},
		{at: 21, from: 's', flags: "FA", seq: 9001, ack: 7002, cli: other},
		{at: 22, from: 'c', flags: "A", seq: 7002, ack: 9002, cli: other},
		{at: 50, from: 'c', flags: "A", seq: 1002, ack: 5002},               // duplicate within the quiet linger: counted on it
		{at: 500, from: 's', flags: "FA", seq: 5001, ack: 1002},             // both reported first; late
		{at: 501, from: 'c', flags: "A", seq: 1002, ack: 5002},              // late
		{at: 1000, from: 'c', flags: "S", seq: 1},                           // new incarnation of the first tuple
		{at: 2500, from: 'c', flags: "A", seq: 7002, ack: 9002, cli: other}, // past the linger: a connection
	})
	for _, quiet := range []time.Duration{100 * time.Millisecond, -1} {
		r := newRec()
		tr := New(Config{CloseLinger: 2 * time.Second, QuietLinger: quiet}, r)
		for i, s := range rows {
			tr.Packet(mk(i, s))
			if quiet > 0 && rows[i].at == 50 && len(r.order) != 0 {
				t.Fatalf("reported within the quiet linger: %v", r.order)
			}
			if quiet > 0 && rows[i].at == 500 && !slices.Equal(r.order, []flow.ConnID{1, 2}) {
				t.Fatalf("after the quiet linger: closed %v, want [1 2]", r.order)
			}
		}
		st := tr.Stats()
		c := r.conn(t, 1).closed
		if quiet > 0 {
			if got := st.Anomalies[AnomalyAfterClose]; got != 2 {
				t.Errorf("%s = %d, want 2", AnomalyAfterClose, got)
			}
			if st.Conns != 4 || st.Active != 2 {
				t.Errorf("conns %d active %d, want 4 and 2", st.Conns, st.Active)
			}
			if c.Dir[0].Packets != 5 || c.Dir[1].Packets != 2 || c.End != tms(50) {
				t.Errorf("first connection: %+v end %v", c.Dir, c.End.Sub(baseTime))
			}
			tr.Flush()
			if !slices.Equal(r.order, []flow.ConnID{1, 2, 3, 4}) {
				t.Fatalf("closed %v, want [1 2 3 4]", r.order)
			}
			if h := r.conn(t, 3).opened; h.Client != cliEP || h.Roles != RoleFromSYN {
				t.Errorf("incarnation: client %s roles %s", h.Client, h.Roles)
			}
			if k := r.conn(t, 4).opened.Key; k.Lo != *other && k.Hi != *other {
				t.Errorf("connection after the linger: %+v", k)
			}
		} else {
			if got := st.Anomalies[AnomalyAfterClose]; got != 0 || st.Conns != 4 {
				t.Errorf("no quiet linger: %s = %d, conns %d", AnomalyAfterClose, got, st.Conns)
			}
			if c.Dir[0].Packets != 6 || c.Dir[1].Packets != 3 || c.End != tms(501) {
				t.Errorf("no quiet linger: first connection %+v end %v", c.Dir, c.End.Sub(baseTime))
			}
		}
		if c.Close.Kind != CloseFIN || c.Close.At != tms(11) || c.Close.TimeWaitHolder != SideClient {
			t.Errorf("close %+v", c.Close)
		}
	}
}

// TestTombAfterEviction: a connection opened by a SYN on a tuple still
// remembered after its previous incarnation, then evicted (or idle) before
// that memory ends, leaves its late packets to a connection of their own,
// not to the tuple's earlier tomb.
func TestTombAfterEviction(t *testing.T) {
	other := clientN(9)
	rows := cat(quietClosed(), []seg{
		{at: 200, from: 'c', flags: "S", seq: 1},                // conn 1 reported at 112; conn 2
		{at: 300, from: 'c', flags: "S", seq: 7000, cli: other}, // conn 3 evicts conn 2
		{at: 400, from: 'c', flags: "A", seq: 2, ack: 7},        // conn 2's tuple again: a connection
	})
	r := newRec()
	tr := New(Config{CloseLinger: 2 * time.Second, QuietLinger: 100 * time.Millisecond, MaxConns: 1}, r)
	for i, s := range rows {
		tr.Packet(mk(i, s))
	}
	st := tr.Stats()
	if st.Anomalies[AnomalyAfterClose] != 0 || st.Conns != 4 || st.Anomalies[AnomalyConnLimit] != 2 {
		t.Errorf("anomalies %v, %d connections; want no %s, 4 connections, 2 evictions", st.Anomalies, st.Conns, AnomalyAfterClose)
	}
}

// TestNoLinger: a negative CloseLinger reports the connection at the next
// packet.
func TestNoLinger(t *testing.T) {
	rows := cat(handshake(1000, 5000), []seg{
		{at: 3, from: 's', flags: "R", seq: 5001},
		{at: 4, from: 'c', flags: "A", seq: 1001, ack: 5001, cli: clientN(3)},
	})
	r := newRec()
	tr := New(Config{CloseLinger: -1}, r)
	for i, s := range rows {
		tr.Packet(mk(i, s))
	}
	if !slices.Equal(r.order, []flow.ConnID{1}) {
		t.Errorf("closed %v, want [1]", r.order)
	}
}

// TestTombCap: at most MaxConns retired tuples are remembered; when that
// many are, a tuple retired next is not (its late packet starts a
// connection of its own), and once the earlier ones' linger has ended they
// are swept out and a tuple retired then is remembered again.
func TestTombCap(t *testing.T) {
	late := func(cli *flow.Endpoint, at int) seg {
		return seg{at: at, from: 'c', flags: "A", seq: 1002, ack: 5002, cli: cli}
	}
	a, b, c, d := clientN(1), clientN(2), clientN(3), clientN(4)
	rows := cat(finClosed(a, 0), finClosed(b, 200), finClosed(c, 400), // retired at 105, 305, 505
		[]seg{late(a, 700), late(c, 710)}, // a remembered; c not: a connection of its own
		finClosed(d, 2500),                // a and b ended at 2003 and 2203: d retired at 2605 and remembered
		[]seg{late(d, 2700)},
	)
	r := newRec()
	tr := New(Config{MaxConns: 2, CloseLinger: 2 * time.Second, QuietLinger: 100 * time.Millisecond}, r)
	for i, s := range rows {
		tr.Packet(mk(i, s))
		if len(tr.tombs) > 2 {
			t.Fatalf("after row %d: %d tombs", i, len(tr.tombs))
		}
	}
	tr.Flush()
	st := tr.Stats()
	if got := st.Anomalies[AnomalyAfterClose]; got != 2 {
		t.Errorf("%s = %d, want 2 (a's and d's late packets)", AnomalyAfterClose, got)
	}
	if st.Conns != 5 {
		t.Errorf("%d connections, want 5 (c's late packet is one)", st.Conns)
	}
}

// TestNonMonotonicTimestamps: timestamps going backwards are counted and
// never break the clock, the timeouts or the connection times.
func TestNonMonotonicTimestamps(t *testing.T) {
	rows := []seg{
		{at: 10000, from: 'c', flags: "S", seq: 1000},
		{at: 2, from: 's', flags: "SA", seq: 5000, ack: 1001}, // 10 s in the past
		{at: 10001, from: 'c', flags: "A", seq: 1001, ack: 5001},
		{at: 0, from: 'c', flags: "PA", seq: 1001, ack: 5001, data: "abc"}, // far past
		{at: 10002, from: 'c', flags: "PA", seq: 1004, ack: 5001, data: "de"},
	}
	r, st := runSegs(t, Config{IdleTimeout: 5 * time.Second}, rows)
	if len(r.order) != 1 {
		t.Fatalf("connections %v: going back in time must not trigger timeouts", r.order)
	}
	c := r.conn(t, 1)
	if c.stream[0] != "abcde<end>" {
		t.Errorf("stream %q", c.stream[0])
	}
	if c.closed.Start != tms(10000) || c.closed.End != tms(10002) {
		t.Errorf("start/end %v %v", c.closed.Start.Sub(baseTime), c.closed.End.Sub(baseTime))
	}
	if c.closed.Handshake.ServerHalf() != 0 {
		t.Errorf("negative half RTT must read as unknown, got %v", c.closed.Handshake.ServerHalf())
	}
	if st.Anomalies[AnomalyTimeBackwards] != 2 {
		t.Errorf("anomalies %v", st.Anomalies)
	}
}

// TestFlushOrder: Flush reports every connection still held in ConnID
// order, whatever their state, and Stream.End precedes ConnClosed.
func TestFlushOrder(t *testing.T) {
	var rows []seg
	// Conns 1..6 in mixed states; activity in reverse order so the LRU
	// order differs from the id order.
	for n := 1; n <= 6; n++ {
		rows = append(rows, synFrom(n, n))
	}
	for n := 6; n >= 1; n-- {
		rows = append(rows, seg{at: 10 + n, from: 's', flags: "SA", seq: 77, ack: uint32(1000*n + 1), cli: clientN(n)})
	}
	rows = append(rows,
		seg{at: 20, from: 'c', flags: "R", seq: 2001, cli: clientN(2)},                         // conn 2 lingering
		seg{at: 21, from: 'c', flags: "PA", seq: 5011, ack: 78, data: "hole", cli: clientN(5)}, // conn 5 buffered
	)
	r, _ := runSegs(t, Config{}, rows)
	if want := []flow.ConnID{1, 2, 3, 4, 5, 6}; !slices.Equal(r.order, want) {
		t.Errorf("flush order %v, want %v", r.order, want)
	}
	if got := r.conn(t, 5).stream[0]; got != "<gap:10>hole<end>" {
		t.Errorf("conn 5 stream %q", got)
	}
	for i, l := range r.log {
		if strings.HasPrefix(l, "closed ") {
			id := strings.TrimPrefix(l, "closed ")
			id = id[:strings.IndexByte(id, ' ')]
			if !slices.Contains(r.log[:i], "end "+id+" client_to_server") || !slices.Contains(r.log[:i], "end "+id+" server_to_client") {
				t.Errorf("conn %s closed before both End calls", id)
			}
		}
	}
}

// TestNonTCPIgnored: UDP packets never reach the table.
func TestNonTCPIgnored(t *testing.T) {
	r := newRec()
	tr := New(Config{}, r)
	p := mk(0, seg{at: 0, from: 'c', flags: "S", seq: 1})
	p.Proto = 17
	tr.Packet(p)
	tr.Flush()
	if st := tr.Stats(); st.Packets != 0 || st.Conns != 0 || len(r.log) != 0 {
		t.Errorf("stats %+v log %v", st, r.log)
	}
}

// TestBadFlags: SYN+RST and SYN+FIN are counted and ignored.
func TestBadFlags(t *testing.T) {
	_, st := runSegs(t, Config{}, []seg{
		{at: 0, from: 'c', flags: "SR", seq: 1},
		{at: 1, from: 'c', flags: "SF", seq: 1},
	})
	if st.Conns != 0 || st.Anomalies[AnomalyBadFlags] != 2 {
		t.Errorf("stats %+v", st)
	}
}

// TestDeterministic: the same packets give the same calls in the same
// order.
func TestDeterministic(t *testing.T) {
	var rows []seg
	for n := 1; n <= 20; n++ {
		rows = append(rows, synFrom(n, n),
			seg{at: 30 + n, from: 'c', flags: "PA", seq: uint32(1000*n + 5), ack: 1, data: "later", cli: clientN(n)})
	}
	a, _ := runSegs(t, Config{MaxConns: 7}, rows)
	b, _ := runSegs(t, Config{MaxConns: 7}, rows)
	if !slices.Equal(a.log, b.log) {
		t.Errorf("logs differ:\n%s\n---\n%s", strings.Join(a.log, "\n"), strings.Join(b.log, "\n"))
	}
}

// TestNewKeyMatchesFlow: the tracker's key function agrees with
// flow.NewKey.
func TestNewKeyMatchesFlow(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	addrs := []flow.Addr{ep("10.0.0.1", 0).Addr, ep("10.0.0.2", 0).Addr, ep("2001:db8::1", 0).Addr, ep("::1", 0).Addr, {}}
	for i := range 20000 {
		var a, b flow.Endpoint
		if i%2 == 0 {
			a.Addr, b.Addr = addrs[rng.IntN(len(addrs))], addrs[rng.IntN(len(addrs))]
		} else {
			for j := range a.Addr {
				a.Addr[j], b.Addr[j] = byte(rng.IntN(3)), byte(rng.IntN(3))
			}
		}
		a.Port, b.Port = uint16(rng.IntN(4)), uint16(rng.IntN(4))
		k1, lo1 := newKey(a, b)
		k2, lo2 := flow.NewKey(6, a, b)
		if k1 != k2 || lo1 != lo2 {
			t.Fatalf("newKey(%v, %v) = %v %v, flow.NewKey = %v %v", a, b, k1, lo1, k2, lo2)
		}
	}
}
