package pipeline

import (
	"sync/atomic"
	"time"

	"connscope/analysis"
	"connscope/flow"
	"connscope/httpdecode"
	"connscope/report"
)

// analysisStage runs the analysers on a goroutine of their own (offline
// Run): the tracker, the decoders and the building of records stay on the
// pipeline's goroutine, which hands the analysers' events over in batches,
// in the order it produced them. Each analyser therefore sees exactly the
// events, in the same order, as when one goroutine does everything, and the
// report is the same byte for byte.
//
// The stage goroutine owns, while it runs: the engine and its analysers,
// its own copy of each open connection's ConnInfo (the pipeline's copy
// changes when the handshake completes late; the change travels as an
// event), and what finished records go to (run.finished: the record log or
// store, the summary counts, OnConnection). stop hands all of it back.
type analysisStage struct {
	r    *run
	cur  *eventBatch
	jobs chan *eventBatch
	free chan *eventBatch
	done chan struct{}
	// failed holds a panic of the stage goroutine, raised again on the
	// pipeline's goroutine at the next hand-over (as if the analysers had
	// run there).
	failed atomic.Pointer[analysis.GoroutinePanic]

	// The stage goroutine's.
	infos analysis.ConnMap[*analysis.ConnInfo]
	seg   analysis.Segment
	ex    analysis.Exchange
	cc    analysis.ConnClosed
}

type eventKind uint8

const (
	evOpened eventKind = iota
	evHalves
	evSegment
	evExchange
	evSettled
	evClosed
	evTxs
)

// eventBatch is a run of events: kinds in order, the events of each kind
// in their own list.
type eventBatch struct {
	kinds  []eventKind
	opens  []analysis.ConnInfo
	halves []halvesEvent
	segs   []analysis.Segment // Conn nil: segIDs has the connection
	segIDs []flow.ConnID
	exchs  []exchangeEvent
	settls []settledEvent
	closes []closedEvent
	txs    []txsEvent
}

// txsEvent is a batch of a connection's transaction records handed on
// before it closes, which the event owns.
type txsEvent struct {
	id  flow.ConnID
	txs []report.Transaction
}

// halvesEvent: the handshake's halves became known after ConnOpened.
type halvesEvent struct {
	id             flow.ConnID
	server, client time.Duration
}

type exchangeEvent struct {
	id        flow.ConnID
	index     int
	req, resp *httpdecode.Message
	pipelined bool
}

// settledEvent is a connection's close for the analysers (cc.Conn nil):
// ahead of its record when the connection settled (run.ConnSettled), just
// before it otherwise.
type settledEvent struct {
	id             flow.ConnID
	server, client time.Duration
	cc             analysis.ConnClosed
}

// closedEvent is a connection's record and transactions, which the event
// owns; the analysers had its close in a settledEvent before.
type closedEvent struct {
	id  flow.ConnID
	rc  report.Connection
	txs []report.Transaction
}

// Batch sizes: a batch goes to the stage when it has this many events, or
// this many closes and batches of transactions together (each carries a
// record of several hundred bytes, or a few dozen of them).
const (
	stageBatchEvents = 2048
	stageBatchCloses = 128
	stageQueue       = 4
)

func newAnalysisStage(r *run) *analysisStage {
	s := &analysisStage{
		r:    r,
		cur:  &eventBatch{},
		jobs: make(chan *eventBatch, stageQueue),
		free: make(chan *eventBatch, stageQueue+2),
		done: make(chan struct{}),
	}
	go s.loop()
	return s
}

func (s *analysisStage) opened(info *analysis.ConnInfo) {
	b := s.cur
	b.kinds = append(b.kinds, evOpened)
	b.opens = append(b.opens, *info)
	s.added()
}

func (s *analysisStage) halves(id flow.ConnID, server, client time.Duration) {
	b := s.cur
	b.kinds = append(b.kinds, evHalves)
	b.halves = append(b.halves, halvesEvent{id, server, client})
	s.added()
}

func (s *analysisStage) segment(id flow.ConnID, seg *analysis.Segment) {
	b := s.cur
	b.kinds = append(b.kinds, evSegment)
	b.segs = append(b.segs, *seg)
	b.segs[len(b.segs)-1].Conn = nil
	b.segIDs = append(b.segIDs, id)
	s.added()
}

func (s *analysisStage) exchange(id flow.ConnID, x *analysis.Exchange) {
	b := s.cur
	b.kinds = append(b.kinds, evExchange)
	b.exchs = append(b.exchs, exchangeEvent{id: id, index: x.Index, req: x.Request, resp: x.Response, pipelined: x.Pipelined})
	s.added()
}

// settled hands over a connection's close for the analysers.
func (s *analysisStage) settled(id flow.ConnID, info *analysis.ConnInfo, cc *analysis.ConnClosed) {
	b := s.cur
	b.kinds = append(b.kinds, evSettled)
	b.settls = append(b.settls, settledEvent{id: id, server: info.ServerHalf, client: info.ClientHalf, cc: *cc})
	b.settls[len(b.settls)-1].cc.Conn = nil
	s.added()
}

