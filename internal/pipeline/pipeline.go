package pipeline

import (
	"cmp"
	"context"
	"errors"
	"io"
	"runtime"
	"runtime/debug"
	"time"

	"connscope/analysis"
	"connscope/analysis/registry"
	"connscope/capture"
	"connscope/flow"
	"connscope/httpdecode"
	"connscope/internal/freelist"
	"connscope/proto/dns"
	"connscope/reassembly"
	"connscope/report"
)

// Config configures one run.
type Config struct {
	Tracker   reassembly.Config
	HTTP      httpdecode.Limits
	Analysis  analysis.Config
	Analyzers []analysis.Factory // nil: registry.Default()
	Tool      report.Tool
	// OnConnection, when set, is called as each connection leaves the
	// tracker with its finished record and transactions (live streaming).
	// Finding links are not known yet at that point. It must not keep rc
	// or txs (copy what it keeps). Run calls it on the analysers'
	// goroutine (see Workers), RunLive on its own.
	OnConnection func(rc *report.Connection, txs []report.Transaction)
	// Snapshot, when set, receives every SnapshotEvery (wall clock) an
	// immutable report of the state so far, in RunLive and Replay (not
	// Run): see snapshot.go. It is called on the pipeline's goroutine and
	// must not block. Snapshots come less often when building them (with
	// the call) would take more than a tenth of the time: they judge the
	// whole capture so far, so they cost more as it grows.
	Snapshot      func(rep *report.Report)
	SnapshotEvery time.Duration // 0: DefaultSnapshotEvery
	// RecordLog, when On, makes Run keep the finished connection records
	// and transactions in a report.RecordLog (the report's Deferred)
	// instead of its lists, and the analysers' full history pages in a
	// temporary file (analysis.Config.Pages, unless the caller set one),
	// so memory follows the open connections rather than the length of
	// the capture. WriteJSON and WriteNDJSON write such a report straight
	// from the log; the other writers decode it first. RunLive keeps no
	// log (LiveConfig.KeepRecords bounds its records) but always puts the
	// history pages in a file, in Dir.
	// The caller closes the log (rep.Deferred.Close) when done with the
	// report.
	RecordLog RecordLogConfig
	// Workers is how many goroutines Run may keep busy at once (0 or
	// less: GOMAXPROCS). With 1 it does everything on the calling goroutine:
	// reading, tracking, the analysers and the record log's encoding.
	// With more, those run as stages on goroutines of their own (see the
	// package doc), which keeps about two cores busy. The report is the
	// same either way. RunLive and Replay always call the analysers on
	// the goroutine that tracks the connections.
	Workers int
	// Progress, when set, is called by Run on its goroutine every
	// ProgressPackets packets read with the source's counters so far, and
	// once with final set when reading ends (before the report is built).
	// It must be quick and must not modify st.
	Progress func(st capture.Stats, final bool)
}

// RecordLogConfig configures Config.RecordLog.
type RecordLogConfig struct {
	On bool
	// Memory is the bytes of encoded records kept in memory before they
	// go to the spill file (0: report.DefaultRecordLogMemory).
	Memory int
	// Dir is where the spill files are created ("": the system's
	// temporary directory).
	Dir string
	// TransactionsAhead is how many transaction records a connection
	// keeps before it hands them to the log ahead of its record (0:
	// DefaultTransactionsAhead).
	TransactionsAhead int
}

// DefaultTransactionsAhead is RecordLogConfig.TransactionsAhead's
// default: memory then follows the connections open, not how long they
// live.
const DefaultTransactionsAhead = 64

// ProgressPackets is how many packets Run reads between Progress calls.
const ProgressPackets = 8192

// DefaultConfig returns the defaults of every stage.
func DefaultConfig() Config {
	return Config{
		Tracker: reassembly.DefaultConfig(),
		Tool:    report.Tool{Name: "connscope", Version: "dev"},
	}
}

