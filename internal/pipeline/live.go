package pipeline

import (
	"context"
	"errors"
	"io"
	"maps"
	"sync/atomic"
	"time"

	"connscope/capture"
	"connscope/flow"
	"connscope/report"
)

// AnomalyLiveQueueOverflow counts packets a live capture read but had to
// drop because the queue between the capture and the analysis was full (the
// analysis could not keep up). They are also counted in capture.dropped,
// with the packets the kernel dropped.
const AnomalyLiveQueueOverflow = "live_queue_overflow"

// AnomalyLiveRecordsDropped counts closed connections whose records a long
// live capture let go (LiveConfig.KeepRecords), with their transactions:
// the report's connection list then starts later than the capture, while
// the summary counts still include them.
const AnomalyLiveRecordsDropped = "live_records_dropped"

// LiveConfig configures RunLive. Zero fields take the defaults listed.
type LiveConfig struct {
	// Duration ends the capture after this long (0: no limit).
	Duration time.Duration
	// Count ends the capture after this many TCP/UDP packets (0: no limit).
	Count uint64
	// BatchPackets is the most packets in one batch (default 256) and
	// ArenaBytes the payload bytes one batch holds (default 256 KiB).
	BatchPackets, ArenaBytes int
	// QueueBatches is the most batches waiting for the analysis (default
	// 32). When it is full, new packets are dropped and counted.
	QueueBatches int
	// KeepRecords bounds the closed connections whose records the run
	// keeps for the final report and the snapshots (default 100,000; past
	// it the oldest are let go, see AnomalyLiveRecordsDropped), so that a
	// long capture holds bounded memory. The summary counts still cover
	// them, and a streaming caller (Config.OnConnection) has written them.
	KeepRecords int
	// FlushEvery is the longest a partly filled batch waits before it is
	// queued (default 50 ms).
	FlushEvery time.Duration
	// Tick is the period of the wall-clock ticks that move the tracker's
	// clock forward, so that idle connections time out and closed ones are
	// reported when traffic stops (default 1 s).
	Tick time.Duration
}

func (lc LiveConfig) withDefaults() LiveConfig {
	if lc.BatchPackets <= 0 {
		lc.BatchPackets = 256
	}
	if lc.ArenaBytes <= 0 {
		lc.ArenaBytes = 256 << 10
	}
	if lc.QueueBatches <= 0 {
		lc.QueueBatches = 32
	}
	if lc.FlushEvery <= 0 {
		lc.FlushEvery = 50 * time.Millisecond
	}
	if lc.Tick <= 0 {
		lc.Tick = time.Second
	}
	if lc.KeepRecords <= 0 {
		lc.KeepRecords = 100000
	}
	return lc
}

// tickLag is how far behind the wall clock the ticks move the tracker: more
// than a packet waits in the kernel and in a partly filled batch, so that no
// queued packet is older than the tracker's clock.
const tickLag = time.Second

// batch is a group of packets with their payloads copied into one arena.
// Batches are recycled: a run allocates QueueBatches+2 of them.
type batch struct {
	pkts  []capture.Packet
	arena []byte
}

// add copies p into b; it reports false when b is full.
func (b *batch) add(p *capture.Packet) bool {
	if len(b.pkts) == cap(b.pkts) {
		return false
	}
	if len(b.arena)+len(p.Payload) > cap(b.arena) {
		if len(b.pkts) > 0 {
			return false
		}
		// One payload larger than an arena (not with the default sizes):
		// this batch gets a larger one.
		b.arena = make([]byte, 0, len(p.Payload))
	}
	off := len(b.arena)
	b.arena = append(b.arena, p.Payload...)
	q := *p
	q.Payload = b.arena[off:len(b.arena):len(b.arena)]
	b.pkts = append(b.pkts, q)
	return true
}

func (b *batch) reset() {
	clear(b.pkts) // drop payload references
	b.pkts = b.pkts[:0]
	b.arena = b.arena[:0]
}

// liveReader reads the Source on its own goroutine into batches.
type liveReader struct {
	src  capture.Source
	lc   LiveConfig
	full chan *batch   // filled batches, closed when reading ends
	free chan *batch   // empty batches
	stop chan struct{} // closed to end reading

	overflow atomic.Uint64                 // packets dropped: queue full
	stats    atomic.Pointer[capture.Stats] // latest counters, for snapshots

	// Set before full is closed.
	err   error
	final capture.Stats
}

func newLiveReader(src capture.Source, lc LiveConfig) *liveReader {
	rd := &liveReader{
		src:  src,
		lc:   lc,
		full: make(chan *batch, lc.QueueBatches),
		free: make(chan *batch, lc.QueueBatches+2),
		stop: make(chan struct{}),
	}
	// The reader holds one batch, the analysis one, the queue the rest:
	// after a successful send a free batch is always there.
	for range lc.QueueBatches + 2 {
		rd.free <- &batch{
			pkts:  make([]capture.Packet, 0, lc.BatchPackets),
			arena: make([]byte, 0, lc.ArenaBytes),
		}
	}
	return rd
}

