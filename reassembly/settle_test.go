package reassembly

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"connscope/flow"
)

// settleRec records like rec and also the ConnSettled calls, with the
// connection as it was then.
type settleRec struct {
	*rec
	settled map[flow.ConnID]Conn
	ended   map[flow.ConnID]bool // both streams had End at ConnSettled
}

func newSettleRec() *settleRec {
	return &settleRec{rec: newRec(), settled: map[flow.ConnID]Conn{}, ended: map[flow.ConnID]bool{}}
}

func (r *settleRec) ConnSettled(c *Conn) {
	if _, dup := r.settled[c.ID]; dup {
		r.log = append(r.log, fmt.Sprintf("settled again %d", c.ID))
	}
	r.settled[c.ID] = *c
	cr := r.conns[c.ID]
	r.ended[c.ID] = strings.HasSuffix(cr.stream[0], "<end>") && strings.HasSuffix(cr.stream[1], "<end>")
	r.log = append(r.log, fmt.Sprintf("settled %d %s", c.ID, c.Close.Kind))
}

// TestSettle: a Settler hears of a connection closed by FIN both ways
// SettleDelay after both FINs were acknowledged, once, with both streams
// ended and Close filled; packets before that reach Segment first, packets
// after it still reach Segment and count in Dir and End, and ConnClosed
// follows at the end of the quiet linger. A connection ended before its
// delay (a new incarnation of its tuple) is never settled; nor is any
// connection without a quiet linger. A negative SettleDelay settles at
// once.
func TestSettle(t *testing.T) {
	other, third := clientN(9), clientN(8)
	rows := cat(quietClosed(), []seg{ // conn 1: quiet at 12 ms
		{at: 13, from: 'c', flags: "S", seq: 7000, cli: other}, // conn 2: quiet at 22 ms
		{at: 14, from: 's', flags: "SA", seq: 9000, ack: 7001, cli: other},
		{at: 15, from: 'c', flags: "A", seq: 7001, ack: 9001, cli: other},
		{at: 16, from: 'c', flags: "PA", seq: 7001, ack: 9001, data: "GET", cli: other},
		{at: 20, from: 'c', flags: "FA", seq: 7004, ack: 9001, cli: other},
		{at: 21, from: 's', flags: "FA", seq: 9001, ack: 7005, cli: other},
		{at: 22, from: 'c', flags: "A", seq: 7005, ack: 9002, cli: other},
		{at: 30, from: 'c', flags: "A", seq: 1002, ack: 5002}, // conn 1, before its settling
	}, finClosed(third, 40), []seg{ // conn 3: quiet at 45 ms
		{at: 60, from: 'c', flags: "S", seq: 5000, cli: third},                  // conn 4 replaces conn 3 before its settling
		{at: 70, from: 's', flags: "A", seq: 9002, ack: 7005, cli: other},       // settles conn 1 (62) first; conn 2 (72) not yet
		{at: 80, from: 'c', flags: "FA", seq: 1001, ack: 5002},                  // conn 1's FIN again: after its settling
		{at: 300, from: 'c', flags: "A", seq: 7005, ack: 9002, cli: clientN(7)}, // conn 5; 1 and 2 reported
	})
	r := newSettleRec()
	tr := New(Config{CloseLinger: 2 * time.Second, QuietLinger: 200 * time.Millisecond, SettleDelay: 50 * time.Millisecond}, r)
	for i, s := range rows {
		tr.Packet(mk(i, s))
	}
	tr.Flush()
	log := strings.Join(r.log, "\n")
	for _, id := range []flow.ConnID{1, 2} {
		s, ok := r.settled[id]
		if !ok {
			t.Fatalf("connection %d not settled; log:\n%s", id, log)
		}
		if !r.ended[id] || s.Close.Kind != CloseFIN {
			t.Errorf("connection %d at settling: streams ended %v, close %+v", id, r.ended[id], s.Close)
		}
		if i, j := slices.Index(r.log, fmt.Sprintf("settled %d fin", id)), slices.Index(r.log, fmt.Sprintf("closed %d fin", id)); i < 0 || j < i {
			t.Errorf("connection %d: settled at %d, closed at %d; log:\n%s", id, i, j, log)
		}
	}
	for _, id := range []flow.ConnID{3, 4, 5} {
		if _, ok := r.settled[id]; ok {
			t.Errorf("connection %d settled; log:\n%s", id, log)
		}
		r.conn(t, id)
	}
	if strings.Contains(log, "settled again") {
		t.Errorf("settled twice:\n%s", log)
	}
	// Conn 1: the ACK at 30 ms before its settling, the FIN at 80 after it,
	// which still counts on it.
	s1, c1 := r.settled[1], r.conn(t, 1).closed
	if s1.End != tms(30) || c1.End != tms(80) || c1.Dir[0].Packets != s1.Dir[0].Packets+1 {
		t.Errorf("conn 1: end %v then %v, client packets %d then %d", s1.End.Sub(baseTime), c1.End.Sub(baseTime), s1.Dir[0].Packets, c1.Dir[0].Packets)
	}
	if c1.Close != s1.Close {
		t.Errorf("conn 1: close %+v at settling, %+v at the end", s1.Close, c1.Close)
	}
	at := slices.Index(r.log, "settled 1 fin")
	if i, j := slices.Index(r.log, "seg 1 #14 client_to_server dup_ack"), slices.Index(r.log, "seg 1 #23 client_to_server retransmission"); i < 0 || i > at || j < at {
		t.Errorf("conn 1's late segments: at %d and %d, settled at %d; log:\n%s", i, j, at, log)
	}
	if i, j := at, slices.Index(r.log, "seg 2 #22 server_to_client dup_ack"); j < i || slices.Index(r.log, "settled 2 fin") < j {
		t.Errorf("the packet at 70 ms settles conn 1 before it is processed, conn 2 after; log:\n%s", log)
	}

	// The oldest unsettled connection ended before its delay (a new
	// incarnation of its tuple): the next one still settles, the new
	// incarnation does not.
	r = newSettleRec()
	tr = New(Config{QuietLinger: 200 * time.Millisecond, SettleDelay: 50 * time.Millisecond}, r)
	rows = cat(quietClosed(), []seg{ // conn 1: quiet at 12 ms
		{at: 20, from: 'c', flags: "S", seq: 1}, // conn 2 replaces it
	}, finClosed(other, 21), []seg{ // conn 3: quiet at 26 ms
		{at: 100, from: 'c', flags: "A", seq: 1002, ack: 5002, cli: other},
	})
	for i, s := range rows {
		tr.Packet(mk(i, s))
	}
	if _, ok := r.settled[3]; !ok || len(r.settled) != 1 {
		t.Errorf("settled %v, want conn 3 only; log:\n%s", slices.Sorted(maps.Keys(r.settled)), strings.Join(r.log, "\n"))
	}
	tr.Flush()

	// No quiet linger: nothing settles. A negative SettleDelay: at once,
	// within the Packet call of the last ACK.
	for _, cfg := range []Config{{QuietLinger: -1}, {SettleDelay: -1}} {
		r := newSettleRec()
		tr := New(cfg, r)
		for i, s := range quietClosed() {
			tr.Packet(mk(i, s))
		}
		_, settled := r.settled[1]
		if want := cfg.SettleDelay < 0; settled != want {
			t.Errorf("%+v: settled %v, want %v", cfg, settled, want)
		}
		tr.Flush()
		r.conn(t, 1)
	}
}