// Run reads src to the end (or until ctx is cancelled, in which case the
// report covers what was read and says it was interrupted) and returns the
// report. A read error also returns the partial report, with the error.
func Run(ctx context.Context, src capture.Source, cfg Config) (*report.Report, error) {
	var pages *pageFile
	if cfg.RecordLog.On {
		pages = usePageFile(&cfg)
		defer pages.Close() // finish closes it; this is for a panic
	}
	r := newRun(cfg)
	r.pages = pages
	if cfg.RecordLog.On {
		r.log = report.NewRecordLog(cfg.RecordLog.Memory, cfg.RecordLog.Dir)
		r.rep.Deferred = r.log
		// Transaction records go to the log as they accumulate, unless
		// OnConnection wants each connection's with it.
		if cfg.OnConnection == nil {
			r.ahead = cmp.Or(cfg.RecordLog.TransactionsAhead, DefaultTransactionsAhead)
		}
	} else {
		r.store = &recordStore{}
	}
	workers := cfg.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var pf packetReader
	if workers == 1 {
		if r.log != nil {
			r.log.EncodeInline()
		}
		pf = &directReader{src: src}
	} else {
		r.stage = newAnalysisStage(r)
		// The source is read and decoded on a goroutine of its own, a
		// few batches ahead (capture.Prefetch): the packets, their order
		// and the counters are the source's.
		pf = capture.Prefetch(src)
	}
	defer pf.Stop()
	var readErr error
	stopped := false
	for n := 0; ; n++ {
		if n&1023 == 0 && !stopped && ctx.Err() != nil {
			// Stop reading; the rest of the batch already read (at most a
			// few hundred packets) is still analysed, so the capture
			// counters are those of the packets analysed.
			r.rep.Interrupted = true
			pf.Stop()
			stopped = true
		}
		p, err := pf.Next()
		if err != nil {
			switch {
			case errors.Is(err, capture.ErrStopped):
			case ctx.Err() != nil:
				// A read cut short by the cancellation (a blocked stdin
				// pipe whose read was stopped): the run was interrupted.
				r.rep.Interrupted = true
			case !errors.Is(err, io.EOF):
				readErr = err
			}
			break
		}
		r.packet(p)
		if r.cfg.Progress != nil && n%ProgressPackets == ProgressPackets-1 {
			r.cfg.Progress(pf.Stats(), false)
		}
	}
	pf.Stop()
	if r.cfg.Progress != nil {
		r.cfg.Progress(pf.Stats(), true)
	}
	r.finish(pf.Stats())
	return r.rep, r.pagesErr(readErr)
}

// packetReader is what Run reads packets from: a capture.Prefetcher, or
// the Source itself (directReader) when Run keeps to one goroutine.
type packetReader interface {
	Next() (*capture.Packet, error)
	Stats() capture.Stats
	Stop()
}

// directReader reads its Source on the caller's goroutine, like a
// Prefetcher without the goroutine: after Stop, Next returns
// capture.ErrStopped.
type directReader struct {
	src     capture.Source
	stopped bool
}

func (d *directReader) Next() (*capture.Packet, error) {
	if d.stopped {
		return nil, capture.ErrStopped
	}
	return d.src.Next()
}

func (d *directReader) Stats() capture.Stats { return d.src.Stats() }
func (d *directReader) Stop()                { d.stopped = true }

// run holds the state of one pipeline run.
type run struct {
	cfg     Config
	tracker *reassembly.Tracker
	engine  *analysis.Engine
	rep     *report.Report
	conns   analysis.ConnMap[*connState]
	seg     analysis.Segment
	vant    map[string]int
	anoms   map[string]uint64
	segsOn  bool
	lastID  flow.ConnID
	udp     []UDPDecoder
	protos  []tcpProtocol
	// store, when set (offline Run), holds the finished records until
	// finish instead of r.rep (records.go).
	store *recordStore
	// log, when set (offline Run with Config.RecordLog), holds them
	// instead, encoded; counts has the summary counts of the records in
	// it.
	log *report.RecordLog
	// pages, when set (offline Run with Config.RecordLog, and RunLive),
	// keeps the analysers' full history pages; finish closes it.
	pages  *pageFile
	counts report.Summary
	// ahead, when not 0, is how many transaction records a connection
	// hands to the log at a time as they accumulate, before it closes.
	ahead int
	// httpFree holds the HTTP decoders of closed connections for reuse.
	httpFree freelist.List[*httpdecode.Conn]
	// closed and rec are ConnClosed's event and record, reused.
	closed analysis.ConnClosed
	rec    report.Connection
	// stage, when set (offline Run), runs the analysers on a goroutine of
	// their own until finish; refused counts the records the record log
	// refused (on that goroutine while it runs).
	stage   *analysisStage
	refused uint64
}

