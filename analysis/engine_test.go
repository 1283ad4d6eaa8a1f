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

// prepProbe is a Preparer: Prepare waits until every probe of the same
// meeting has started its own (so they must run at once), and Finish emits
// one finding per Prepare it saw.
type prepProbe struct {
	name     string
	arrive   chan struct{}
	meet     <-chan struct{}
	panicMsg string
	prepared int
}

func (p *prepProbe) Name() string { return p.name }
func (p *prepProbe) Prepare() {
	p.arrive <- struct{}{}
	<-p.meet
	if p.panicMsg != "" {
		panic(p.panicMsg)
	}
	p.prepared++
}
func (p *prepProbe) Finish(_ *report.Report, out Emitter) {
	out.Emit(report.Finding{Kind: p.name, Summary: fmt.Sprint(p.prepared)})
	p.prepared = 0
}

// preparers returns n probes whose Prepare calls return only once all n
// have started.
func preparers(n int) []*prepProbe {
	arrive, meet := make(chan struct{}), make(chan struct{})
	go func() {
		for range n {
			<-arrive
		}
		close(meet)
	}()
	ps := make([]*prepProbe, n)
	for i := range ps {
		ps[i] = &prepProbe{name: fmt.Sprintf("p%d", i), arrive: arrive, meet: meet}
	}
	return ps
}

// TestEnginePrepare: Finish runs the Preparers' Prepare concurrently (the
// probes meet, or the test would hang), before any Finish, each once; a
// panic in a Prepare on another goroutine reaches Finish's caller.
func TestEnginePrepare(t *testing.T) {
	ps := preparers(3)
	e := NewEngine([]Analyzer{ps[0], ps[1], ps[2]})
	rep := &report.Report{}
	e.Finish(rep)
	var got []string
	for _, f := range rep.Findings {
		got = append(got, f.Kind+"="+f.Summary)
	}
	if want := "p0=1 p1=1 p2=1"; strings.Join(got, " ") != want {
		t.Fatalf("findings %v, want %s", got, want)
	}

	ps = preparers(2)
	ps[1].panicMsg = "judging failed"
	e = NewEngine([]Analyzer{ps[0], ps[1]})
	defer func() {
		v := recover()
		if s, _ := v.(string); !strings.Contains(s, "judging failed") || !strings.Contains(s, "Prepare's goroutine") {
			t.Fatalf("recovered %v, want the Prepare's panic", v)
		}
	}()
	e.Finish(&report.Report{})
	t.Fatal("no panic")
}

// TestPrepared: Take uses what Set kept, prepares when nothing was kept,
// and forgets, so a later Take prepares again.
func TestPrepared(t *testing.T) {
	var p Prepared[int]
	calls := 0
	prepare := func() { calls++; p.Set(10 * calls) }
	p.Set(7)
	got := []int{p.Take(prepare), p.Take(prepare), p.Take(prepare)}
	if want := []int{7, 10, 20}; fmt.Sprint(got) != fmt.Sprint(want) || calls != 2 {
		t.Fatalf("Take gave %v with %d prepares, want %v with 2", got, calls, want)
	}
}
