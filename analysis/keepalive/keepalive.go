package keepalive

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"connscope/analysis"
	"connscope/analysis/internal/h1"
	"connscope/flow"
	"connscope/httpdecode"
	"connscope/report"
)

// Name is the analyser's name.
const Name = "keepalive"

// Finding kinds.
const (
	KindDisabled = "http_keepalive_disabled"
	KindRace     = "http_idle_close_race"
	KindRetry    = "http_non_idempotent_retry"
	KindHang     = "http_keepalive_hang"
)

// AnomalyPeerLimit counts peers past Config.MaxPeers that were not tracked.
const AnomalyPeerLimit = "analysis_keepalive_peer_limit"

// Default thresholds.
const (
	// DefaultRaceLead is how long before the request the server's close may
	// have reached the capture point: the client's kernel had the FIN, but
	// its application took the connection from its idle pool unchecked.
	DefaultRaceLead = time.Second
	// DefaultRaceSlack is added to the server half RTT after the request:
	// a server whose idle timer fired just as the request arrived still
	// closes without reading it.
	DefaultRaceSlack = 2 * time.Millisecond
	// DefaultRetryWindow is how soon after the failure a repeated request
	// counts as its retry.
	DefaultRetryWindow = time.Second
	// DefaultHangTimeout is the least wait without a response byte for a
	// keep-alive hang (detection-methods §3.5 T_hang).
	DefaultHangTimeout = 5 * time.Second
)

// Limits of the per-peer retry matching.
const (
	// MaxFailedPerPeer caps the failed requests kept per peer for retry
	// matching (the oldest is dropped).
	MaxFailedPerPeer = 64
	// RecentPerPeer is how many recent requests per peer are kept to match
	// a failure reported after its retry.
	RecentPerPeer = 32
	// maxUnansweredPerConn caps the unanswered requests kept per connection.
	maxUnansweredPerConn = 8
)

// Options are the detector's thresholds.
type Options struct {
	RaceLead, RaceSlack, RetryWindow, HangTimeout time.Duration
}

// DefaultOptions returns the default thresholds.
func DefaultOptions() Options {
	return Options{RaceLead: DefaultRaceLead, RaceSlack: DefaultRaceSlack, RetryWindow: DefaultRetryWindow, HangTimeout: DefaultHangTimeout}
}

// Factory returns the registry entry of the analyser.
func Factory() analysis.Factory {
	return analysis.Factory{
		Name:  Name,
		Doc:   "HTTP persistence: keep-alive disabled, idle-close races, retried non-idempotent requests, dumb-proxy hangs",
		Kinds: Kinds(),
		New: func(cfg analysis.Config) analysis.Analyzer {
			o := DefaultOptions()
			_ = analysis.ApplyParams(cfg.Params, Name, &o)
			return NewWithOptions(cfg, o)
		},
		Options: func() any { o := DefaultOptions(); return &o },
	}
}

// req is what the detector keeps of one request.
type req struct {
	conn               flow.ConnID
	connStart          flow.Time
	idx                int
	method, target     string
	start, end         int64
	pipelined          bool
	respStart, respEnd int64
	answered           bool
}

// exch is what the detector keeps of an answered exchange.
type exch struct {
	status                 int
	idx                    int
	persistBy, reason      string
	reqKA, respKA          bool
	respStart, respEnd     int64
	reqEnd                 int64
	complete               bool
	keepAliveTimeout       int
	reqVersion, rspVersion string
	reqConn, rspConn       string
}

type conn struct {
	info       analysis.ConnInfo
	peer       h1.PeerKey
	n          int
	first      exch
	last       *exch // the latest answered exchange
	tailPrev   *exch // the answered exchange before the first unanswered one
	unanswered []req
	proxyish   bool
}

// failure is a request that got no response before its connection ended.
type failure struct {
	r       req
	peer    h1.PeerKey
	failAt  flow.Time
	endedBy string
	race    bool
	retry   *req
}

type disKey struct {
	peer       h1.PeerKey
	by, reason string
}

type disAgg struct {
	site  h1.Site
	first exch
}

