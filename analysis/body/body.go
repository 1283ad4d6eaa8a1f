package body

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
const Name = "body"

// Finding kinds.
const (
	KindTruncated      = "http_truncated_body"
	KindCloseDelimited = "http_close_delimited_body"
)

// AnomalyPeerLimit counts peers past Config.MaxPeers that were not tracked.
const AnomalyPeerLimit = "analysis_body_peer_limit"

// MaxPendingPerConn caps the truncated messages kept per open connection.
const MaxPendingPerConn = 4

// Factory returns the registry entry of the analyser.
func Factory() analysis.Factory {
	return analysis.Factory{
		Name:  Name,
		Doc:   "message bodies cut short by the connection's end, and responses delimited by close",
		Kinds: Kinds(),
		New:   func(cfg analysis.Config) analysis.Analyzer { return New(cfg) },
	}
}

// Kinds documents the finding kinds of the analyser.
func Kinds() []analysis.KindDoc {
	return []analysis.KindDoc{
		{
			Kind: KindTruncated, Severity: report.SeverityError,
			Title: "an HTTP body ended before the length its framing announced",
			Explain: `An HTTP/1.x message says where its body ends: a Content-Length gives the byte count, chunked coding ends with a zero-size chunk (RFC 9112 §6.3). When the sender's direction of the connection ends (FIN or RST) before that point, the message is incomplete (RFC 9112 §8): the receiver got a cut file, a partial JSON document or half an image, and a client that does not check (many do not for close-delimited bodies) uses it as if it were whole.

Rule: the parser marked the message truncated, the direction that carried it ended with FIN or RST, and the bytes the sender put on the wire (bytes received plus bytes missing from the capture) are fewer than the declared Content-Length (for chunked bodies: the last chunk was not seen). Severity error; warning when the receiver itself reset the connection (it aborted the transfer). Evidence: declared, received, missing, gap_bytes and ended_by.

Not reported (false positives avoided): a gap in the capture (packets the capture point dropped, later acknowledged) is not truncation; responses to HEAD and 1xx/204/304 responses carry a Content-Length without a body; a stream still open when the capture ended proves nothing. Mis-paired requests and responses under pipelining could make a body look short; the parser pairs first-in first-out as HTTP/1.1 requires.

What to change: find why the sender stopped — a server or proxy timeout, a crashed worker, a send buffer limit, a middlebox resetting long transfers, a Content-Length computed before compression. Clients should treat a short body as an error and retry idempotent requests (with a Range request where supported).`,
		},
		{
			Kind: KindCloseDelimited, Severity: report.SeverityWarning,
			Title: "a response body delimited by closing the connection",
			Explain: `A response with neither Content-Length nor chunked Transfer-Encoding has a body that ends only when the server closes the connection (RFC 9112 §6.3, rule 8). That is the HTTP/1.0 way; in HTTP/1.1 it forces the connection to close after every such response (no reuse, a new TCP handshake for the next request, TIME_WAIT on the server), and the client cannot tell a complete body from one cut by a failure unless the connection ends with RST (RFC 9112 §8).

Rule: every response whose framing is close-delimited is counted; one finding per peer and response version, with count = responses. Severity info for HTTP/1.0 responses (normal there), warning for HTTP/1.1.

False positives: responses that legitimately have no body (HEAD, 1xx, 204, 304) have no framing and are not counted; a tunnel after CONNECT or 101 is not a body.

What to change: send Content-Length when the size is known, or chunked coding (HTTP/1.1) when streaming; many frameworks fall back to close-delimited only when the handler flushes without a length on an HTTP/1.0 request or after disabling chunking.`,
		},
	}
}

// pending is a truncated message waiting for its connection's close.
type pending struct {
	tx             int
	dir            flow.Dir
	framing        httpdecode.Framing
	declared       int64
	received, gap  int64
	method, target string
	status         int
	start, end     flow.Time
}

type cdKey struct {
	peer    h1.PeerKey
	version string
}

type cdAgg struct {
	site   h1.Site
	bytes  int64
	target string
}

