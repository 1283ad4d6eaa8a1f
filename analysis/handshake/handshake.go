package handshake

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
const Name = "handshake"

// Kind is the finding kind.
const Kind = "tcp_handshake_dominated"

// AnomalyPeerLimit counts peers past Config.MaxPeers that were not tracked.
const AnomalyPeerLimit = "analysis_handshake_peer_limit"

// Default thresholds.
const (
	// DefaultMinShare is 0.45, not 0.5: a one-round-trip exchange on a
	// fresh TCP connection has a share just under 0.5 (server time and
	// transfer are the rest), and it is the case the rule is for.
	DefaultMinShare         = 0.45
	DefaultMaxResponseBytes = 64 << 10
	DefaultMinSetup         = time.Millisecond
	DefaultPreconnectRTTs   = 2
)

// Options are the detector's thresholds.
type Options struct {
	MinShare         float64
	MaxResponseBytes int64
	MinSetup         time.Duration
	PreconnectRTTs   int
}

// DefaultOptions returns the default thresholds.
func DefaultOptions() Options {
	return Options{MinShare: DefaultMinShare, MaxResponseBytes: DefaultMaxResponseBytes, MinSetup: DefaultMinSetup, PreconnectRTTs: DefaultPreconnectRTTs}
}

// Factory returns the registry entry of the analyser.
func Factory() analysis.Factory {
	return analysis.Factory{
		Name:  Name,
		Doc:   "share of short exchanges on fresh connections spent on connection setup",
		Kinds: Kinds(),
		New: func(cfg analysis.Config) analysis.Analyzer {
			o := DefaultOptions()
			_ = analysis.ApplyParams(cfg.Params, Name, &o)
			return NewWithOptions(cfg, o)
		},
		Options: func() any { o := DefaultOptions(); return &o },
	}
}

// Kinds documents the finding kind of the analyser.
func Kinds() []analysis.KindDoc {
	return []analysis.KindDoc{{
		Kind: Kind, Severity: report.SeverityWarning,
		Title: "connection setup took half or more of a short exchange",
		Explain: `Before a client can send a request on a new TCP connection it waits one round trip for the handshake (SYN, SYN/ACK); TLS adds one or two more. For a small response that itself takes about one round trip, setup is then half or more of what the user waits for, and opening a new connection per request roughly halves throughput.

Rule: for the first exchange of a connection whose SYN was seen, setup = request start − SYN and total = last response byte − SYN + the client half round trip (the client-perceived time, detection-methods §1.3). The finding fires for a peer when setup/total ≥ 0.45 for a response of at most 64 KiB, setup ≥ 1 ms, the response complete, and the connection carried no further request. A connection whose request came more than 2 round trips after the handshake (a pre-connect) is skipped: nobody waited for that handshake. The share threshold is 0.45 rather than exactly 0.5 because a one-round-trip exchange on a new TCP connection — the case the rule is for — has a share just under 0.5 (server time and transfer are the rest). Severity info for one connection, warning for two or more. Evidence: setup_us, total_us, share (worst connection), setup_us_total, connections.

False positives: a single request on a new connection always has a share near 0.5 — only repeated occurrences are worth acting on; SYN retransmissions are excluded (the last SYN is used); pre-connected connections are skipped; on sub-millisecond round trips (LAN, loopback) nothing is reported.

What to change: reuse connections (HTTP keep-alive, a connection pool), use HTTP/2 or HTTP/3, enable TLS session resumption or TCP Fast Open, or move the server closer (CDN) to cut the round trip itself.`,
	}}
}

type cand struct {
	peer         h1.PeerKey
	id           flow.ConnID
	tx           int
	at           flow.Time
	setup, total time.Duration
	skipped      bool
	requests     int
}

type agg struct {
	site       h1.Site
	setupTotal time.Duration
	worst      cand
	worstConn  flow.ConnID
}

// Analyzer is the handshake-share detector.
type Analyzer struct {
	cfg     analysis.Config
	opt     Options
	conns   analysis.ConnMap[*cand]
	peers   map[h1.PeerKey]*agg
	dropped int
}

// New returns a detector with the default options.
func New(cfg analysis.Config) *Analyzer { return NewWithOptions(cfg, DefaultOptions()) }

// NewWithOptions returns a detector with the given thresholds.
func NewWithOptions(cfg analysis.Config, o Options) *Analyzer {
	return &Analyzer{cfg: cfg.WithDefaults(), opt: o, peers: map[h1.PeerKey]*agg{}}
}