type peerState struct {
	failed []*failure
	recent []req
}

// Analyzer is the keep-alive detector.
type Analyzer struct {
	cfg      analysis.Config
	opt      Options
	conns    analysis.ConnMap[*conn]
	free     analysis.FreeList[conn]
	peers    map[h1.PeerKey]*peerState
	disabled map[disKey]*disAgg
	failures []*failure
	races    []raceRec
	hangs    []report.Finding
	dropped  int
}

type raceRec struct {
	f    *failure
	find report.Finding
}

// New returns a keep-alive detector with the default options.
func New(cfg analysis.Config) *Analyzer { return NewWithOptions(cfg, DefaultOptions()) }

// NewWithOptions returns a keep-alive detector with the given thresholds.
func NewWithOptions(cfg analysis.Config, o Options) *Analyzer {
	return &Analyzer{cfg: cfg.WithDefaults(), opt: o,
		peers: map[h1.PeerKey]*peerState{}, disabled: map[disKey]*disAgg{}}
}

// Name implements analysis.Analyzer.
func (a *Analyzer) Name() string { return Name }

// ConnOpened implements analysis.ConnHandler.
func (a *Analyzer) ConnOpened(*analysis.ConnInfo) {}

func (a *Analyzer) peer(k h1.PeerKey) *peerState {
	p := a.peers[k]
	if p == nil {
		if len(a.peers) >= a.cfg.MaxPeers {
			a.dropped++
			return nil
		}
		p = &peerState{}
		a.peers[k] = p
	}
	return p
}

// keepAliveTimeout parses "timeout=N" from a Keep-Alive field (RFC 2068
// §19.7.1.1), 0 when absent.
func keepAliveTimeout(v string) int {
	for part := range strings.SplitSeq(v, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "timeout") {
			if n, err := strconv.Atoi(strings.TrimSpace(val)); err == nil && n >= 0 {
				return n
			}
		}
	}
	return 0
}

func proxyish(m *httpdecode.Message) bool {
	return m.ProxyConnection != "" || strings.HasPrefix(m.Target, "http://") || strings.HasPrefix(m.Target, "https://")
}

// Exchange implements analysis.ExchangeHandler.
func (a *Analyzer) Exchange(e *analysis.Exchange) {
	q := e.Request
	if q == nil {
		return
	}
	s, _ := a.conns.Get(e.Conn.ID)
	if s == nil {
		s = a.free.Get()
		s.info, s.peer = *e.Conn, h1.PeerOf(e.Conn)
		a.conns.Put(e.Conn.ID, s)
	}
	s.info.ServerHalf, s.info.ClientHalf = e.Conn.ServerHalf, e.Conn.ClientHalf
	s.n++
	if proxyish(q) {
		s.proxyish = true
	}
	r := req{conn: e.Conn.ID, connStart: e.Conn.Start, idx: e.Index, method: q.Method, target: q.Target,
		start: q.Start, end: q.End, pipelined: e.Pipelined}
	if p := e.Response; p != nil {
		by, reason := h1.Persistence(q, p)
		x := &exch{idx: e.Index, status: p.Status, persistBy: by, reason: reason,
			reqKA: h1.HasToken(q.ConnectionTokens, "keep-alive"), respKA: h1.HasToken(p.ConnectionTokens, "keep-alive"),
			respStart: p.Start, respEnd: p.End, reqEnd: q.End, complete: p.Complete && !p.Truncated,
			keepAliveTimeout: keepAliveTimeout(p.KeepAlive),
			reqVersion:       q.Version, rspVersion: p.Version, reqConn: q.Connection, rspConn: p.Connection}
		if e.Index == 0 {
			s.first = *x
		}
		s.last = x
		r.answered, r.respStart, r.respEnd = true, p.Start, p.End
		// Earlier requests without a response were not the connection's
		// tail (a response lost in a capture gap, or given up).
		s.unanswered = s.unanswered[:0]
	} else if h1.ResponseLost(q) {
		// Answered, but the capture missed it: neither an answered
		// exchange to judge nor an unanswered tail.
		s.unanswered = s.unanswered[:0]
	} else {
		if e.Index == 0 {
			by, reason := h1.Persistence(q, nil)
			s.first = exch{idx: 0, persistBy: by, reason: reason, reqVersion: q.Version, reqConn: q.Connection}
		}
		if len(s.unanswered) == 0 {
			s.tailPrev = s.last
		}
		if len(s.unanswered) < maxUnansweredPerConn {
			s.unanswered = append(s.unanswered, r)
		}
	}
	if ps := a.peer(s.peer); ps != nil {
		for _, f := range ps.failed {
			a.match(f, &r)
		}
		if len(ps.recent) >= RecentPerPeer {
			copy(ps.recent, ps.recent[1:])
			ps.recent = ps.recent[:len(ps.recent)-1]
		}
		ps.recent = append(ps.recent, r)
	}
}