// Analyzer is the body detector.
type Analyzer struct {
	cfg     analysis.Config
	conns   analysis.ConnMap[[]pending]
	cd      map[cdKey]*cdAgg
	peers   map[h1.PeerKey]struct{}
	dropped int
	out     []report.Finding
}

// New returns a body detector.
func New(cfg analysis.Config) *Analyzer {
	return &Analyzer{cfg: cfg.WithDefaults(), cd: map[cdKey]*cdAgg{}, peers: map[h1.PeerKey]struct{}{}}
}

// Name implements analysis.Analyzer.
func (a *Analyzer) Name() string { return Name }

// ConnOpened implements analysis.ConnHandler.
func (a *Analyzer) ConnOpened(*analysis.ConnInfo) {}

// noBody reports whether a response can have no body whatever its headers
// say (RFC 9112 §6.3 rules 1–2: HEAD, 1xx, 204, 304).
func noBody(req, resp *httpdecode.Message) bool {
	if req != nil && req.Method == "HEAD" {
		return true
	}
	s := resp.Status
	return s/100 == 1 || s == 204 || s == 304
}

// Exchange implements analysis.ExchangeHandler.
func (a *Analyzer) Exchange(e *analysis.Exchange) {
	if e.Request != nil {
		a.check(e, e.Request, flow.ClientToServer)
	}
	if r := e.Response; r != nil && !noBody(e.Request, r) {
		a.check(e, r, flow.ServerToClient)
		if r.Framing == httpdecode.FramingCloseDelimited {
			a.closeDelimited(e, r)
		}
	}
}

func (a *Analyzer) check(e *analysis.Exchange, m *httpdecode.Message, d flow.Dir) {
	if !m.Truncated {
		return
	}
	switch m.Framing {
	case httpdecode.FramingContentLength:
		if m.ContentLength >= 0 && m.BodyBytes+m.GapBytes >= m.ContentLength {
			return // all bytes were sent; the capture missed some
		}
	case httpdecode.FramingChunked, httpdecode.FramingCloseDelimited:
	default:
		return
	}
	ps, _ := a.conns.Get(e.Conn.ID)
	if len(ps) >= MaxPendingPerConn {
		return
	}
	p := pending{tx: e.Index, dir: d, framing: m.Framing, declared: m.ContentLength,
		received: m.BodyBytes, gap: m.GapBytes, start: flow.Time(m.Start), end: flow.Time(m.End)}
	if e.Request != nil {
		p.method, p.target = e.Request.Method, e.Request.Target
	}
	if e.Response != nil {
		p.status = e.Response.Status
	}
	a.conns.Put(e.Conn.ID, append(ps, p))
}

func (a *Analyzer) closeDelimited(e *analysis.Exchange, r *httpdecode.Message) {
	pk := h1.PeerOf(e.Conn)
	if _, ok := a.peers[pk]; !ok {
		if len(a.peers) >= a.cfg.MaxPeers {
			a.dropped++
			return
		}
		a.peers[pk] = struct{}{}
	}
	k := cdKey{peer: pk, version: r.Version}
	g := a.cd[k]
	if g == nil {
		g = &cdAgg{}
		a.cd[k] = g
		if e.Request != nil {
			g.target = e.Request.Target
		}
	}
	g.site.Add(flow.Time(r.Start), e.Conn.ID, e.Index)
	g.bytes += r.BodyBytes
}

var side = [2]string{"client", "server"}

// ConnClosed implements analysis.ConnHandler: it judges the truncated
// messages of the connection by how their direction ended.
func (a *Analyzer) ConnClosed(c *analysis.ConnClosed) {
	ps, _ := a.conns.Get(c.Conn.ID)
	a.conns.Delete(c.Conn.ID)
	for _, p := range ps {
		d, o := p.dir, p.dir.Reverse()
		var endedBy string
		var at flow.Time
		sev := report.SeverityError
		switch {
		case c.RST[d] != 0:
			endedBy, at = side[d]+"_rst", c.RST[d]
		case c.FIN[d] != 0:
			endedBy, at = side[d]+"_fin", c.FIN[d]
		case c.RST[o] != 0:
			endedBy, at = side[o]+"_rst", c.RST[o]
			sev = report.SeverityWarning
		default:
			continue // still open when the capture ended: not evidence
		}
		a.out = append(a.out, truncatedFinding(c.Conn.ID, p, endedBy, at, sev))
	}
}

