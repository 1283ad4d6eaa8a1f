package analysis

import (
	"sort"

	"connscope/flow"
	"connscope/report"
)

// Engine dispatches events to analysers and collects their findings.
type Engine struct {
	all   []Analyzer
	conns []ConnHandler
	segs  []SegmentHandler
	exch  []ExchangeHandler
	reps  []ConnReporter
	recs  []RecordHandler
}

// NewEngine returns an engine over the given analysers, which are called in
// the order given.
func NewEngine(as []Analyzer) *Engine {
	e := &Engine{all: as}
	for _, a := range as {
		if h, ok := a.(ConnHandler); ok {
			e.conns = append(e.conns, h)
		}
		if h, ok := a.(SegmentHandler); ok {
			e.segs = append(e.segs, h)
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
	}
	return e
}

// Analyzers returns the analysers in dispatch order.
func (e *Engine) Analyzers() []Analyzer { return e.all }

// WantsSegments reports whether any analyser handles segments, so the
// caller can skip building Segment events otherwise.
func (e *Engine) WantsSegments() bool { return len(e.segs) > 0 }

// ConnOpened dispatches a connection-opened event.
func (e *Engine) ConnOpened(c *ConnInfo) {
	for _, h := range e.conns {
		h.ConnOpened(c)
	}
}

// ConnClosed dispatches a connection-closed event.
func (e *Engine) ConnClosed(c *ConnClosed) {
	for _, h := range e.conns {
		h.ConnClosed(c)
	}
}

// Segment dispatches a TCP segment event.
func (e *Engine) Segment(s *Segment) {
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
func (e *Engine) Record(rc *report.Connection, txs []report.Transaction) {
	for _, h := range e.recs {
		h.Record(rc, txs)
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

// Finish asks every analyser to add its results to rep, then orders the
// findings deterministically (by time, connection, kind, summary), links
// them to their connections and transactions (report.LinkFindings), and
// fills the summary's finding counts. Connections and transactions must
// already be in rep (or its record log).
func (e *Engine) Finish(rep *report.Report) {
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
