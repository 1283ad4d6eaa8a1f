package analysis

import (
	"fmt"
	"runtime/debug"
	"sort"
	"sync"

	"connscope/flow"
	"connscope/internal/freelist"
	"connscope/report"
)

// Engine dispatches events to analysers and collects their findings.
type Engine struct {
	all   []Analyzer
	conns []ConnHandler
	pres  []PreSegmentHandler
	segs  []SegmentHandler
	exch  []ExchangeHandler
	reps  []ConnReporter
	recs  []RecordHandler
	txs   []TransactionHandler
	preps []Preparer

	// The connections' shared SeqStates (newSeq nil: no analyser uses
	// one), and states of closed connections for reuse.
	newSeq  func() SeqState
	seqs    ConnMap[SeqState]
	seqFree freelist.List[SeqState]
}

// NewEngine returns an engine over the given analysers, which are called in
// the order given.
func NewEngine(as []Analyzer) *Engine {
	e := &Engine{all: as}
	for _, a := range as {
		if h, ok := a.(ConnHandler); ok {
			e.conns = append(e.conns, h)
		}
		if h, ok := a.(PreSegmentHandler); ok {
			e.pres = append(e.pres, h)
		}
		if h, ok := a.(SegmentHandler); ok {
			e.segs = append(e.segs, h)
		}
		if u, ok := a.(SeqStateUser); ok && e.newSeq == nil {
			e.newSeq = u.NewSeqState
		}
		if h, ok := a.(ExchangeHandler); ok {
			e.exch = append(e.exch, h)
		}
		if h, ok := a.(ConnReporter); ok {
			e.reps = append(e.reps, h)
		}
		if h, ok := a.(RecordHandler); ok {
			e.recs = append(e.recs, h)
		}
		if h, ok := a.(TransactionHandler); ok {
			e.txs = append(e.txs, h)
		}
		if p, ok := a.(Preparer); ok {
			e.preps = append(e.preps, p)
		}
	}
	return e
}

// Analyzers returns the analysers in dispatch order.
func (e *Engine) Analyzers() []Analyzer { return e.all }

// WantsSegments reports whether any analyser handles segments, so the
// caller can skip building Segment events otherwise.
func (e *Engine) WantsSegments() bool { return len(e.segs) > 0 || len(e.pres) > 0 }

// seq returns connection id's SeqState, made when it has none.
func (e *Engine) seq(id flow.ConnID) SeqState {
	if st, ok := e.seqs.Get(id); ok {
		return st
	}
	st, ok := e.seqFree.Take()
	if !ok {
		st = e.newSeq()
	}
	e.seqs.Put(id, st)
	return st
}

// ConnOpened dispatches a connection-opened event.
func (e *Engine) ConnOpened(c *ConnInfo) {
	if e.newSeq != nil {
		e.seq(c.ID)
	}
	for _, h := range e.conns {
		h.ConnOpened(c)
	}
}

// ConnClosed dispatches a connection-closed event, with c.Shared set; the
// connection's SeqState is let go after it.
func (e *Engine) ConnClosed(c *ConnClosed) {
	if e.newSeq != nil {
		c.Shared = e.seq(c.Conn.ID)
	}
	for _, h := range e.conns {
		h.ConnClosed(c)
	}
	if e.newSeq != nil {
		e.seqs.Delete(c.Conn.ID)
		if !e.seqFree.Full() {
			c.Shared.Reset()
			e.seqFree.Give(c.Shared)
		}
		c.Shared = nil
	}
}

// Segment dispatches a TCP segment event, with s.Shared set: to the
// PreSegmentHandlers, to the connection's SeqState, then to the
// SegmentHandlers.
func (e *Engine) Segment(s *Segment) {
	if e.newSeq != nil {
		s.Shared = e.seq(s.Conn.ID)
	}
	for _, h := range e.pres {
		h.PreSegment(s)
	}
	if e.newSeq != nil {
		s.Shared.Feed(s)
	}
	for _, h := range e.segs {
		h.Segment(s)
	}
}

// Exchange dispatches an HTTP exchange event.
func (e *Engine) Exchange(x *Exchange) {
	for _, h := range e.exch {
		h.Exchange(x)
	}
}