// newHTTP returns an HTTP decoder reporting to st, recycled when one is
// free.
func (r *run) newHTTP(st *connState) *httpdecode.Conn {
	if c, ok := r.httpFree.Take(); ok {
		c.Reset(st, r.cfg.HTTP)
		return c
	}
	return httpdecode.NewConn(st, r.cfg.HTTP)
}

// releaseHTTP takes the HTTP decoder of the closed connection st back for
// reuse; st must not use it again.
func (r *run) releaseHTTP(st *connState) {
	if st.http != nil {
		r.httpFree.Give(st.http)
	}
	st.http = nil
}

// nextID hands out connection ids for every transport in order of first
// packet.
func (r *run) nextID() flow.ConnID {
	r.lastID++
	return r.lastID
}

func newRun(cfg Config) *run {
	if cfg.Tracker.MaxConns == 0 {
		def := reassembly.DefaultConfig()
		def.ClassifyPayload = cfg.Tracker.ClassifyPayload
		cfg.Tracker = def
	}
	if cfg.Tracker.ClassifyPayload == nil {
		cfg.Tracker.ClassifyPayload = classifyPayload
	}
	facts := cfg.Analyzers
	if facts == nil {
		facts = registry.Default()
	}
	acfg := cfg.Analysis.WithDefaults()
	as := make([]analysis.Analyzer, 0, len(facts))
	for _, f := range facts {
		as = append(as, f.New(acfg))
	}
	r := &run{
		cfg:    cfg,
		engine: analysis.NewEngine(as),
		rep: &report.Report{
			SchemaVersion: report.SchemaVersion,
			Tool:          cfg.Tool,
		},
		vant:  map[string]int{},
		anoms: map[string]uint64{},
	}
	r.segsOn = r.engine.WantsSegments()
	cfg.Tracker.NextID = r.nextID
	r.tracker = reassembly.New(cfg.Tracker, r)
	r.udp = udpDecoders(r.nextID)
	var dnsTr *dns.Tracker
	for _, u := range r.udp {
		if d, ok := u.(*dnsDecoder); ok {
			dnsTr = d.tr
		}
	}
	r.protos = tcpProtocols(dnsTr)
	return r
}

func (r *run) packet(p *capture.Packet) {
	switch p.Proto {
	case capture.ProtoTCP:
		r.tracker.Packet(p)
	case capture.ProtoUDP:
		for _, u := range r.udp {
			u.Datagram(p.Time, p.Index, p.Src, p.Dst, p.Payload)
		}
	}
}

// classifyPayload tells the tracker who sent the first payload of a
// connection whose handshake was not seen.
func classifyPayload(p []byte) int {
	switch {
	case httpdecode.LooksLikeRequest(p), looksLikeTLSClientHello(p), hasPrefix(p, h2Preface):
		return +1
	case httpdecode.LooksLikeResponse(p):
		return -1
	}
	return 0
}

var h2Preface = []byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")

func hasPrefix(p, pre []byte) bool {
	n := len(pre)
	if len(p) < n {
		n = len(p)
	}
	return n >= 8 && string(p[:n]) == string(pre[:n])
}

// looksLikeTLSClientHello: handshake record (22), TLS major version 3,
// handshake type 1 (RFC 8446 §5.1, §4).
func looksLikeTLSClientHello(p []byte) bool {
	return len(p) >= 6 && p[0] == 22 && p[1] == 3 && p[5] == 1
}

// ConnOpened implements reassembly.Sink.
func (r *run) ConnOpened(c *reassembly.Conn) reassembly.Stream {
	st := &connState{run: r, id: c.ID}
	st.info = analysis.ConnInfo{
		ID:         c.ID,
		Client:     c.Client,
		Server:     c.Server,
		Start:      c.Start,
		SYN:        c.Handshake.SYN,
		RoleSource: c.Roles.String(),
		ServerHalf: c.Handshake.ServerHalf(),
		ClientHalf: c.Handshake.ClientHalf(),
		MSS:        negotiatedMSS(&c.Handshake),
		WScale:     [2]int{-1, -1},
	}
	if c.Handshake.Client.Seen && c.Handshake.Server.Seen && c.Handshake.Client.WScale >= 0 && c.Handshake.Server.WScale >= 0 {
		// Each side's shift applies to the windows it advertises.
		st.info.WScale = [2]int{int(c.Handshake.Client.WScale), int(c.Handshake.Server.WScale)}
	}
	r.conns.Put(c.ID, st)
	if r.stage != nil {
		r.stage.opened(&st.info)
	} else {
		r.engine.ConnOpened(&st.info)
	}
	return st
}

