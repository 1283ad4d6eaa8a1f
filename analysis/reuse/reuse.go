package reuse

import (
	"fmt"
	"sort"
	"time"

	"connscope/analysis"
	"connscope/analysis/internal/h1"
	"connscope/flow"
	"connscope/report"
)

// Name is the analyser's name.
const Name = "reuse"

// Kind is the finding kind.
const Kind = "http_connection_not_reused"

// AnomalyPeerLimit counts peers past Config.MaxPeers that were not tracked.
const AnomalyPeerLimit = "analysis_reuse_peer_limit"

// Default thresholds.
const (
	// DefaultReuseWindow is how soon after a reusable connection closed a
	// new one must open to count as a missed reuse (detection-methods §3.1).
	DefaultReuseWindow = 2 * time.Second
	// DefaultMinReopened is the least number of reopened connections per
	// peer: with the first connection, a chain of three.
	DefaultMinReopened = 2
)

// Options are the detector's thresholds.
type Options struct {
	ReuseWindow time.Duration
	MinReopened int
}

// DefaultOptions returns the default thresholds.
func DefaultOptions() Options {
	return Options{ReuseWindow: DefaultReuseWindow, MinReopened: DefaultMinReopened}
}

// Factory returns the registry entry of the analyser.
func Factory() analysis.Factory {
	return analysis.Factory{
		Name:  Name,
		Doc:   "clients that open a new connection per request where keep-alive was possible",
		Kinds: Kinds(),
		New:   func(cfg analysis.Config) analysis.Analyzer { return New(cfg) },
	}
}

// Kinds documents the finding kind of the analyser.
func Kinds() []analysis.KindDoc {
	return []analysis.KindDoc{{
		Kind: Kind, Severity: report.SeverityWarning,
		Title: "a client opened a new connection for each request instead of reusing one",
		Explain: `Every new TCP connection costs a handshake round trip (more with TLS), starts in slow start, and leaves a TIME_WAIT entry behind on the side that closes first. HTTP/1.1 keeps connections open by default so that the next request to the same server can reuse them (RFC 9112 §9.3). A client that closes after each response and connects again pays all of that per request.

Rule: per client host and server endpoint, a connection is "reopened" when its handshake was seen, it carried exactly one request whose persistence the server did not refuse, and it was the next connection the client opened, within 2 s, after another connection of the same pair closed that the client could have kept using (its last exchange left it persistent and the client closed it, or the client itself had disabled persistence). The finding fires when there are at least 2 reopened connections (a chain of 3 or more). Severity warning. Evidence: connections, single_request_connections, requests, requests_per_connection, reopened, avoidable_setup_us (the setup time, SYN to first request, the reopened connections paid), client_disabled_keepalive.

Not counted (false positives avoided): connections the server refused to keep (Connection: close from the server, HTTP/1.0 without keep-alive, a close-delimited body) or closed itself (idle timeout, request budget); connections open in parallel; connections whose handshake was not captured. Still possible: several independent processes on one host (cron jobs, CLI tools) that each make one request look like one client.

What to change: use a connection pool (one HTTP client object reused for all requests), do not send Connection: close, use HTTP/1.1 (or HTTP/1.0 with keep-alive), and read each response to its end so the connection can return to the pool.`,
	}}
}

type connState struct {
	peer          h1.PeerKey
	requests      int
	firstReqStart int64
	firstBy       string
	lastBy        string
	lastAnswered  bool
}

// rec is one closed connection.
type rec struct {
	id             flow.ConnID
	start, close   flow.Time
	setup          time.Duration
	requests       int
	syn            bool
	reusable       bool
	single         bool
	clientDisabled bool
}

// Flags of a rec in its history row.
const (
	recSYN = 1 << iota
	recReusable
	recSingle
	recClientDisabled
	recClosed // close is set (else 0)
)