// trySend queues b without blocking.
func (rd *liveReader) trySend(b *batch) bool {
	select {
	case rd.full <- b:
		return true
	default:
		return false
	}
}

// run reads until the Source ends or fails, Count packets were read, or
// stop is closed. It never blocks on the analysis while reading: a packet
// that finds the queue full is dropped and counted.
func (rd *liveReader) run() {
	defer close(rd.full)
	cur := <-rd.free
	var n uint64
	lastFlush, lastStats := time.Now(), time.Time{}
loop:
	for {
		select {
		case <-rd.stop:
			break loop
		default:
		}
		p, err := rd.src.Next()
		switch {
		case err == nil:
			n++
			if !cur.add(p) {
				if rd.trySend(cur) {
					cur = <-rd.free
					lastFlush = time.Now()
					cur.add(p)
				} else {
					rd.overflow.Add(1)
				}
			}
		case errors.Is(err, capture.ErrTimeout):
		case errors.Is(err, io.EOF):
			break loop
		default:
			rd.err = err
			break loop
		}
		now := time.Now()
		if len(cur.pkts) > 0 && now.Sub(lastFlush) >= rd.lc.FlushEvery && rd.trySend(cur) {
			cur = <-rd.free
			lastFlush = now
		}
		if now.Sub(lastStats) >= 100*time.Millisecond {
			st := rd.src.Stats()
			rd.stats.Store(&st)
			lastStats = now
		}
		if rd.lc.Count > 0 && n >= rd.lc.Count {
			break
		}
	}
	if len(cur.pkts) > 0 {
		rd.full <- cur // the analysis drains the queue until it is closed
	}
	rd.final = rd.src.Stats()
}

// withOverflow adds the queue's drops to source counters cs (a copy).
func withOverflow(cs capture.Stats, overflow uint64) capture.Stats {
	if overflow == 0 {
		return cs
	}
	cs.Dropped += overflow
	cs.Anomalies = maps.Clone(cs.Anomalies)
	if cs.Anomalies == nil {
		cs.Anomalies = map[string]uint64{}
	}
	cs.Anomalies[AnomalyLiveQueueOverflow] += overflow
	return cs
}

// RunLive analyses a live Source (capture.OpenLive) until lc.Duration
// passes, lc.Count packets were read, the Source ends, or ctx is cancelled
// (SIGINT, SIGTERM; the report then says it was interrupted). The full
// report is returned in every case, with the read error if one ended the
// capture.
//
// The Source is read on its own goroutine into batches whose payloads are
// copied into reusable arenas; a bounded queue carries them to the calling
// goroutine, which runs reassembly, HTTP decoding and the analysis. Wall-
// clock ticks move the tracker's clock so that idle connections time out
// when traffic stops, and cfg.OnConnection streams each connection as it
// leaves the tracker. When cfg.Snapshot is set it receives a snapshot every
// cfg.SnapshotEvery. RunLive returns only after the reading goroutine has
// stopped, so the caller may then Close the Source.
func RunLive(ctx context.Context, src capture.Source, cfg Config, lc LiveConfig) (*report.Report, error) {
	lc = lc.withDefaults()
	// The analysers' histories keep a row per connection to the end: in a
	// capture that runs for days their full pages go to a file, as in an
	// offline run, not the heap.
	pages := usePageFile(&cfg)
	defer pages.Close() // finish closes it; this is for a panic
	r := newRun(cfg)
	r.pages = pages
	rd := newLiveReader(src, lc)
	go rd.run()

	tick := time.NewTicker(lc.Tick)
	defer tick.Stop()
	var snapC <-chan time.Time
	pacer := snapshotPacer{every: cfg.snapshotEvery()}
	if cfg.Snapshot != nil {
		t := time.NewTicker(pacer.every)
		defer t.Stop()
		snapC = t.C
	}
	var durC <-chan time.Time
	if lc.Duration > 0 {
		t := time.NewTimer(lc.Duration)
		defer t.Stop()
		durC = t.C
	}
	var kept keptRecords
	done := ctx.Done()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			close(rd.stop)
		}
	}
	for open := true; open; {
		select {
		case b, ok := <-rd.full:
			if !ok {
				open = false
				break
			}
			for i := range b.pkts {
				r.packet(&b.pkts[i])
			}
			b.reset()
			rd.free <- b
			if len(r.rep.Connections) > lc.KeepRecords+lc.KeepRecords/4 {
				kept.trim(r.rep, lc.KeepRecords)
			}
		case now := <-tick.C:
			if len(rd.full) == 0 {
				r.tracker.Advance(flow.Time(now.Add(-tickLag).UnixNano()))
			}
		case now := <-snapC:
			if !pacer.due(now) {
				break
			}
			var cs capture.Stats
			if p := rd.stats.Load(); p != nil {
				cs = *p
			}
			snap := r.snapshot(withOverflow(cs, rd.overflow.Load()))
			kept.apply(snap)
			cfg.Snapshot(snap)
			pacer.took(now, time.Now())
		case <-durC:
			durC = nil
			stop()
		case <-done:
			done = nil
			r.rep.Interrupted = true
			stop()
		}
	}
	r.finish(withOverflow(rd.final, rd.overflow.Load()))
	kept.apply(r.rep)
	return r.rep, r.pagesErr(rd.err)
}

