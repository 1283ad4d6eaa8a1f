package analysis

import (
	"time"

	"connscope/flow"
	"connscope/report"
)

// Config holds the settings analysers may read. Zero values mean defaults.
type Config struct {
	// TimeWait is the TIME_WAIT duration assumed for connection holders
	// (default 60 s, Linux TCP_TIMEWAIT_LEN).
	TimeWait time.Duration
	// PortRangeLo and PortRangeHi are the client's ephemeral port range
	// (default 32768–60999, Linux).
	PortRangeLo, PortRangeHi int
	// MaxParallel is the per-server connection count above which parallel
	// connections are flagged (default 6, the browser norm).
	MaxParallel int
	// MaxPeers caps the (client host, server endpoint) pairs tracked by
	// per-peer analysers (default 100,000); pairs past it are counted in
	// the "analysis_peer_limit" anomaly and not tracked.
	MaxPeers int
	// Series turns on the recording of per-connection segment time series
	// (report.Connection.Series, for time-sequence graphs); off by default.
	Series bool
	// SeriesMaxPoints caps the segments recorded per connection (default
	// 4000).
	SeriesMaxPoints int
	// SeriesConns is how many of the most troubled connections keep their
	// series in the report (default 20).
	SeriesConns int
	// Params sets detector thresholds by name ("nagle.warn_min_stalls":
	// "3"; see Param and Factory.Options). Values are checked before a run
	// (CheckParams); a detector ignores a value that does not parse.
	Params map[string]string
	// Pages, when set, is where the analysers' per-connection Histories
	// keep their full pages (History.Store) instead of the heap.
	Pages PageStore
}

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	if c.TimeWait == 0 {
		c.TimeWait = 60 * time.Second
	}
	if c.PortRangeLo == 0 && c.PortRangeHi == 0 {
		c.PortRangeLo, c.PortRangeHi = 32768, 60999
	}
	if c.MaxParallel == 0 {
		c.MaxParallel = 6
	}
	if c.MaxPeers == 0 {
		c.MaxPeers = 100000
	}
	if c.SeriesMaxPoints == 0 {
		c.SeriesMaxPoints = 4000
	}
	if c.SeriesConns == 0 {
		c.SeriesConns = 20
	}
	return c
}

// Analyzer is one detector. It receives typed events on the engine's
// goroutine, in capture order, through the optional handler interfaces below
// (ConnHandler, SegmentHandler, ExchangeHandler), and adds what it found to
// the report at the end. Handlers must not block, do I/O, start goroutines or
// keep the event pointers they are given (copy what they keep).
type Analyzer interface {
	// Name is a stable snake_case identifier.
	Name() string
	// Finish adds the analyser's findings and sections to the report. It is
	// called once after the last event; out emits findings. The report's
	// connection records may be in a record log (rep.Deferred): an
	// analyser that judges records implements RecordHandler instead of
	// reading rep.Connections here.
	Finish(rep *report.Report, out Emitter)
}

// ConnHandler receives connection open and close events.
type ConnHandler interface {
	ConnOpened(c *ConnInfo)
	ConnClosed(c *ConnClosed)
}

// SegmentHandler receives every TCP segment of every connection (after
// the connection's SeqState was fed it).
type SegmentHandler interface {
	Segment(s *Segment)
}

// PreSegmentHandler receives every TCP segment before the connection's
// SeqState is fed it, to judge the segment against the state before it.
type PreSegmentHandler interface {
	PreSegment(s *Segment)
}

// SeqState is per-connection state that several analysers share instead
// of each keeping a copy: the connection's sequence spaces and RTT samples
// as rtt.Tracker follows them. The engine keeps one per connection from
// ConnOpened until ConnClosed, feeds it each segment once (after the
// PreSegmentHandlers, before the SegmentHandlers) and hands it over in
// Segment.Shared and ConnClosed.Shared. Analysers read it and never change
// it.
type SeqState interface {
	Feed(s *Segment)
	// Reset empties the state for another connection.
	Reset()
}

