package reassembly

import (
	"slices"
	"testing"

	"connscope/flow"
)

// TestEachOpen: EachOpen lists the announced connections still held, in
// ConnID order, including one closed and lingering, and changes nothing.
func TestEachOpen(t *testing.T) {
	other := ep("10.0.0.3", 40001)
	third := ep("10.0.0.4", 40002)
	rows := []seg{
		// Connection 1: complete handshake, then FIN both ways (lingers).
		{at: 0, from: 'c', flags: "S", seq: 100},
		{at: 1, from: 's', flags: "SA", seq: 500, ack: 101},
		{at: 2, from: 'c', flags: "A", seq: 101, ack: 501},
		{at: 3, from: 'c', flags: "FA", seq: 101, ack: 501},
		{at: 4, from: 's', flags: "FA", seq: 501, ack: 102},
		// Connection 2: open.
		{at: 5, from: 'c', flags: "S", seq: 900, cli: &other},
		{at: 6, from: 's', flags: "SA", seq: 300, ack: 901, cli: &other},
		// Connection 3: only a SYN so far; announced once its roles settle.
		{at: 7, from: 'c', flags: "S", seq: 50, cli: &third},
	}
	sink := &countSink{}
	tr := New(Config{}, sink)
	for i, s := range rows {
		tr.Packet(mk(i, s))
	}
	type seen struct {
		id      flow.ConnID
		closing bool
	}
	var got []seen
	tr.EachOpen(func(c *Conn) { got = append(got, seen{c.ID, c.Closing()}) })
	var again []seen
	tr.EachOpen(func(c *Conn) { again = append(again, seen{c.ID, c.Closing()}) })
	if !slices.Equal(got, again) {
		t.Errorf("second call differs: %v then %v", got, again)
	}
	if len(got) < 2 || got[0] != (seen{1, true}) || got[1] != (seen{2, false}) {
		t.Errorf("got %v, want connection 1 closing, then 2 open", got)
	}
	for i := 1; i < len(got); i++ {
		if got[i-1].id >= got[i].id {
			t.Errorf("not in ConnID order: %v", got)
		}
	}
	if sink.cl != 0 {
		t.Errorf("%d connections closed", sink.cl)
	}
	if st := tr.Stats(); st.Active != 3 {
		t.Errorf("active = %d, want 3", st.Active)
	}
}