func negotiatedMSS(h *reassembly.Handshake) int {
	a, b := int(h.Client.MSS), int(h.Server.MSS)
	switch {
	case a == 0:
		return b
	case b == 0:
		return a
	case a < b:
		return a
	}
	return b
}

// Segment implements reassembly.Sink.
func (r *run) Segment(c *reassembly.Conn, s *reassembly.SegmentInfo) {
	st, _ := c.Stream().(*connState) // ConnOpened's: no map lookup per packet
	if st == nil {
		return
	}
	if o, ok := st.dec.(segmentObserver); ok {
		o.Segment(s)
	}
	if st.settled {
		return // the analysers concluded it (ConnSettled); the tracker counts it
	}
	if s.Flags&capture.FlagACK != 0 && st.info.ClientHalf == 0 && c.Handshake.ACK != 0 {
		// The handshake completed after ConnOpened: refresh the halves.
		st.info.ServerHalf = c.Handshake.ServerHalf()
		st.info.ClientHalf = c.Handshake.ClientHalf()
		if r.stage != nil {
			r.stage.halves(c.ID, st.info.ServerHalf, st.info.ClientHalf)
		}
	}
	if !r.segsOn {
		return
	}
	r.seg = analysis.Segment{
		Conn:    &st.info,
		Time:    s.Time,
		Index:   s.Index,
		Dir:     s.Dir,
		Seq:     s.Seq,
		Ack:     s.Ack,
		Flags:   s.Flags,
		Window:  s.Window,
		Len:     s.Len,
		WireLen: s.WireLen,
		Kind:    analysis.SegmentKind(s.Kind),
		RelSeq:  s.RelSeq,
		TSval:   s.TSval,
		TSecr:   s.TSecr,
		HasTS:   s.HasTS,
	}
	if r.stage != nil {
		r.stage.segment(c.ID, &r.seg)
		return
	}
	r.engine.Segment(&r.seg)
}

// ConnSettled implements reassembly.Settler: a connection closed by FIN
// both ways with both FINs acknowledged is concluded for the analysers
// now, while its state is fresh in the cache, and their per-connection
// state is let go; during its quiet linger the tracker still counts late
// packets into what its record says (packets, bytes, end), and the record
// is built when it leaves the table (ConnClosed). Without this the
// analysers held the state of every connection of the last second: most
// of the live heap and of the cache misses on a capture of short
// connections. Its transaction records, complete now (the HTTP decoder
// is finished), go to the record log ahead of it when transactions go
// ahead at all, rather than waiting in memory through the linger.
func (r *run) ConnSettled(c *reassembly.Conn) {
	st, _ := r.conns.Get(c.ID)
	if st == nil || st.settled {
		return
	}
	st.settled = true
	cc := r.closeEvent(c, st)
	r.releaseHTTP(st)
	if r.ahead > 0 && len(st.txs) > 0 {
		r.transactionsAhead(c.ID, st.txs)
		st.txs = nil
	}
	if r.stage != nil {
		r.stage.settled(c.ID, &st.info, cc)
		return
	}
	r.engine.ConnClosed(cc)
}

// ConnClosed implements reassembly.Sink.
func (r *run) ConnClosed(c *reassembly.Conn) {
	st, _ := r.conns.Get(c.ID)
	if st == nil {
		// Never opened (no payload and closed before roles settled cannot
		// happen: the tracker opens every connection before closing it).
		return
	}
	r.conns.Delete(c.ID)
	var cc *analysis.ConnClosed // nil: the analysers had it at ConnSettled
	if !st.settled {
		cc = r.closeEvent(c, st)
	}
	// The record does not depend on what the analysers do with the close:
	// it is built first, and they see both (on their goroutine, offline).
	st.record(c, &r.rec)
	r.releaseHTTP(st)
	r.vant[r.rec.Vantage]++
	if r.stage != nil {
		r.stage.closed(c.ID, cc, &r.rec, st.txs)
		return
	}
	r.concluded(c.ID, cc, &r.rec, st.txs)
}