// TestSettledCloseStays: bytes of a capture hole before a FIN that come
// after the connection settled (the capture reordered them) do not change
// its Close: the analysers had it at ConnSettled, and the record, built at
// ConnClosed, must say the same. Here they would have made it half-closed,
// being new client data after the server's FIN.
func TestSettledCloseStays(t *testing.T) {
	rows := cat(handshake(1000, 5000), []seg{
		{at: 5, from: 'c', flags: "PA", seq: 1001, ack: 5001, data: "GET "},
		// 1005..1010 missing from the capture
		{at: 10, from: 'c', flags: "FA", seq: 1010, ack: 5001},
		{at: 11, from: 's', flags: "FA", seq: 5001, ack: 1011},
		{at: 12, from: 'c', flags: "A", seq: 1011, ack: 5002},
		{at: 30, from: 'c', flags: "PA", seq: 1005, ack: 5002, data: "/ HTT"},
	})
	r := newSettleRec()
	tr := New(Config{QuietLinger: 200 * time.Millisecond, SettleDelay: -1}, r)
	for i, s := range rows {
		tr.Packet(mk(i, s))
	}
	tr.Flush()
	s, ok := r.settled[1]
	if !ok {
		t.Fatalf("not settled; log:\n%s", strings.Join(r.log, "\n"))
	}
	c := r.conn(t, 1).closed
	if c.Close != s.Close || c.Close.HalfClosed {
		t.Errorf("close %+v at settling, %+v at the end; want the same, not half-closed", s.Close, c.Close)
	}
	if c.Dir[0].Packets != s.Dir[0].Packets+1 {
		t.Errorf("client packets %d at settling, %d at the end; the late one still counts", s.Dir[0].Packets, c.Dir[0].Packets)
	}
}