// ReportConn lets every ConnReporter fill its part of a connection record.
func (e *Engine) ReportConn(id flow.ConnID, rc *report.Connection) {
	for _, h := range e.reps {
		h.ReportConn(id, rc)
	}
}

// Record dispatches a finished connection record.
func (e *Engine) Record(rc *report.Connection) {
	for _, h := range e.recs {
		h.Record(rc)
	}
}

// Transactions dispatches a batch of a connection's finished transaction
// records (in index order; the batches of a connection in order too).
func (e *Engine) Transactions(conn flow.ConnID, txs []report.Transaction) {
	if len(txs) == 0 {
		return
	}
	for _, h := range e.txs {
		h.Transactions(conn, txs)
	}
}

// collector is the Emitter the engine hands to analysers.
type collector struct{ fs []report.Finding }

func (c *collector) Emit(f report.Finding) {
	if f.Count < 1 {
		f.Count = 1
	}
	if f.Evidence == nil {
		f.Evidence = map[string]any{}
	}
	c.fs = append(c.fs, f)
}

// Finish asks every analyser to add its results to rep (the Preparers'
// Prepare first, concurrently), then orders the findings deterministically
// (by time, connection, kind, summary), links them to their connections
// and transactions (report.LinkFindings), and fills the summary's finding
// counts. Connections and transactions must already be in rep (or its
// record log).
func (e *Engine) Finish(rep *report.Report) {
	e.prepare()
	col := &collector{}
	for _, a := range e.all {
		a.Finish(rep, col)
	}
	fs := col.fs
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := &fs[i], &fs[j]
		if a.At != b.At {
			if a.At == "" || b.At == "" {
				return a.At != ""
			}
			return a.At < b.At
		}
		ac, bc := connKey(a), connKey(b)
		if ac != bc {
			return ac < bc
		}
		at, bt := txKey(a), txKey(b)
		if at != bt {
			return at < bt
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.Peer != b.Peer {
			return a.Peer < b.Peer
		}
		return a.Summary < b.Summary
	})
	rep.Findings = fs
	if rep.Summary.Findings == nil {
		rep.Summary.Findings = map[string]int{}
	}
	for i := range fs {
		rep.Summary.Findings[fs[i].Kind] += fs[i].Count
	}
	rep.LinkFindings()
}

// prepare runs the Preparers' Prepare, one on the caller's goroutine and
// each other on one of its own, and returns when all are done. A panic in
// one is raised again on the caller's goroutine, with its stack.
func (e *Engine) prepare() {
	if len(e.preps) == 0 {
		return
	}
	failed := make([]*GoroutinePanic, len(e.preps))
	run := func(i int) {
		defer func() {
			if v := recover(); v != nil {
				failed[i] = Recovered(v, "Prepare's goroutine")
			}
		}()
		e.preps[i].Prepare()
	}
	var wg sync.WaitGroup
	for i := 1; i < len(e.preps); i++ {
		wg.Go(func() { run(i) })
	}
	run(0)
	wg.Wait()
	for _, p := range failed {
		if p != nil {
			panic(p.String())
		}
	}
}

// GoroutinePanic is a panic recovered on a goroutine of its own, with
// the stack where it happened, for the goroutine that waits for it to
// raise again (panic(p.String())): the value, the goroutine's name and its
// stack, so that the crash shows where it came from.
type GoroutinePanic struct {
	Value any
	Where string
	Stack []byte
}

// Recovered returns the panic v, just recovered on the goroutine named
// where, with the current stack. Call it in the deferred function that
// recovered v.
func Recovered(v any, where string) *GoroutinePanic {
	return &GoroutinePanic{Value: v, Where: where, Stack: debug.Stack()}
}

func (p *GoroutinePanic) String() string {
	return fmt.Sprintf("%v\n\n%s:\n%s", p.Value, p.Where, p.Stack)
}

func connKey(f *report.Finding) int64 {
	if f.Connection == nil {
		return -1
	}
	return int64(*f.Connection)
}

func txKey(f *report.Finding) int {
	if f.Transaction == nil {
		return -1
	}
	return *f.Transaction
}