// closeEvent finishes the HTTP decoder of st and builds the analysers'
// close event of c in the run's own field, reused for every connection
// (handlers copy what they keep).
func (r *run) closeEvent(c *reassembly.Conn, st *connState) *analysis.ConnClosed {
	if st.http != nil {
		st.http.Close(int64(c.End))
	}
	st.info.ServerHalf = c.Handshake.ServerHalf()
	st.info.ClientHalf = c.Handshake.ClientHalf()
	r.closed = analysis.ConnClosed{
		Conn:           &st.info,
		End:            c.End,
		CloseKind:      c.Close.Kind.String(),
		Initiator:      c.Close.Initiator.String(),
		TimeWaitHolder: c.Close.TimeWaitHolder.String(),
		CloseAt:        c.Close.At,
		Refused:        c.Close.Refused,
		RSTUnreadData:  c.Close.RSTUnreadData,
		SYNRetries:     c.Handshake.SYNRetries,
		HandshakeDone:  c.Handshake.Complete,
	}
	cc := &r.closed
	for d := 0; d < 2; d++ {
		ds := &c.Dir[d]
		cc.FIN[d], cc.RST[d] = ds.FIN, ds.RST
		cc.Packets[d], cc.Payload[d] = ds.Packets, ds.PayloadBytes
		cc.Retrans[d], cc.GapBytes[d] = ds.Retransmissions, ds.GapBytes
	}
	return cc
}

// concluded hands a closed connection to the analysers (ConnClosed, unless
// cc is nil because they had it at ConnSettled, then ReportConn to fill
// their parts of rc) and the finished record on (finished). It runs where
// the analysers run.
func (r *run) concluded(id flow.ConnID, cc *analysis.ConnClosed, rc *report.Connection, txs []report.Transaction) {
	if cc != nil {
		r.engine.ConnClosed(cc)
	}
	r.engine.ReportConn(id, rc)
	r.finished(rc, txs)
}

// finished takes a finished connection record (TCP as it leaves the
// tracker, UDP at the end of the run) with its transactions, which it
// owns: the analysers' RecordHandlers see it, then it goes to the record
// log, the record store or the report's lists, and to OnConnection. rc is
// not kept.
func (r *run) finished(rc *report.Connection, txs []report.Transaction) {
	r.engine.Transactions(flow.ConnID(rc.ID), txs)
	r.engine.Record(rc)
	if r.log != nil {
		r.addToLog(rc, txs)
		if r.cfg.OnConnection != nil {
			r.cfg.OnConnection(rc, txs)
		}
		return
	}
	if r.store != nil {
		p := r.store.addConn(rc)
		r.store.addTxs(txs)
		if r.cfg.OnConnection != nil {
			r.cfg.OnConnection(p, txs)
		}
		return
	}
	r.rep.Connections = append(r.rep.Connections, *rc)
	r.rep.Transactions = append(r.rep.Transactions, txs...)
	if r.cfg.OnConnection != nil {
		r.cfg.OnConnection(&r.rep.Connections[len(r.rep.Connections)-1], txs)
	}
}

func (r *run) finish(cs capture.Stats) {
	r.tracker.Flush()
	if r.stage != nil {
		r.stage.stop()
		r.stage = nil
	}
	// Every connection is reported: the tracker's and the detectors'
	// per-connection state is garbage now. Collecting it before the
	// detectors' Finish and the writers lets them allocate in its place
	// instead of growing the heap past its peak (about 20 MB of peak RSS
	// on a capture of 256 k connections, for a collection of a few tens
	// of milliseconds). The pages it frees go back to the system at once:
	// Finish's largest allocations (each history's heap of rows) want
	// runs of pages that the freed small objects seldom leave, and would
	// otherwise be new pages on top of the old (2 MB of peak RSS with one
	// goroutine on that capture).
	debug.FreeOSMemory()
	// The UDP decoders' connections (QUIC) finish only now.
	for _, u := range r.udp {
		u.Records(func(rc *report.Connection) { r.finished(rc, nil) })
	}
	if r.store != nil {
		r.store.moveTo(r.rep)
	}
	rep := r.rep
	rep.Capture = r.captureReport(cs, r.vant)
	for _, u := range r.udp {
		u.Finish(rep)
	}
	if r.log != nil {
		addSums(&rep.Summary, &r.counts)
		if err := r.log.Spilled(); err != nil {
			r.rep.Capture.Anomalies[AnomalyRecordLogInMemory]++
		}
	}
	if r.pages != nil && r.pages.inMemory() {
		r.rep.Capture.Anomalies[AnomalyHistoryInMemory]++
	}
	summarize(rep)
	r.engine.Finish(rep)
	if r.pages != nil {
		r.pages.Close() // the histories are judged
	}
	report.Normalize(rep)
}