// row returns r as a history row: id, start, close - start, setup,
// requests, flags.
func (r *rec) row() (id, start, closeRel, setup, requests, flags int64) {
	f := bit(r.syn, recSYN) | bit(r.reusable, recReusable) | bit(r.single, recSingle) |
		bit(r.clientDisabled, recClientDisabled) | bit(r.close != 0, recClosed)
	if r.close != 0 {
		closeRel = int64(r.close - r.start)
	}
	return int64(r.id), int64(r.start), closeRel, int64(r.setup), int64(r.requests), f
}

func bit(on bool, b int64) int64 {
	if on {
		return b
	}
	return 0
}

// byStart orders rec rows by start, then id (History.Sorted).
func byStart(row []int64) (int64, int64) { return row[1], row[0] }

// recOf is the inverse of rec.row.
func recOf(row []int64) rec {
	f := row[5]
	r := rec{
		id: flow.ConnID(row[0]), start: flow.Time(row[1]), setup: time.Duration(row[3]), requests: int(row[4]),
		syn: f&recSYN != 0, reusable: f&recReusable != 0, single: f&recSingle != 0, clientDisabled: f&recClientDisabled != 0,
	}
	if f&recClosed != 0 {
		r.close = r.start + flow.Time(row[2])
	}
	return r
}

type peerState struct {
	recs analysis.History // rows of rec.row
}

// Analyzer is the reuse detector.
type Analyzer struct {
	cfg      analysis.Config
	opt      Options
	conns    analysis.ConnMap[*connState]
	free     analysis.FreeList[connState]
	peers    map[h1.PeerKey]*peerState
	dropped  int
	prepared analysis.Prepared[analysis.Findings]
}

// New returns a reuse detector with the default options.
func New(cfg analysis.Config) *Analyzer { return NewWithOptions(cfg, DefaultOptions()) }

// NewWithOptions returns a reuse detector with the given thresholds.
func NewWithOptions(cfg analysis.Config, o Options) *Analyzer {
	return &Analyzer{cfg: cfg.WithDefaults(), opt: o, peers: map[h1.PeerKey]*peerState{}}
}

// Name implements analysis.Analyzer.
func (a *Analyzer) Name() string { return Name }

// ConnOpened implements analysis.ConnHandler.
func (a *Analyzer) ConnOpened(c *analysis.ConnInfo) {
	pk := h1.PeerOf(c)
	if _, ok := a.peers[pk]; !ok {
		if len(a.peers) >= a.cfg.MaxPeers {
			a.dropped++
			return
		}
		a.peers[pk] = &peerState{recs: analysis.History{Store: a.cfg.Pages}}
	}
	st := a.free.Get()
	st.peer = pk
	a.conns.Put(c.ID, st)
}

// Exchange implements analysis.ExchangeHandler.
func (a *Analyzer) Exchange(e *analysis.Exchange) {
	s, _ := a.conns.Get(e.Conn.ID)
	if s == nil || e.Request == nil {
		return
	}
	by, _ := h1.Persistence(e.Request, e.Response)
	s.requests++
	if s.requests == 1 {
		s.firstReqStart, s.firstBy = e.Request.Start, by
	}
	s.lastBy, s.lastAnswered = by, e.Response != nil || h1.ResponseLost(e.Request)
}

// ConnClosed implements analysis.ConnHandler.
func (a *Analyzer) ConnClosed(c *analysis.ConnClosed) {
	s, _ := a.conns.Get(c.Conn.ID)
	if s == nil {
		return
	}
	a.conns.Delete(c.Conn.ID)
	ps := a.peers[s.peer]
	ci := c.Conn
	r := rec{id: ci.ID, start: ci.Start, requests: s.requests, syn: ci.SYN != 0}
	if r.syn {
		r.start = ci.SYN
	}
	r.close = c.CloseAt
	if r.close == 0 || c.CloseKind == "open" || c.CloseKind == "idle_timeout" || c.CloseKind == "evicted" {
		r.close = 0 // never closed in the capture: cannot be a predecessor
	}
	if s.requests > 0 {
		r.reusable = s.lastBy == h1.ByClient || (s.lastBy == "" && s.lastAnswered && c.Initiator == "client")
		r.single = s.requests == 1 && s.firstBy != h1.ByServer
		r.clientDisabled = s.firstBy == h1.ByClient
		if r.syn && s.firstReqStart > int64(ci.SYN) {
			r.setup = time.Duration(s.firstReqStart - int64(ci.SYN))
		}
	}
	ps.recs.Append(r.row())
	a.free.Put(s)
}