// match records r as the retry of f when it repeats f's request on another,
// newer connection soon after f failed.
func (a *Analyzer) match(f *failure, r *req) {
	if f.retry != nil || r.conn == f.r.conn || r.method != f.r.method || r.target != f.r.target {
		return
	}
	if r.start < f.r.start || int64(r.connStart) < f.r.start || r.start > int64(f.failAt.Add(a.opt.RetryWindow)) {
		return
	}
	cp := *r
	f.retry = &cp
}

var side = [2]string{"client", "server"}

// firstEnd returns the earliest FIN or RST at or after t (either
// direction) and names it ("server_fin", ...); 0 and "" when none.
func firstEnd(c *analysis.ConnClosed, t int64) (flow.Time, string) {
	var at flow.Time
	name := ""
	for d := 0; d < 2; d++ {
		for i, x := range [2]flow.Time{c.FIN[d], c.RST[d]} {
			if x != 0 && int64(x) >= t && (at == 0 || x < at) {
				at, name = x, side[d]+[2]string{"_fin", "_rst"}[i]
			}
		}
	}
	return at, name
}

// serverClose returns the server's first FIN or RST and its name.
func serverClose(c *analysis.ConnClosed) (flow.Time, string) {
	f, r := c.FIN[flow.ServerToClient], c.RST[flow.ServerToClient]
	switch {
	case f != 0 && (r == 0 || f <= r):
		return f, "fin"
	case r != 0:
		return r, "rst"
	}
	return 0, ""
}

// ConnClosed implements analysis.ConnHandler: the connection's exchanges
// are all known, so persistence, races and hangs are judged here.
func (a *Analyzer) ConnClosed(c *analysis.ConnClosed) {
	s, _ := a.conns.Get(c.Conn.ID)
	if s == nil {
		return
	}
	a.conns.Delete(c.Conn.ID)
	defer a.free.Put(s)
	s.info.ServerHalf, s.info.ClientHalf = c.Conn.ServerHalf, c.Conn.ClientHalf
	a.disabledCheck(s)
	ended := c.CloseKind == "fin" || c.CloseKind == "rst"
	if !ended || len(s.unanswered) == 0 {
		return
	}
	for i := range s.unanswered {
		r := s.unanswered[i]
		at, by := firstEnd(c, r.start)
		if at == 0 {
			at, by = c.End, "unknown"
		}
		f := &failure{r: r, peer: s.peer, failAt: at, endedBy: by}
		if i == 0 {
			a.tail(s, c, f)
		}
		a.failures = append(a.failures, f)
		if ps := a.peer(s.peer); ps != nil {
			for j := range ps.recent {
				a.match(f, &ps.recent[j])
			}
			if len(ps.failed) >= MaxFailedPerPeer {
				copy(ps.failed, ps.failed[1:])
				ps.failed = ps.failed[:len(ps.failed)-1]
			}
			ps.failed = append(ps.failed, f)
		}
	}
}