// keptRecords accounts for the connection records a live run let go.
type keptRecords struct {
	dropped uint64
	sums    report.Summary // summary counts of the records let go
}

// trim lets go of the oldest closed connection records of rep (those first
// appended) and their transactions, keeping keep of them, and adds their
// summary counts to k.
func (k *keptRecords) trim(rep *report.Report, keep int) {
	n := len(rep.Connections) - keep
	if n <= 0 {
		return
	}
	gone := map[uint32]bool{}
	for i := range rep.Connections[:n] {
		gone[rep.Connections[i].ID] = true
	}
	// Transactions are appended with their connection, so those of the
	// connections let go come first.
	m := 0
	for m < len(rep.Transactions) && gone[rep.Transactions[m].Connection] {
		m++
	}
	old := report.Report{Connections: rep.Connections[:n], Transactions: rep.Transactions[:m]}
	summarize(&old)
	addSums(&k.sums, &old.Summary)
	k.dropped += uint64(n)
	// Copy what is kept so the dropped records can be freed.
	rep.Connections = append(make([]report.Connection, 0, keep+keep/4+1), rep.Connections[n:]...)
	rep.Transactions = append([]report.Transaction(nil), rep.Transactions[m:]...)
}

// apply adds the counts of the records let go to the final report.
func (k *keptRecords) apply(rep *report.Report) {
	if k.dropped == 0 {
		return
	}
	addSums(&rep.Summary, &k.sums)
	rep.Capture.Anomalies[AnomalyLiveRecordsDropped] += k.dropped
}

// addSums adds the summary counts that summarize derives from connection
// records.
func addSums(dst, src *report.Summary) {
	dst.TCPConnections += src.TCPConnections
	dst.HTTPRequests += src.HTTPRequests
	dst.HTTPResponses += src.HTTPResponses
	dst.PipelinedRequests += src.PipelinedRequests
	dst.ReusedConnections += src.ReusedConnections
	dst.TLSConnections += src.TLSConnections
	dst.WebSocketConnections += src.WebSocketConnections
	dst.H2Connections += src.H2Connections
	dst.H2Streams += src.H2Streams
	dst.QUICConnections += src.QUICConnections
}

// ReplayConfig configures Replay.
type ReplayConfig struct {
	// Speed paces the replay: 1 replays at the pace of the capture, 2 twice
	// as fast; 0 replays as fast as possible.
	Speed float64
}

// Replay is Run for a capture replayed under a terminal UI: it reads src
// like Run (the final report is the same, byte for byte) and, when
// cfg.Snapshot is set, hands it a snapshot every cfg.SnapshotEvery of wall
// time. With rc.Speed > 0 packets are released at the pace of their
// timestamps, scaled by the speed.
func Replay(ctx context.Context, src capture.Source, cfg Config, rc ReplayConfig) (*report.Report, error) {
	r := newRun(cfg)
	pacer := snapshotPacer{every: cfg.snapshotEvery()}
	pacer.next = time.Now().Add(pacer.every)
	snap := func(now time.Time) {
		if cfg.Snapshot != nil && pacer.due(now) {
			cfg.Snapshot(r.snapshot(src.Stats()))
			pacer.took(now, time.Now())
		}
	}
	var (
		readErr error
		start   time.Time
		first   flow.Time
	)
	for n := 0; ; n++ {
		if n&255 == 0 {
			if ctx.Err() != nil {
				r.rep.Interrupted = true
				break
			}
			snap(time.Now())
		}
		p, err := src.Next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				readErr = err
			}
			break
		}
		if rc.Speed > 0 {
			if start.IsZero() {
				start, first = time.Now(), p.Time
			}
			due := start.Add(time.Duration(float64(p.Time-first) / rc.Speed))
			if !r.waitUntil(ctx, due, &pacer.next, snap) {
				r.rep.Interrupted = true
				break
			}
		}
		r.packet(p)
	}
	r.finish(src.Stats())
	return r.rep, readErr
}

// waitUntil sleeps until due, taking the snapshots that fall due meanwhile.
// It reports false when ctx was cancelled first.
func (r *run) waitUntil(ctx context.Context, due time.Time, nextSnap *time.Time, snap func(time.Time)) bool {
	for {
		now := time.Now()
		if !now.Before(due) {
			return true
		}
		wake := due
		if r.cfg.Snapshot != nil && nextSnap.Before(wake) {
			wake = *nextSnap
		}
		t := time.NewTimer(max(wake.Sub(now), 0))
		select {
		case <-ctx.Done():
			t.Stop()
			return false
		case now = <-t.C:
		}
		snap(now)
	}
}