// Name implements analysis.Analyzer.
func (a *Analyzer) Name() string { return Name }

// ConnOpened implements analysis.ConnHandler.
func (a *Analyzer) ConnOpened(*analysis.ConnInfo) {}

// Exchange implements analysis.ExchangeHandler.
func (a *Analyzer) Exchange(e *analysis.Exchange) {
	if e.Index > 0 {
		if c, _ := a.conns.Get(e.Conn.ID); c != nil {
			c.requests++
		}
		return
	}
	c := &cand{peer: h1.PeerOf(e.Conn), id: e.Conn.ID, tx: e.Index, requests: 1, skipped: true}
	a.conns.Put(e.Conn.ID, c)
	ci, q, r := e.Conn, e.Request, e.Response
	if ci.SYN == 0 || q == nil || r == nil || !r.Complete || r.Truncated || q.Start <= int64(ci.SYN) || r.End < q.Start {
		return
	}
	if int64(r.HeaderBytes)+r.BodyWireBytes > a.opt.MaxResponseBytes {
		return
	}
	setup := time.Duration(q.Start - int64(ci.SYN))
	total := time.Duration(r.End-int64(ci.SYN)) + ci.ClientHalf
	rtt := ci.ServerHalf + ci.ClientHalf
	if rtt > 0 && setup-rtt > time.Duration(a.opt.PreconnectRTTs)*rtt {
		return // a pre-connect: nobody waited for this handshake
	}
	if total <= 0 || setup < a.opt.MinSetup || float64(setup) < a.opt.MinShare*float64(total) {
		return
	}
	c.setup, c.total, c.at, c.skipped = setup, total, ci.SYN, false
}

// ConnClosed implements analysis.ConnHandler.
func (a *Analyzer) ConnClosed(cl *analysis.ConnClosed) {
	c, _ := a.conns.Get(cl.Conn.ID)
	if c == nil {
		return
	}
	a.conns.Delete(cl.Conn.ID)
	a.settle(c)
}

func (a *Analyzer) settle(c *cand) {
	if c.skipped || c.requests > 1 {
		return
	}
	pk := c.peer
	g := a.peers[pk]
	if g == nil {
		if len(a.peers) >= a.cfg.MaxPeers {
			a.dropped++
			return
		}
		g = &agg{}
		a.peers[pk] = g
	}
	g.site.Add(c.at, c.id, c.tx)
	g.setupTotal += c.setup
	if g.site.Count == 1 || share(c) > share(&g.worst) {
		g.worst, g.worstConn = *c, c.id
	}
}

func share(c *cand) float64 {
	if c.total <= 0 {
		return 0
	}
	return float64(c.setup) / float64(c.total)
}

// Finish implements analysis.Analyzer.
func (a *Analyzer) Finish(rep *report.Report, out analysis.Emitter) {
	// Connections never closed (not expected from the pipeline) count with
	// the exchanges seen.
	for id, c := range a.conns.All() {
		a.settle(c)
		a.conns.Delete(id)
	}
	keys := make([]h1.PeerKey, 0, len(a.peers))
	for k := range a.peers {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].Less(keys[j]) })
	for _, k := range keys {
		g := a.peers[k]
		sev := report.SeverityInfo
		if g.site.Count >= 2 {
			sev = report.SeverityWarning
		}
		w := &g.worst
		f := report.Finding{Kind: Kind, Severity: sev, Peer: k.String(), Evidence: map[string]any{
			"setup_us":         h1.US(w.setup),
			"total_us":         h1.US(w.total),
			"share":            h1.Round2(share(w)),
			"worst_connection": uint32(g.worstConn),
			"setup_us_total":   h1.US(g.setupTotal),
			"connections":      g.site.Count,
		}}
		g.site.Apply(&f)
		f.DurationUS = h1.US(g.setupTotal)
		f.Summary = fmt.Sprintf("connection setup took %.0f%% of the exchange on %d short-lived connection(s) to %s", 100*share(w), g.site.Count, k.Server)
		f.Advice = "Reuse connections (keep-alive, a connection pool) or use HTTP/2; TLS session resumption and a closer server cut the setup itself."
		out.Emit(f)
	}
	if a.dropped > 0 {
		if rep.Capture.Anomalies == nil {
			rep.Capture.Anomalies = map[string]uint64{}
		}
		rep.Capture.Anomalies[AnomalyPeerLimit] += uint64(a.dropped)
	}
}