// SeqStateUser is an analyser that reads the shared SeqState; the engine
// makes the states with the first one's NewSeqState.
type SeqStateUser interface {
	NewSeqState() SeqState
}

// ExchangeHandler receives HTTP/1.x exchanges.
type ExchangeHandler interface {
	Exchange(e *Exchange)
}

// ConnReporter fills its part of a connection's record when the connection
// is written to the report (e.g. RTT statistics). It is called after
// ConnClosed for that connection.
type ConnReporter interface {
	ReportConn(id flow.ConnID, rc *report.Connection)
}

// RecordHandler sees every finished connection record once: TCP
// connections as they close (after the ConnReporters filled the record),
// UDP ones (QUIC) at the end, before Finish. Records are not kept in
// memory for Finish to read (they may be in a report.RecordLog), so an
// analyser that judges records collects what it needs here. It must not
// keep rc.
type RecordHandler interface {
	Record(rc *report.Connection)
}

// TransactionHandler sees the finished transaction records of every
// connection, in index order, in one batch or several: a long-lived
// connection's are handed on as they accumulate, before it closes, so
// that memory does not follow its length; the last batch comes just
// before the connection's record (RecordHandler). It must not keep txs.
type TransactionHandler interface {
	Transactions(conn flow.ConnID, txs []report.Transaction)
}

// PendingReporter is an analyser whose Finish runs only once (it concludes
// and forgets state) but which can emit, any number of times and without
// changing its state, the findings it has already concluded: those of
// connections that have closed. Live snapshots show them before the end.
type PendingReporter interface {
	Pending(out Emitter)
}

// Preparer is an analyser whose Finish has a heavy part that reads only
// the analyser's own state (judging per-peer histories): Prepare does that
// part and keeps what it found for Finish. Engine.Finish calls the
// Prepare of every Preparer just before the Finish calls, each on a
// goroutine of its own and concurrently with the others, so that several
// analysers' judging shares the cores while nothing else runs. Prepare
// must not read or change the report, emit, or touch anything another
// analyser can reach. Finish uses what Prepare found and forgets it, and
// prepares by itself when Prepare was not called (an engine is not the
// only caller), so a later Finish never sees an earlier Prepare's results.
type Preparer interface {
	Prepare()
}

// Prepared is what a Preparer's Prepare found, kept for its Finish (Set),
// which takes it (Take) and so makes the contract of Preparer hold: Take
// calls prepare first when Prepare was not called since the last Take, and
// forgets what it returns.
type Prepared[T any] struct {
	val T
	ok  bool
}

// Set keeps v for the next Take.
func (p *Prepared[T]) Set(v T) { p.val, p.ok = v, true }

// Take returns what Set kept since the last Take, calling prepare (which
// must call Set) first when nothing was, and forgets it.
func (p *Prepared[T]) Take(prepare func()) T {
	if !p.ok {
		prepare()
	}
	v := p.val
	*p = Prepared[T]{}
	return v
}

// Findings is an Emitter that keeps the findings in a list, in the order
// emitted (a Preparer's, until its Finish emits them).
type Findings []report.Finding

// Emit implements Emitter.
func (l *Findings) Emit(f report.Finding) { *l = append(*l, f) }

// Emitter records findings. Findings that name a connection are linked to it
// by the engine.
type Emitter interface {
	Emit(f report.Finding)
}

// KindDoc documents one finding kind for `connscope explain`.
type KindDoc struct {
	Kind     string
	Severity string
	// Title is one line; Explain teaches the concept, the rule with its
	// thresholds, and the fix, in plain paragraphs.
	Title   string
	Explain string
}

// Factory builds an analyser and documents what it emits.
type Factory struct {
	Name  string
	Doc   string
	Kinds []KindDoc
	New   func(cfg Config) Analyzer
	// Options, when set, returns a pointer to a new copy of the detector's
	// default thresholds: its fields are the Params that Config.Params can
	// set (as "<Name>.<field>"), which New applies.
	Options func() any
}