// closed hands over a connection's record and transactions, after its
// close for the analysers (cc; nil when they had it from settled).
func (s *analysisStage) closed(id flow.ConnID, cc *analysis.ConnClosed, rc *report.Connection, txs []report.Transaction) {
	if cc != nil {
		s.settled(id, cc.Conn, cc)
	}
	b := s.cur
	b.kinds = append(b.kinds, evClosed)
	b.closes = append(b.closes, closedEvent{id: id, rc: *rc, txs: txs})
	if len(b.closes)+len(b.txs) >= stageBatchCloses {
		s.send()
		return
	}
	s.added()
}

// transactions hands over a batch of a connection's transaction records
// ahead of its close.
func (s *analysisStage) transactions(id flow.ConnID, txs []report.Transaction) {
	b := s.cur
	b.kinds = append(b.kinds, evTxs)
	b.txs = append(b.txs, txsEvent{id, txs})
	if len(b.closes)+len(b.txs) >= stageBatchCloses {
		s.send()
		return
	}
	s.added()
}

func (s *analysisStage) added() {
	if len(s.cur.kinds) >= stageBatchEvents {
		s.send()
	}
}

// send hands the current batch to the stage goroutine.
func (s *analysisStage) send() {
	if len(s.cur.kinds) == 0 {
		return
	}
	s.jobs <- s.cur
	s.check()
	select {
	case b := <-s.free:
		s.cur = b
	default:
		s.cur = &eventBatch{}
	}
}

// stop hands over the last batch and waits until the stage goroutine has
// analysed every event; the analysers and what run.finished writes to are
// the caller's again.
func (s *analysisStage) stop() {
	s.send()
	close(s.jobs)
	<-s.done
	s.check()
}

// check raises on the caller's goroutine a panic of the stage goroutine.
func (s *analysisStage) check() {
	if p := s.failed.Load(); p != nil {
		panic(p.String())
	}
}

func (s *analysisStage) loop() {
	defer close(s.done)
	defer func() {
		if v := recover(); v != nil {
			s.failed.Store(analysis.Recovered(v, "analysers' goroutine"))
			for range s.jobs { // let the pipeline's goroutine hand over and see it
			}
		}
	}()
	e := s.r.engine
	for b := range s.jobs {
		var no, nh, ns, nx, nst, nc, nt int
		for _, k := range b.kinds {
			switch k {
			case evOpened:
				info := new(analysis.ConnInfo)
				*info = b.opens[no]
				no++
				s.infos.Put(info.ID, info)
				e.ConnOpened(info)
			case evHalves:
				h := &b.halves[nh]
				nh++
				if info, _ := s.infos.Get(h.id); info != nil {
					info.ServerHalf, info.ClientHalf = h.server, h.client
				}
			case evSegment:
				info, _ := s.infos.Get(b.segIDs[ns])
				s.seg = b.segs[ns]
				ns++
				s.seg.Conn = info
				e.Segment(&s.seg)
			case evExchange:
				x := &b.exchs[nx]
				nx++
				info, _ := s.infos.Get(x.id)
				s.ex = analysis.Exchange{Conn: info, Index: x.index, Request: x.req, Response: x.resp, Pipelined: x.pipelined}
				e.Exchange(&s.ex)
			case evSettled:
				c := &b.settls[nst]
				nst++
				s.cc = c.cc
				s.cc.Conn = s.info(c.id, c.server, c.client)
				e.ConnClosed(&s.cc)
			case evClosed:
				c := &b.closes[nc]
				nc++
				s.r.concluded(c.id, nil, &c.rc, c.txs)
			case evTxs:
				t := &b.txs[nt]
				nt++
				s.r.aheadDone(t.id, t.txs)
			}
		}
		b.reset()
		select {
		case s.free <- b:
		default:
		}
	}
}

// info takes the stage's ConnInfo of a closing connection out of its map,
// with the handshake halves as they were at the close.
func (s *analysisStage) info(id flow.ConnID, server, client time.Duration) *analysis.ConnInfo {
	info, _ := s.infos.Get(id)
	s.infos.Delete(id)
	info.ServerHalf, info.ClientHalf = server, client
	return info
}

// reset empties b for reuse, letting go of what its events point to.
func (b *eventBatch) reset() {
	clear(b.exchs)
	clear(b.settls)
	clear(b.closes)
	clear(b.segs)
	clear(b.txs)
	b.kinds, b.opens, b.halves, b.segs, b.segIDs = b.kinds[:0], b.opens[:0], b.halves[:0], b.segs[:0], b.segIDs[:0]
	b.exchs, b.settls, b.closes, b.txs = b.exchs[:0], b.settls[:0], b.closes[:0], b.txs[:0]
}