// disabledCheck records a connection that carried one exchange because one
// side disabled persistence (close-delimited bodies are reported by the
// body detector).
func (a *Analyzer) disabledCheck(s *conn) {
	if s.n != 1 || s.first.persistBy == "" || s.first.reason == h1.ReasonCloseDelimited {
		return
	}
	if s.first.persistBy == h1.ByServer && s.first.status >= 400 {
		return // closing after an error (often an unread body) is deliberate
	}
	if a.peer(s.peer) == nil {
		return
	}
	k := disKey{peer: s.peer, by: s.first.persistBy, reason: s.first.reason}
	g := a.disabled[k]
	if g == nil {
		g = &disAgg{first: s.first}
		a.disabled[k] = g
	}
	at := s.info.SYN
	if at == 0 {
		at = s.info.Start
	}
	g.site.Add(at, s.info.ID, 0)
}

// tail judges the first unanswered request of a connection: an idle-close
// race or a keep-alive hang.
func (a *Analyzer) tail(s *conn, c *analysis.ConnClosed, f *failure) {
	r, prev := &f.r, s.tailPrev
	if r.idx == 0 || prev == nil || prev.persistBy != "" || !prev.complete || r.pipelined || r.start < prev.respEnd {
		return
	}
	idle := time.Duration(r.start - prev.respEnd)
	srvAt, srvHow := serverClose(c)
	rS := s.info.ServerHalf
	if srvAt != 0 {
		off := time.Duration(int64(srvAt) - r.start)
		if off >= -a.opt.RaceLead && off <= rS+a.opt.RaceSlack {
			f.race = true
			fd := h1.ConnFinding(KindRace, report.SeverityWarning, s.info.ID, r.idx, flow.Time(r.start))
			ev := fd.Evidence
			ev["idle_us"] = h1.US(idle)
			ev["server_close_offset_us"] = h1.US(off)
			ev["server_closed_by"] = srvHow
			ev["server_half_us"] = h1.US(rS)
			ev["method"] = r.method
			ev["target"] = r.target
			if prev.keepAliveTimeout > 0 {
				ev["advertised_timeout_s"] = prev.keepAliveTimeout
			}
			fd.DurationUS = h1.US(idle)
			rel := "after"
			if off < 0 {
				rel = "before"
			}
			fd.Summary = fmt.Sprintf("%s sent on connection %d after %d ms idle; the server closed it (%s) %d µs %s the request arrived", h1.Describe(&httpdecode.Message{Method: r.method, Target: r.target}), s.info.ID, idle.Milliseconds(), srvHow, abs(h1.US(off)), rel)
			fd.Advice = "Make the client's idle timeout for pooled connections shorter than the server's keep-alive timeout (or honour Keep-Alive: timeout=), check for a FIN before reusing an idle connection, and retry idempotent requests on a new connection (RFC 9112 §9.3.1)."
			a.races = append(a.races, raceRec{f: f, find: fd})
			return
		}
	}
	// Keep-alive hang (§3.5): no response byte for HangTimeout, then the
	// connection ended. A previous exchange that itself waited that long
	// points to a slow or long-polling endpoint instead.
	waited := time.Duration(int64(f.failAt) - r.start)
	if f.endedBy == "unknown" || waited < a.opt.HangTimeout || time.Duration(prev.respStart-prev.reqEnd) >= a.opt.HangTimeout {
		return
	}
	fd := h1.ConnFinding(KindHang, report.SeverityError, s.info.ID, r.idx, flow.Time(r.start))
	ev := fd.Evidence
	ev["waited_us"] = h1.US(waited)
	ev["ended_by"] = f.endedBy
	ev["hung_request"] = h1.Describe(&httpdecode.Message{Method: r.method, Target: r.target})
	ev["first_request_keepalive"] = prev.reqKA
	ev["response_keepalive"] = prev.respKA
	ev["request_version"] = prev.reqVersion
	ev["proxy_suspect"] = s.proxyish
	fd.DurationUS = h1.US(waited)
	fd.Summary = fmt.Sprintf("%s on keep-alive connection %d got no response for %.1f s; the connection then ended (%s)", ev["hung_request"], s.info.ID, waited.Seconds(), f.endedBy)
	fd.Advice = "An intermediary likely forwarded the hop-by-hop keep-alive header and then ignored the next request (the HTTP/1.0 \"dumb proxy\" problem): stop sending Connection: keep-alive through it, upgrade or configure the proxy to strip hop-by-hop fields, or use HTTP/1.1 end to end."
	a.hangs = append(a.hangs, fd)
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// Finish implements analysis.Analyzer.
func (a *Analyzer) Finish(rep *report.Report, out analysis.Emitter) {
	// Connections never closed: only persistence can be judged.
	for _, s := range a.conns.All() {
		a.disabledCheck(s)
	}
	a.emitDisabled(out)
	for _, r := range a.races {
		r.find.Evidence["retried"] = r.f.retry != nil
		if r.f.retry != nil {
			r.find.Evidence["retry_connection"] = uint32(r.f.retry.conn)
		}
		out.Emit(r.find)
	}
	for _, f := range a.hangs {
		out.Emit(f)
	}
	for _, f := range a.failures {
		if f.retry == nil || h1.Idempotent(f.r.method) {
			continue
		}
		rt := f.retry
		fd := h1.ConnFinding(KindRetry, report.SeverityWarning, rt.conn, rt.idx, flow.Time(rt.start))
		ev := fd.Evidence
		ev["method"] = f.r.method
		ev["target"] = f.r.target
		ev["failed_connection"] = uint32(f.r.conn)
		ev["failed_transaction"] = f.r.idx
		ev["failure"] = "no_response_" + f.endedBy
		ev["after_race"] = f.race
		ev["retry_delay_us"] = h1.US(time.Duration(rt.start - int64(f.failAt)))
		fd.Summary = fmt.Sprintf("%s re-sent on connection %d after it got no response on connection %d (%s)", h1.Describe(&httpdecode.Message{Method: f.r.method, Target: f.r.target}), rt.conn, f.r.conn, f.endedBy)
		fd.Advice = "Do not retry non-idempotent requests automatically (RFC 9110 §9.2.2, RFC 9112 §9.3.1) unless the request carries an idempotency key the server honours; avoid the failure itself by not reusing connections near the server's keep-alive timeout."
		out.Emit(fd)
	}
	if a.dropped > 0 {
		if rep.Capture.Anomalies == nil {
			rep.Capture.Anomalies = map[string]uint64{}
		}
		rep.Capture.Anomalies[AnomalyPeerLimit] += uint64(a.dropped)
	}
}

func (a *Analyzer) emitDisabled(out analysis.Emitter) {
	keys := make([]disKey, 0, len(a.disabled))
	for k := range a.disabled {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		x, y := keys[i], keys[j]
		switch {
		case x.peer != y.peer:
			return x.peer.Less(y.peer)
		case x.by != y.by:
			return x.by < y.by
		}
		return x.reason < y.reason
	})
	for _, k := range keys {
		g := a.disabled[k]
		sev := report.SeverityInfo
		if g.site.Count >= 2 {
			sev = report.SeverityWarning
		}
		f := report.Finding{Kind: KindDisabled, Severity: sev, Peer: k.peer.String(), Evidence: map[string]any{
			"disabled_by":         k.by,
			"reason":              k.reason,
			"connections":         g.site.Count,
			"request_version":     g.first.reqVersion,
			"response_version":    g.first.rspVersion,
			"request_connection":  g.first.reqConn,
			"response_connection": g.first.rspConn,
		}}
		g.site.Apply(&f)
		how := map[string]string{h1.ReasonConnectionClose: "Connection: close", h1.ReasonHTTP10: "HTTP/1.0 without keep-alive"}[k.reason]
		f.Summary = fmt.Sprintf("the %s disabled keep-alive (%s): %d connection(s) to %s carried one request each", k.by, how, g.site.Count, k.peer.Server)
		if k.by == h1.ByClient {
			f.Advice = "Let the client keep connections open: drop \"Connection: close\", use HTTP/1.1 (or send Connection: keep-alive on HTTP/1.0), and reuse a connection pool."
		} else {
			f.Advice = "Let the server keep connections open: enable keep-alive (e.g. nginx keepalive_timeout > 0, Apache KeepAlive On) and answer HTTP/1.1 so clients can reuse connections."
		}
		out.Emit(f)
	}
}
