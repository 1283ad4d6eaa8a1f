package rtt

import (
	"slices"
	"time"

	"connscope/analysis"
	"connscope/flow"
	"connscope/report"
)

// Name is the analyser's name.
const Name = "rtt"

// MaxStored caps the samples kept per connection direction for the median.
const MaxStored = 64

// Factory returns the registry entry of the analyser.
func Factory() analysis.Factory {
	return analysis.Factory{
		Name: Name,
		Doc:  "round-trip time per connection from the handshake and data→ACK samples (Karn and delayed-ACK filtered)",
		New:  func(analysis.Config) analysis.Analyzer { return New() },
	}
}

// reservoir keeps a uniformly thinned subset of at most MaxStored values:
// when full it keeps every other value and from then on stores only every
// stride-th new one. It is deterministic.
type reservoir struct {
	vals         []time.Duration
	stride, skip int
}

func (r *reservoir) add(v time.Duration) {
	if r.skip > 0 {
		r.skip--
		return
	}
	r.vals = append(r.vals, v)
	if r.stride == 0 {
		r.stride = 1
	}
	if len(r.vals) >= MaxStored {
		k := 0
		for i := 0; i < len(r.vals); i += 2 {
			r.vals[k] = r.vals[i]
			k++
		}
		r.vals = r.vals[:k]
		r.stride *= 2
	}
	r.skip = r.stride - 1
}

type dirSamples struct {
	res      reservoir
	min, max time.Duration
	n        int
	suspect  int
}

type connState struct {
	dir [2]dirSamples
}

// Recycle implements analysis.Recycler: a closed connection's state is
// reused, keeping its sample buffers (at most MaxStored values each).
func (cs *connState) Recycle() {
	v0, v1 := cs.dir[0].res.vals[:0], cs.dir[1].res.vals[:0]
	*cs = connState{}
	cs.dir[0].res.vals, cs.dir[1].res.vals = v0, v1
}

// Analyzer collects RTT samples per connection.
type Analyzer struct {
	conns analysis.ConnMap[*connState]
	free  analysis.FreeList[connState]
	done  analysis.ConnMap[*report.RTT]
	all   []time.Duration // scratch for stats
}

// New returns an RTT analyser.
func New() *Analyzer {
	return &Analyzer{}
}

// Name implements analysis.Analyzer.
func (a *Analyzer) Name() string { return Name }

// NewSeqState implements analysis.SeqStateUser: the samples come from the
// connection's shared Tracker.
func (a *Analyzer) NewSeqState() analysis.SeqState { return NewSeqState() }

// ConnOpened implements analysis.ConnHandler.
func (a *Analyzer) ConnOpened(c *analysis.ConnInfo) {
	a.conns.Put(c.ID, a.free.Get())
}

// Segment implements analysis.SegmentHandler.
func (a *Analyzer) Segment(s *analysis.Segment) {
	cs, _ := a.conns.Get(s.Conn.ID)
	if cs == nil {
		cs = a.free.Get()
		a.conns.Put(s.Conn.ID, cs)
	}
	smp, ok := Of(s.Shared).Last()
	if !ok {
		return
	}
	ds := &cs.dir[smp.Dir]
	if smp.DelackSuspect {
		ds.suspect++
		return
	}
	if ds.n == 0 || smp.Raw < ds.min {
		ds.min = smp.Raw
	}
	if ds.n == 0 || smp.Raw > ds.max {
		ds.max = smp.Raw
	}
	ds.n++
	ds.res.add(smp.Raw)
}

// ConnClosed implements analysis.ConnHandler: the statistics are computed
// and the per-connection state is released.
func (a *Analyzer) ConnClosed(c *analysis.ConnClosed) {
	cs, _ := a.conns.Get(c.Conn.ID)
	a.conns.Delete(c.Conn.ID)
	if cs == nil {
		cs = &connState{}
	}
	if st := cs.stats(Of(c.Shared), c.Conn, &a.all); st != nil {
		a.done.Put(c.Conn.ID, st)
	}
	a.free.Put(cs)
}

// ReportConn implements analysis.ConnReporter.
func (a *Analyzer) ReportConn(id flow.ConnID, rc *report.Connection) {
	if st, ok := a.done.Get(id); ok {
		rc.TCP.RTTUS = st
		a.done.Delete(id)
	}
}

// Finish implements analysis.Analyzer. It emits nothing.
func (a *Analyzer) Finish(*report.Report, analysis.Emitter) {}

// stats combines the handshake sample of conn with both directions' data
// samples, each raised by the sender's half (from conn's handshake or tr's
// samples) so that all estimate the end-to-end RTT. scratch is reused for
// the combined samples.
func (cs *connState) stats(tr *Tracker, conn *analysis.ConnInfo, scratch *[]time.Duration) *report.RTT {
	all := (*scratch)[:0]
	defer func() { *scratch = all[:0] }()
	var lo, hi time.Duration
	n := 0
	first := true
	include := func(min, max time.Duration) {
		if first || min < lo {
			lo = min
		}
		if first || max > hi {
			hi = max
		}
		first = false
	}
	dataMin := time.Duration(-1)
	for d := flow.Dir(0); d < 2; d++ {
		ds := &cs.dir[d]
		if ds.n == 0 {
			continue
		}
		half, _, _ := HalfOf(conn, tr, d)
		include(ds.min+half, ds.max+half)
		if dataMin < 0 || ds.min+half < dataMin {
			dataMin = ds.min + half
		}
		for _, v := range ds.res.vals {
			all = append(all, v+half)
		}
		n += ds.n
	}
	if h := HandshakeRTT(conn); h > 0 && (dataMin < 0 || h <= HandshakeSuspectFactor*dataMin) {
		include(h, h)
		all = append(all, h)
		n++
	}
	if n == 0 {
		return nil
	}
	slices.Sort(all)
	return &report.RTT{
		Min:     flow.Micros(lo),
		P50:     flow.Micros(all[(len(all)-1)/2]),
		Max:     flow.Micros(hi),
		Samples: n,
	}
}
