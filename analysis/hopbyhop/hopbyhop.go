package hopbyhop

import (
	"fmt"
	"sort"

	"connscope/analysis"
	"connscope/analysis/internal/h1"
	"connscope/flow"
	"connscope/httpdecode"
	"connscope/report"
)

// Name is the analyser's name.
const Name = "hopbyhop"

// Kind is the finding kind.
const Kind = "http_hop_by_hop_violation"

// AnomalyPeerLimit counts peers past Config.MaxPeers that were not tracked.
const AnomalyPeerLimit = "analysis_hopbyhop_peer_limit"

// Issues.
const (
	IssueEndToEnd          = "end_to_end_in_connection"
	IssueProxyConnection   = "proxy_connection_to_origin"
	IssueKeepAliveUnlisted = "keep_alive_not_in_connection"
	IssueKeepAliveHTTP11   = "keep_alive_on_http11"
	IssueForwarded         = "forwarded_hop_by_hop"
	IssueTEUnlisted        = "te_not_in_connection"
	IssueUpgradeUnlisted   = "upgrade_not_in_connection"
)

// EndToEnd lists the fields (lower case) that must never be Connection
// options: they are meant for every recipient (RFC 9110 §7.6.1 gives
// Cache-Control as the example).
var EndToEnd = map[string]bool{
	"host": true, "content-length": true, "content-type": true, "content-encoding": true,
	"content-range": true, "authorization": true, "cookie": true, "set-cookie": true,
	"cache-control": true, "expires": true, "etag": true, "last-modified": true,
	"location": true, "range": true, "if-modified-since": true, "if-none-match": true,
	"accept": true, "accept-encoding": true, "user-agent": true, "referer": true,
	"vary": true, "date": true, "pragma": true, "www-authenticate": true,
}

var severity = map[string]string{
	IssueEndToEnd:          report.SeverityWarning,
	IssueProxyConnection:   report.SeverityWarning,
	IssueKeepAliveUnlisted: report.SeverityWarning,
	IssueKeepAliveHTTP11:   report.SeverityInfo,
	IssueForwarded:         report.SeverityWarning,
	IssueTEUnlisted:        report.SeverityInfo,
	IssueUpgradeUnlisted:   report.SeverityWarning,
}

var advice = map[string]string{
	IssueEndToEnd:          "Remove end-to-end field names from the Connection header: an intermediary must delete every field named there.",
	IssueProxyConnection:   "Stop sending Proxy-Connection; use Connection (and nothing at all for HTTP/1.1 persistence).",
	IssueKeepAliveUnlisted: "Drop the Keep-Alive field on HTTP/1.1, or list it in Connection so proxies remove it.",
	IssueKeepAliveHTTP11:   "Keep-Alive is an HTTP/1.0 mechanism; HTTP/1.1 connections persist by default, so the field can be dropped.",
	IssueForwarded:         "The intermediary named in Via forwarded a hop-by-hop field; configure it to strip Connection-management fields.",
	IssueTEUnlisted:        "A sender of TE must also send \"Connection: TE\" (RFC 9110 §10.1.4).",
	IssueUpgradeUnlisted:   "A sender of Upgrade must also send \"Connection: upgrade\" (RFC 9110 §7.8).",
}

// Factory returns the registry entry of the analyser.
func Factory() analysis.Factory {
	return analysis.Factory{
		Name:  Name,
		Doc:   "hop-by-hop header misuse: Connection naming end-to-end fields, Proxy-Connection, Keep-Alive on HTTP/1.1",
		Kinds: Kinds(),
		New:   func(cfg analysis.Config) analysis.Analyzer { return New(cfg) },
	}
}

// Kinds documents the finding kind of the analyser.
func Kinds() []analysis.KindDoc {
	return []analysis.KindDoc{{
		Kind: Kind, Severity: report.SeverityWarning,
		Title: "a hop-by-hop header field used where it does not belong",
		Explain: `Some HTTP/1.x header fields describe one connection (one hop), not the message: Connection, Keep-Alive, Proxy-Connection, TE, Upgrade, and every field named as an option in Connection. Each intermediary must remove them before forwarding (RFC 9110 §7.6.1). Misusing them breaks messages at proxies or, with HTTP/1.0 proxies that forward them blindly, hangs keep-alive connections (see http_keepalive_hang).

Rule: every message is checked; issues are end_to_end_in_connection (a Connection option names an end-to-end field such as Host, Content-Length, Content-Type, Authorization, Cache-Control or Cookie: a proxy will delete it), proxy_connection_to_origin (Proxy-Connection in an origin-form request, i.e. sent to an origin server: a legacy, non-standard field), keep_alive_not_in_connection (Keep-Alive on an HTTP/1.1 exchange without "Connection: keep-alive"), keep_alive_on_http11 (the same but listed; info only), forwarded_hop_by_hop (a message with Via still carries Proxy-Connection or an unlisted Keep-Alive), te_not_in_connection and upgrade_not_in_connection (RFC 9110 §10.1.4, §7.8). One finding per peer, issue, field and direction, with count = messages. Severity warning, info for keep_alive_on_http11 and te_not_in_connection.

False positives: a response to an HTTP/1.0 request may carry Keep-Alive whatever its own version (that is HTTP/1.0 keep-alive) and is not reported; custom hop-by-hop fields named in Connection are legitimate and not reported. From a capture of the client leg only, a proxy cannot be blamed for forwarding: only what was sent is judged.

What to change: remove the field or the Connection option from the sender (client library defaults, a framework adding Keep-Alive, a proxy configuration); configure intermediaries to strip hop-by-hop fields.`,
	}}
}