func truncatedFinding(id flow.ConnID, p pending, endedBy string, at flow.Time, sev string) report.Finding {
	f := h1.ConnFinding(KindTruncated, sev, id, p.tx, at)
	what := "request"
	if p.dir == flow.ServerToClient {
		what = "response"
	}
	ev := f.Evidence
	ev["direction"] = what
	ev["framing"] = p.framing.String()
	ev["received"] = p.received
	ev["gap_bytes"] = p.gap
	ev["ended_by"] = endedBy
	ev["method"] = p.method
	ev["target"] = p.target
	if p.status != 0 {
		ev["status"] = p.status
	}
	desc := fmt.Sprintf("%d body bytes (%s)", p.received+p.gap, p.framing)
	if p.framing == httpdecode.FramingContentLength {
		missing := p.declared - p.received - p.gap
		ev["declared"] = p.declared
		ev["missing"] = missing
		desc = fmt.Sprintf("%d of %d body bytes, %d missing", p.received+p.gap, p.declared, missing)
	}
	if p.start != 0 && at > p.start {
		f.DurationUS = h1.US(at.Sub(p.start))
	}
	subject := what
	if what == "response" {
		subject = "response to " + h1.Describe(&httpdecode.Message{Method: p.method, Target: p.target})
	} else {
		subject = "request " + h1.Describe(&httpdecode.Message{Method: p.method, Target: p.target})
	}
	f.Summary = fmt.Sprintf("%s truncated: %s; stream ended by %s", subject, desc, endedBy)
	if p.dir == flow.ServerToClient {
		f.Advice = "Find why the server stopped before the announced length (timeouts, crashes, send limits, a middlebox reset, a Content-Length computed before compression); clients must treat a short body as a failed response."
	} else {
		f.Advice = "The client stopped sending before the announced request body length; check client timeouts and upload limits, and make the server reject incomplete requests."
	}
	return f
}

// Finish implements analysis.Analyzer.
func (a *Analyzer) Finish(rep *report.Report, out analysis.Emitter) {
	for _, f := range a.out {
		out.Emit(f)
	}
	keys := make([]cdKey, 0, len(a.cd))
	for k := range a.cd {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].peer != keys[j].peer {
			return keys[i].peer.Less(keys[j].peer)
		}
		return keys[i].version < keys[j].version
	})
	for _, k := range keys {
		g := a.cd[k]
		sev := report.SeverityWarning
		if k.version == "HTTP/1.0" {
			sev = report.SeverityInfo
		}
		f := report.Finding{Kind: KindCloseDelimited, Severity: sev, Peer: k.peer.String(), Evidence: map[string]any{
			"response_version": k.version,
			"responses":        g.site.Count,
			"body_bytes":       g.bytes,
			"first_target":     g.target,
		}}
		g.site.Apply(&f)
		f.Summary = fmt.Sprintf("%d %s response(s) from %s delimited by connection close", g.site.Count, k.version, k.peer.Server)
		if sev == report.SeverityInfo {
			f.Advice = "Normal for HTTP/1.0; move the client to HTTP/1.1 or have the server send Content-Length so connections can be reused."
		} else {
			f.Advice = "Send Content-Length or use chunked transfer coding so the connection can be reused and a cut body is detectable."
		}
		out.Emit(f)
	}
	if a.dropped > 0 {
		if rep.Capture.Anomalies == nil {
			rep.Capture.Anomalies = map[string]uint64{}
		}
		rep.Capture.Anomalies[AnomalyPeerLimit] += uint64(a.dropped)
	}
}