// AnomalyRecordLogInMemory counts runs whose record log could not use its
// spill file and kept every record in memory.
const AnomalyRecordLogInMemory = "record_log_in_memory"

// AnomalyHistoryInMemory counts runs whose analysers' history pages could
// not go to their spill file and were kept in memory.
const AnomalyHistoryInMemory = "history_pages_in_memory"

// transactionsAhead hands on a batch of connection id's transaction
// records (which it owns) before the connection closes: to where the
// analysers run.
func (r *run) transactionsAhead(id flow.ConnID, txs []report.Transaction) {
	if r.stage != nil {
		r.stage.transactions(id, txs)
		return
	}
	r.aheadDone(id, txs)
}

// aheadDone gives the analysers and the record log a batch of
// transactions handed on ahead of their connection's close. It runs
// where the analysers run.
func (r *run) aheadDone(id flow.ConnID, txs []report.Transaction) {
	r.engine.Transactions(id, txs)
	if err := r.log.AddTransactions(uint32(id), txs); err != nil {
		r.refused++
		r.rep.Transactions = append(r.rep.Transactions, txs...)
	}
}

// addToLog adds a finished record to the record log, or to the report's
// lists if the log refuses it (a transaction of another connection), so
// nothing is lost.
func (r *run) addToLog(rc *report.Connection, txs []report.Transaction) {
	if err := r.log.Add(rc, txs); err != nil {
		r.refused++
		r.rep.Connections = append(r.rep.Connections, *rc)
		r.rep.Transactions = append(r.rep.Transactions, txs...)
		return
	}
	countRecord(&r.counts, rc)
}

// AnomalyRecordLogRefused counts records the record log refused, kept in
// the report's lists instead.
const AnomalyRecordLogRefused = "record_log_refused"

// captureReport builds the report's capture object from the source's
// counters, the tracker's and the HTTP parsers' anomalies, and vant (the
// vantage of each connection reported).
func (r *run) captureReport(cs capture.Stats, vant map[string]int) report.Capture {
	c := report.Capture{
		Sources:   cs.Sources,
		Formats:   cs.Formats,
		LinkTypes: cs.LinkTypes,
		Packets:   cs.Packets,
		Bytes:     cs.Bytes,
		Decoded:   cs.Decoded,
		Start:     report.FormatTime(cs.First),
		End:       report.FormatTime(cs.Last),
		Dropped:   cs.Dropped,
		Vantage:   analysis.CaptureVantage(vant),
		Anomalies: map[string]uint64{},
	}
	if cs.Last > cs.First {
		c.DurationUS = flow.Micros(time.Duration(cs.Last - cs.First))
	}
	for k, v := range cs.Anomalies {
		c.Anomalies[k] += v
	}
	for k, v := range r.tracker.Stats().Anomalies {
		c.Anomalies[k] += v
	}
	for k, v := range r.anoms {
		c.Anomalies[k] += v
	}
	if r.refused > 0 {
		c.Anomalies[AnomalyRecordLogRefused] += r.refused
	}
	return c
}

// summarize sorts the connections and transactions of rep (sortRecords)
// and adds the summary counts that come from them.
func summarize(rep *report.Report) {
	sortRecords(rep)
	for i := range rep.Connections {
		countRecord(&rep.Summary, &rep.Connections[i])
	}
	rep.Summary.DNSLookups = len(rep.DNSLookups)
}

// countRecord adds one connection record to the summary counts that come
// from records.
func countRecord(s *report.Summary, c *report.Connection) {
	if c.Transport != "udp" {
		s.TCPConnections++
	}
	if c.HTTP != nil {
		s.HTTPRequests += c.HTTP.Requests
		s.HTTPResponses += c.HTTP.Responses
		s.PipelinedRequests += c.HTTP.Pipelined
		if c.HTTP.Requests >= 2 {
			s.ReusedConnections++
		}
	}
	if c.TLS != nil || c.Protocol == "tls" {
		s.TLSConnections++
	}
	if c.WebSocket != nil || c.Protocol == "websocket" {
		s.WebSocketConnections++
	}
	if c.H2 != nil || c.Protocol == "h2c" || c.Protocol == "h2" {
		s.H2Connections++
		if c.H2 != nil {
			s.H2Streams += c.H2.Streams
		}
	}
	if c.QUIC != nil || c.Protocol == "quic" {
		s.QUICConnections++
	}
}