// Prepare implements analysis.Preparer: it judges every peer.
func (a *Analyzer) Prepare() {
	keys := make([]h1.PeerKey, 0, len(a.peers))
	for k := range a.peers {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].Less(keys[j]) })
	var judged analysis.Findings
	for _, k := range keys {
		if f, ok := a.judge(k, a.peers[k]); ok {
			judged.Emit(f)
		}
	}
	a.prepared.Set(judged)
}

// Finish implements analysis.Analyzer. It leaves the peer tables as they
// are: live snapshots call it again and again.
func (a *Analyzer) Finish(rep *report.Report, out analysis.Emitter) {
	for _, f := range a.prepared.Take(a.Prepare) {
		out.Emit(f)
	}
	if a.dropped > 0 {
		if rep.Capture.Anomalies == nil {
			rep.Capture.Anomalies = map[string]uint64{}
		}
		rep.Capture.Anomalies[AnomalyPeerLimit] += uint64(a.dropped)
	}
}

func (a *Analyzer) judge(k h1.PeerKey, ps *peerState) (report.Finding, bool) {
	// Pair each reusable close, in time order, with the next connection
	// the client opened after it (first come, first served): that
	// connection is the one that could have been avoided. A later
	// connection is not: the client had already moved on to another one.
	// One pass over the connections in order of start (History.Sorted):
	// the closes of those seen wait in a heap until the starts pass them,
	// then in a queue, in time order, for the next start; connections
	// that start at the same instant are taken together, so that a close
	// at that instant can pair with any of them.
	var site h1.Site
	var avoidable time.Duration
	n, requests, singles, clientDisabled := 0, 0, 0, 0
	var future analysis.Heap[flow.Time]
	var passed analysis.Queue[flow.Time]
	var group []rec
	flush := func() {
		if len(group) == 0 {
			return
		}
		at := group[0].start
		for _, r := range group {
			if r.reusable && r.close != 0 {
				future.Push(r.close)
			}
		}
		for future.Len() > 0 && future.Min() <= at {
			passed.Push(future.Pop())
		}
		for _, r := range group {
			if passed.Len() == 0 {
				break
			}
			closeAt := passed.Pop()
			if !r.single || !r.syn || r.start.Sub(closeAt) > a.opt.ReuseWindow {
				continue
			}
			site.Add(r.start, r.id, 0)
			avoidable += r.setup
			if r.clientDisabled {
				clientDisabled++
			}
		}
		group = group[:0]
	}
	for row := range ps.recs.Sorted(byStart, analysis.LateRows) {
		r := recOf(row)
		n++
		requests += r.requests
		if r.single {
			singles++
		}
		if len(group) > 0 && group[0].start != r.start {
			flush()
		}
		group = append(group, r)
	}
	flush()
	if site.Count < a.opt.MinReopened {
		return report.Finding{}, false
	}
	f := report.Finding{Kind: Kind, Severity: report.SeverityWarning, Peer: k.String(), Evidence: map[string]any{
		"connections":                n,
		"single_request_connections": singles,
		"requests":                   requests,
		"requests_per_connection":    h1.Round2(float64(requests) / float64(n)),
		"reopened":                   site.Count,
		"avoidable_setup_us":         h1.US(avoidable),
		"client_disabled_keepalive":  clientDisabled,
	}}
	site.Apply(&f)
	f.DurationUS = h1.US(avoidable)
	f.Summary = fmt.Sprintf("%s opened %d new connections to %s for one request each instead of reusing one (%.2f requests per connection)", k.Client, site.Count, k.Server, float64(requests)/float64(n))
	f.Advice = "Reuse connections: keep one HTTP client (connection pool) for all requests, drop Connection: close, use HTTP/1.1 or HTTP/1.0 keep-alive, and read responses to the end so connections return to the pool."
	return f, true
}
