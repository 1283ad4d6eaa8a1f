package analysis

import (
	"fmt"
	"strings"
	"testing"

	"connscope/flow"
	"connscope/report"
)

// countState is a SeqState that counts the segments fed to it.
type countState struct {
	id   int
	segs int
}

func (c *countState) Feed(*Segment) { c.segs++ }
func (c *countState) Reset()        { c.segs = 0 }

// seqProbe records what it sees of the shared state.
type seqProbe struct {
	made int
	log  []string
}

func (p *seqProbe) Name() string                               { return "seq_probe" }
func (p *seqProbe) Finish(*report.Report, Emitter)             {}
func (p *seqProbe) ConnOpened(*ConnInfo)                       {}
func (p *seqProbe) ReportConn(flow.ConnID, *report.Connection) {}
func (p *seqProbe) NewSeqState() SeqState {
	p.made++
	return &countState{id: p.made}
}
func (p *seqProbe) PreSegment(s *Segment) {
	c := s.Shared.(*countState)
	p.log = append(p.log, fmt.Sprintf("pre %d: state %d has %d", s.Conn.ID, c.id, c.segs))
}
func (p *seqProbe) Segment(s *Segment) {
	c := s.Shared.(*countState)
	p.log = append(p.log, fmt.Sprintf("post %d: state %d has %d", s.Conn.ID, c.id, c.segs))
}
func (p *seqProbe) ConnClosed(c *ConnClosed) {
	st := c.Shared.(*countState)
	p.log = append(p.log, fmt.Sprintf("closed %d: state %d has %d", c.Conn.ID, st.id, st.segs))
}

// TestEngineSeqState: one shared state per connection, fed each segment
// between the PreSegmentHandlers and the SegmentHandlers, handed to
// ConnClosed, and reused (reset) for a later connection once the closed
// one's record was reported.
func TestEngineSeqState(t *testing.T) {
	p := &seqProbe{}
	e := NewEngine([]Analyzer{p})
	a, b, c := &ConnInfo{ID: 1}, &ConnInfo{ID: 2}, &ConnInfo{ID: 3}
	e.ConnOpened(a)
	e.ConnOpened(b)
	var s Segment
	for _, conn := range []*ConnInfo{a, b, a} {
		s = Segment{Conn: conn, Seq: 7} // a reused event: Shared is the engine's to set
		e.Segment(&s)
	}
	e.ConnClosed(&ConnClosed{Conn: a})
	e.ReportConn(1, &report.Connection{})
	e.ConnOpened(c)
	s = Segment{Conn: c}
	e.Segment(&s)
	e.ConnClosed(&ConnClosed{Conn: c})
	want := []string{
		"pre 1: state 1 has 0", "post 1: state 1 has 1",
		"pre 2: state 2 has 0", "post 2: state 2 has 1",
		"pre 1: state 1 has 1", "post 1: state 1 has 2",
		"closed 1: state 1 has 2",
		"pre 3: state 1 has 0", "post 3: state 1 has 1", // reused after ReportConn
		"closed 3: state 1 has 1",
	}
	if got := strings.Join(p.log, "\n"); got != strings.Join(want, "\n") {
		t.Fatalf("events:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
	if p.made != 2 {
		t.Fatalf("%d states made, want 2", p.made)
	}
	if !e.WantsSegments() {
		t.Fatal("WantsSegments is false with a PreSegmentHandler")
	}
}
