package pipeline

import (
	"maps"
	"time"

	"connscope/analysis"
	"connscope/analysis/body"
	"connscope/analysis/hopbyhop"
	"connscope/analysis/parallel"
	"connscope/analysis/peers"
	"connscope/analysis/reuse"
	"connscope/analysis/rtt"
	"connscope/capture"
	"connscope/reassembly"
	"connscope/report"
)

// DefaultSnapshotEvery is the snapshot period when Config.SnapshotEvery is 0.
const DefaultSnapshotEvery = 500 * time.Millisecond

// snapshotSafe names the analysers whose Finish leaves their state as it
// was, so that it can run on every snapshot without changing the final
// report (TestSnapshotAnalyzersRepeatable checks each one). The others
// consume their per-connection state in Finish (they conclude open
// connections, then forget them, or hand over pending findings once) and
// contribute to the final report only, except for what those implementing
// analysis.PendingReporter have already concluded (the findings of closed
// connections: loss, Nagle stalls, slow start, resets, pipelining).
// Findings in snapshots are therefore a subset of those of the final
// report.
var snapshotSafe = map[string]bool{
	body.Name:     true,
	hopbyhop.Name: true,
	parallel.Name: true,
	peers.Name:    true,
	reuse.Name:    true,
	rtt.Name:      true,
}

// pendingOnly is an analyser in a snapshot whose Finish emits only what it
// has concluded so far. Only Name and Finish are promoted: the snapshot
// engine sends it no events.
type pendingOnly struct {
	analysis.Analyzer
	p analysis.PendingReporter
}

func (a pendingOnly) Finish(_ *report.Report, out analysis.Emitter) { a.p.Pending(out) }

// snapshotEvery returns the snapshot period of cfg.
func (cfg *Config) snapshotEvery() time.Duration {
	if cfg.SnapshotEvery > 0 {
		return cfg.SnapshotEvery
	}
	return DefaultSnapshotEvery
}

// snapshotShare is the most of the pipeline's time that building
// snapshots may take: a snapshot judges the whole capture so far (the
// per-peer histories of reuse and peers, every record kept), so it costs
// more as the capture grows, and past some size it would take longer than
// the period and starve the analysis.
const snapshotShare = 10 // one part in ten

// snapshotPacer says when the next snapshot is due: a period after the
// last one began, or later if building it took more than a tenth of that
// (then nine times its duration after it ended).
type snapshotPacer struct {
	every time.Duration
	next  time.Time
}

// due reports whether a snapshot is due at now.
func (p *snapshotPacer) due(now time.Time) bool { return !now.Before(p.next) }

// took records a snapshot built from start to end.
func (p *snapshotPacer) took(start, end time.Time) {
	p.next = start.Add(p.every)
	if slow := end.Add((snapshotShare - 1) * end.Sub(start)); slow.After(p.next) {
		p.next = slow
	}
}

// snapshot builds an immutable report of the state so far: the connections
// already closed, the connections still open (with Close.Kind "open"), their
// transactions, the capture counters cs, and the findings of the analysers
// whose Finish can run more than once (see snapshotSafe), computed on the
// copy. UDP decoders are not asked (their Finish runs once, at the end).
//
// The report shares no mutable memory with the run: it can be handed to
// another goroutine and read while the run goes on. Called on the run's
// goroutine.
func (r *run) snapshot(cs capture.Stats) *report.Report {
	rep := &report.Report{
		SchemaVersion: report.SchemaVersion,
		Tool:          r.rep.Tool,
		Connections:   make([]report.Connection, 0, len(r.rep.Connections)+r.conns.Len()),
		Transactions:  make([]report.Transaction, 0, len(r.rep.Transactions)),
	}
	for _, c := range r.rep.Connections {
		c.Findings = []int{}
		if c.Anomalies != nil {
			c.Anomalies = maps.Clone(c.Anomalies)
		}
		rep.Connections = append(rep.Connections, c)
	}
	for _, tx := range r.rep.Transactions {
		tx.Findings = nil
		rep.Transactions = append(rep.Transactions, tx)
	}
	vant := maps.Clone(r.vant)
	r.tracker.EachOpen(func(c *reassembly.Conn) {
		st, _ := r.conns.Get(c.ID)
		if st == nil {
			return
		}
		// The record takes the connection's anomaly map and decoders may
		// add to it: hand it a copy.
		saved := st.anomalies
		st.anomalies = maps.Clone(saved)
		var rc report.Connection
		st.record(c, &rc)
		st.anomalies = saved
		vant[rc.Vantage]++
		rep.Connections = append(rep.Connections, rc)
		for _, tx := range st.txs {
			tx.Findings = nil
			rep.Transactions = append(rep.Transactions, tx)
		}
	})
	rep.Capture = r.captureReport(cs, vant)
	summarize(rep)
	var safe []analysis.Analyzer
	for _, a := range r.engine.Analyzers() {
		if snapshotSafe[a.Name()] {
			safe = append(safe, a)
		} else if p, ok := a.(analysis.PendingReporter); ok {
			safe = append(safe, pendingOnly{a, p})
		}
	}
	analysis.NewEngine(safe).Finish(rep)
	// Analysers may keep and later update the evidence of findings they
	// emitted: the snapshot gets its own maps.
	for i := range rep.Findings {
		rep.Findings[i].Evidence = maps.Clone(rep.Findings[i].Evidence)
	}
	report.Normalize(rep)
	return rep
}