type siteKey struct {
	peer  h1.PeerKey
	issue string
	field string
	dir   flow.Dir
}

type siteVal struct {
	site  h1.Site
	value string
}

// Analyzer is the hop-by-hop detector.
type Analyzer struct {
	cfg     analysis.Config
	sites   map[siteKey]*siteVal
	peers   map[h1.PeerKey]struct{}
	dropped int
}

// New returns a hop-by-hop detector.
func New(cfg analysis.Config) *Analyzer {
	return &Analyzer{cfg: cfg.WithDefaults(), sites: map[siteKey]*siteVal{}, peers: map[h1.PeerKey]struct{}{}}
}

// Name implements analysis.Analyzer.
func (a *Analyzer) Name() string { return Name }

// Exchange implements analysis.ExchangeHandler.
func (a *Analyzer) Exchange(e *analysis.Exchange) {
	q := e.Request
	if q == nil {
		return
	}
	http11 := q.Version == "HTTP/1.1"
	a.check(e, q, flow.ClientToServer, http11)
	if e.Response != nil {
		a.check(e, e.Response, flow.ServerToClient, http11)
	}
}

// check applies the rules to one message; http11 is true when the exchange
// is HTTP/1.1 (the request's version decides: a response to an HTTP/1.0
// request may use HTTP/1.0 keep-alive whatever its own version).
func (a *Analyzer) check(e *analysis.Exchange, m *httpdecode.Message, d flow.Dir, http11 bool) {
	for _, tok := range m.ConnectionTokens {
		if EndToEnd[tok] {
			a.add(e, m, d, IssueEndToEnd, tok, m.Connection)
		}
	}
	listedKA := h1.HasToken(m.ConnectionTokens, "keep-alive")
	kaReported := false
	if m.KeepAlive != "" && http11 {
		kaReported = true
		if listedKA {
			a.add(e, m, d, IssueKeepAliveHTTP11, "keep-alive", m.KeepAlive)
		} else {
			a.add(e, m, d, IssueKeepAliveUnlisted, "keep-alive", m.KeepAlive)
		}
	}
	if d == flow.ClientToServer {
		if m.ProxyConnection != "" && originForm(m.Target) {
			a.add(e, m, d, IssueProxyConnection, "proxy-connection", m.ProxyConnection)
		}
		if m.TE != "" && !h1.HasToken(m.ConnectionTokens, "te") {
			a.add(e, m, d, IssueTEUnlisted, "te", m.TE)
		}
		if m.Upgrade != "" && !h1.HasToken(m.ConnectionTokens, "upgrade") {
			a.add(e, m, d, IssueUpgradeUnlisted, "upgrade", m.Upgrade)
		}
	}
	if m.Via != "" {
		if m.ProxyConnection != "" && !h1.HasToken(m.ConnectionTokens, "proxy-connection") {
			a.add(e, m, d, IssueForwarded, "proxy-connection", m.ProxyConnection)
		}
		if m.KeepAlive != "" && !listedKA && !kaReported {
			a.add(e, m, d, IssueForwarded, "keep-alive", m.KeepAlive)
		}
	}
}

// originForm reports whether a request target is in origin form (RFC 9112
// §3.2.1) or asterisk form: the request was addressed to an origin server,
// not to a forward proxy (absolute form) or a tunnel (authority form).
func originForm(target string) bool {
	return target == "*" || (len(target) > 0 && target[0] == '/')
}

func (a *Analyzer) add(e *analysis.Exchange, m *httpdecode.Message, d flow.Dir, issue, field, value string) {
	pk := h1.PeerOf(e.Conn)
	if _, ok := a.peers[pk]; !ok {
		if len(a.peers) >= a.cfg.MaxPeers {
			a.dropped++
			return
		}
		a.peers[pk] = struct{}{}
	}
	k := siteKey{peer: pk, issue: issue, field: field, dir: d}
	s := a.sites[k]
	if s == nil {
		s = &siteVal{value: value}
		a.sites[k] = s
	}
	s.site.Add(flow.Time(m.Start), e.Conn.ID, e.Index)
}

// Finish implements analysis.Analyzer.
func (a *Analyzer) Finish(rep *report.Report, out analysis.Emitter) {
	keys := make([]siteKey, 0, len(a.sites))
	for k := range a.sites {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		x, y := keys[i], keys[j]
		switch {
		case x.peer != y.peer:
			return x.peer.Less(y.peer)
		case x.issue != y.issue:
			return x.issue < y.issue
		case x.field != y.field:
			return x.field < y.field
		}
		return x.dir < y.dir
	})
	for _, k := range keys {
		s := a.sites[k]
		dir, sender := "request", "client"
		if k.dir == flow.ServerToClient {
			dir, sender = "response", "server"
		}
		f := report.Finding{Kind: Kind, Severity: severity[k.issue], Peer: k.peer.String(), Evidence: map[string]any{
			"field":     k.field,
			"value":     s.value,
			"issue":     k.issue,
			"direction": dir,
			"messages":  s.site.Count,
		}}
		s.site.Apply(&f)
		f.Summary = fmt.Sprintf("%s sent %s %q in %d %s(s) (%s)", sender, k.field, s.value, s.site.Count, dir, k.issue)
		f.Advice = advice[k.issue]
		out.Emit(f)
	}
	if a.dropped > 0 {
		if rep.Capture.Anomalies == nil {
			rep.Capture.Anomalies = map[string]uint64{}
		}
		rep.Capture.Anomalies[AnomalyPeerLimit] += uint64(a.dropped)
	}
}
