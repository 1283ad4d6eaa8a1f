package pipelining

import (
	"fmt"
	"time"

	"connscope/analysis"
	"connscope/analysis/internal/h1"
	"connscope/flow"
	"connscope/report"
)

// Name is the analyser's name.
const Name = "pipelining"

// Finding kinds.
const (
	KindPipelined     = "http_pipelined"
	KindNonIdempotent = "http_pipelined_non_idempotent"
	KindHOL           = "http_head_of_line_blocking"
)

// Default thresholds.
const (
	// DefaultTau is the margin taken off the client half RTT when deciding
	// that a client could not yet have reacted to a response.
	DefaultTau = 0.2
	// DefaultMinBlockingWait is the least think time of a blocking response.
	DefaultMinBlockingWait = 100 * time.Millisecond
	// DefaultBlockingRatio is how many times longer than the blocked
	// response's own think time the blocking response's must be.
	DefaultBlockingRatio = 5
)

// Options are the detector's thresholds.
type Options struct {
	Tau             float64
	MinBlockingWait time.Duration
	BlockingRatio   float64
}

// DefaultOptions returns the default thresholds.
func DefaultOptions() Options {
	return Options{Tau: DefaultTau, MinBlockingWait: DefaultMinBlockingWait, BlockingRatio: DefaultBlockingRatio}
}

// Factory returns the registry entry of the analyser.
func Factory() analysis.Factory {
	return analysis.Factory{
		Name:  Name,
		Doc:   "HTTP/1.1 pipelining, pipelining around non-idempotent requests, head-of-line blocking",
		Kinds: Kinds(),
		New: func(cfg analysis.Config) analysis.Analyzer {
			o := DefaultOptions()
			_ = analysis.ApplyParams(cfg.Params, Name, &o)
			return NewWithOptions(cfg, o)
		},
		Options: func() any { o := DefaultOptions(); return &o },
	}
}

// Kinds documents the finding kinds of the analyser.
func Kinds() []analysis.KindDoc {
	return []analysis.KindDoc{
		{
			Kind: KindPipelined, Severity: report.SeverityInfo,
			Title: "requests sent before the previous response had arrived (HTTP/1.1 pipelining)",
			Explain: `HTTP/1.1 lets a client send several requests on one connection without waiting for each response (pipelining, RFC 9112 §9.3.2); the server must answer them in order. It saves round trips, but browsers disabled it long ago because many servers, proxies and middleboxes mishandle it, and one slow response delays all later ones (head-of-line blocking).

Rule: request i is pipelined when it started before response i−1 had fully arrived. At a client-side capture this is exact. At a server-side or middle capture the client could not have reacted to the end of response i−1 before that end plus the client half round trip r_C (from the handshake), so a request seen before t_resp_end(i−1) + 0.8·r_C is counted as pipelined as well; the correction is used only when the vantage is "server" or "middle". One finding per connection: pipelined_requests, requests, depth_max (requests outstanding at once), vantage_corrected.

False positives: two requests in one segment are pipelined by definition; a request that follows a response quickly at a server-side capture is not necessarily pipelined, which is why the r_C correction (and not a fixed gap) is used. Interim 1xx responses do not count as responses.

What to change: usually nothing if the server handles it; for throughput across many objects use HTTP/2 multiplexing or several connections instead, and make sure non-idempotent requests are never pipelined.`,
		},
		{
			Kind: KindNonIdempotent, Severity: report.SeverityWarning,
			Title: "a non-idempotent request was pipelined, or requests were pipelined behind one",
			Explain: `A request is idempotent when repeating it has the same effect as sending it once: GET, HEAD, OPTIONS, TRACE, PUT and DELETE (RFC 9110 §9.2.2). If a connection closes in the middle of a pipeline, the client cannot know which requests the server processed; it may retry idempotent ones, but a retried POST can charge a card twice. RFC 9112 §9.3.2 therefore says clients should not pipeline requests after a non-idempotent method until its final response status has been received, and should not pipeline non-idempotent requests.

Rule: on one connection, a request whose method is not idempotent was sent pipelined, or any request was sent after a non-idempotent request before that request's final status line arrived (with the same client-half-RTT correction as http_pipelined at non-client vantages). One finding per connection with count = offending requests.

False positives: a POST the application knows to be idempotent (e.g. with an idempotency key) is still counted; the method is all the capture shows.

What to change: send non-idempotent requests alone (wait for the final response before the next request on that connection), or use HTTP/2 where each request has its own stream.`,
		},
		{
			Kind: KindHOL, Severity: report.SeverityWarning,
			Title: "a pipelined response was held behind a slow earlier response",
			Explain: `HTTP/1.1 responses on one connection must come in request order (RFC 9112 §9.3.2). When a pipelined request could be answered quickly but an earlier one is slow, the quick answer waits: head-of-line blocking.

Rule (conservative): request i+1 was pipelined and had reached the server before response i started (t_req_end(i+1) + r_S ≤ t_resp_start(i), r_S the server half round trip); response i's server think time (t_resp_start(i) − max(t_req_end(i) + r_S, t_resp_end(i−1))) was at least 100 ms and at least 5 times response i+1's own think time (t_resp_start(i+1) − max(t_resp_end(i), t_req_end(i+1) + r_S)); response i was complete. The blocked time is t_resp_end(i) − (t_req_end(i+1) + r_S). One finding per connection with count, blocked_us_total and the worst case.

False positives: a server that processes pipelined requests strictly one at a time shows the same pattern (the cost to the client is the same); a response i+1 that needed the result of request i is not blocked but dependent.

What to change: do not pipeline requests behind slow ones; use separate connections or HTTP/2 multiplexing, and look at why response i was slow.`,
		},
	}
}

// xchg is what the detector keeps of one exchange.
type xchg struct {
	idx                int
	reqStart, reqEnd   int64
	respStart, respEnd int64 // 0 when no response
	respComplete       bool
	method             string
	nonIdem            bool
}

type nonIdem struct {
	idx       int
	method    string
	respStart int64 // 0: no final response
}

type conn struct {
	info     analysis.ConnInfo
	corr     time.Duration
	requests int
	prev     xchg
	prevEnd  int64   // response end of the exchange before prev
	open     []int64 // response ends of earlier exchanges still outstanding (0: never)
	pending  []nonIdem

	pipelined, corrected, depthMax int
	pipSite                        h1.Site

	niSite            h1.Site
	niMethod, niFirst string
	niReason          string

	holSite                   h1.Site
	holTotal, holWorst        time.Duration
	holWorstWait, holWorstOwn time.Duration
	holWorstTx                int
}

// Analyzer is the pipelining detector.
type Analyzer struct {
	opt   Options
	conns analysis.ConnMap[*conn]
	free  analysis.FreeList[conn]
	out   []report.Finding
}

// New returns a pipelining detector with the default options.
func New(cfg analysis.Config) *Analyzer { return NewWithOptions(cfg, DefaultOptions()) }

// NewWithOptions returns a pipelining detector with the given thresholds.
func NewWithOptions(_ analysis.Config, o Options) *Analyzer {
	return &Analyzer{opt: o}
}

// Name implements analysis.Analyzer.
func (a *Analyzer) Name() string { return Name }

// ConnOpened implements analysis.ConnHandler.
func (a *Analyzer) ConnOpened(*analysis.ConnInfo) {}

func (a *Analyzer) state(c *analysis.ConnInfo) *conn {
	s, _ := a.conns.Get(c.ID)
	if s == nil {
		s = a.free.Get()
		s.info = *c
		a.conns.Put(c.ID, s)
	}
	// The handshake may complete after the connection opened: refresh.
	s.info.ServerHalf, s.info.ClientHalf = c.ServerHalf, c.ClientHalf
	s.corr = time.Duration(float64(h1.ClientHalfCorrection(c)) * (1 - a.opt.Tau))
	return s
}

// Exchange implements analysis.ExchangeHandler.
func (a *Analyzer) Exchange(e *analysis.Exchange) {
	q := e.Request
	if q == nil {
		return
	}
	s := a.state(e.Conn)
	s.requests++
	cur := xchg{idx: e.Index, reqStart: q.Start, reqEnd: q.End, method: q.Method, nonIdem: !h1.Idempotent(q.Method)}
	if r := e.Response; r != nil {
		cur.respStart, cur.respEnd, cur.respComplete = r.Start, r.End, r.Complete
	}
	corr := int64(s.corr)
	first := s.requests == 1
	pip := false
	if !first {
		pip = e.Pipelined || (s.prev.respEnd != 0 && q.Start < s.prev.respEnd+corr)
		if pip && !e.Pipelined {
			s.corrected++
		}
	}
	// Depth: earlier responses not yet (reactably) received.
	keep := s.open[:0]
	for _, end := range s.open {
		if end == 0 || q.Start < end+corr {
			keep = append(keep, end)
		}
	}
	s.open = keep
	if pip {
		s.pipelined++
		s.pipSite.Add(flow.Time(q.Start), e.Conn.ID, e.Index)
		if d := len(s.open) + 1; d > s.depthMax {
			s.depthMax = d
		}
	}
	a.nonIdempotent(s, e, &cur, pip, corr)
	if pip && !first {
		a.headOfLine(s, e, &cur)
	}
	s.open = append(s.open, cur.respEnd)
	s.prevEnd = s.prev.respEnd
	s.prev = cur
}

// nonIdempotent applies RFC 9112 §9.3.2 to the current request.
func (a *Analyzer) nonIdempotent(s *conn, e *analysis.Exchange, cur *xchg, pip bool, corr int64) {
	keep := s.pending[:0]
	var after *nonIdem
	for i := range s.pending {
		p := s.pending[i]
		if p.respStart == 0 || cur.reqStart < p.respStart+corr {
			keep = append(keep, p)
			if after == nil {
				after = &keep[len(keep)-1]
			}
		}
	}
	s.pending = keep
	reason := ""
	switch {
	case after != nil:
		reason = "sent_before_final_response_of_" + after.method
	case pip && cur.nonIdem:
		reason = "non_idempotent_pipelined"
	}
	if reason != "" {
		if s.niSite.Count == 0 {
			s.niFirst, s.niReason = cur.method, reason
			if after != nil {
				s.niMethod = after.method
			} else {
				s.niMethod = cur.method
			}
		}
		s.niSite.Add(flow.Time(cur.reqStart), e.Conn.ID, e.Index)
	}
	if cur.nonIdem {
		s.pending = append(s.pending, nonIdem{idx: cur.idx, method: cur.method, respStart: cur.respStart})
	}
}

// headOfLine checks whether the current (pipelined) response was held
// behind the previous one.
func (a *Analyzer) headOfLine(s *conn, e *analysis.Exchange, cur *xchg) {
	k := &s.prev
	if cur.respStart == 0 || k.respStart == 0 || !k.respComplete {
		return
	}
	rS := int64(s.info.ServerHalf)
	arriveI := cur.reqEnd + rS
	if arriveI > k.respStart {
		return // the request reached the server after response k began
	}
	startK := k.reqEnd + rS
	if s.prevEnd > startK {
		startK = s.prevEnd
	}
	waitK := time.Duration(k.respStart - startK)
	ready := k.respEnd
	if arriveI > ready {
		ready = arriveI
	}
	own := time.Duration(cur.respStart - ready)
	if own < 0 {
		own = 0
	}
	if waitK < a.opt.MinBlockingWait || float64(waitK) < a.opt.BlockingRatio*float64(own) {
		return
	}
	blocked := time.Duration(k.respEnd - arriveI)
	s.holSite.Add(flow.Time(cur.respStart), e.Conn.ID, e.Index)
	s.holTotal += blocked
	if blocked > s.holWorst || s.holSite.Count == 1 {
		s.holWorst, s.holWorstWait, s.holWorstOwn, s.holWorstTx = blocked, waitK, own, k.idx
	}
}

// ConnClosed implements analysis.ConnHandler.
func (a *Analyzer) ConnClosed(c *analysis.ConnClosed) {
	if s, _ := a.conns.Get(c.Conn.ID); s != nil {
		a.conns.Delete(c.Conn.ID)
		a.flush(s)
		a.free.Put(s)
	}
}

func (a *Analyzer) flush(s *conn) {
	id := s.info.ID
	vantage := analysis.Vantage(s.info.ServerHalf, s.info.ClientHalf)
	if s.pipelined > 0 {
		f := report.Finding{Kind: KindPipelined, Severity: report.SeverityInfo, Evidence: map[string]any{
			"pipelined_requests": s.pipelined,
			"requests":           s.requests,
			"depth_max":          s.depthMax,
			"vantage":            vantage,
			"vantage_corrected":  s.corrected,
			"client_half_us":     h1.US(s.info.ClientHalf),
		}}
		s.pipSite.Apply(&f)
		f.Connection = ptr(uint32(id))
		f.Summary = fmt.Sprintf("%d of %d requests pipelined on connection %d (depth up to %d)", s.pipelined, s.requests, id, s.depthMax)
		f.Advice = "Pipelining is fragile across proxies and suffers head-of-line blocking; prefer HTTP/2 multiplexing, and never pipeline non-idempotent requests."
		a.out = append(a.out, f)
	}
	if s.niSite.Count > 0 {
		f := report.Finding{Kind: KindNonIdempotent, Severity: report.SeverityWarning, Evidence: map[string]any{
			"non_idempotent_method": s.niMethod,
			"first_method":          s.niFirst,
			"reason":                s.niReason,
			"requests":              s.niSite.Count,
		}}
		s.niSite.Apply(&f)
		f.Connection = ptr(uint32(id))
		f.Summary = fmt.Sprintf("%d request(s) pipelined around non-idempotent %s on connection %d", s.niSite.Count, s.niMethod, id)
		f.Advice = "Wait for the final response of a non-idempotent request (POST, PATCH, ...) before sending the next request on the connection (RFC 9112 §9.3.2), or use HTTP/2."
		a.out = append(a.out, f)
	}
	if s.holSite.Count > 0 {
		f := report.Finding{Kind: KindHOL, Severity: report.SeverityWarning, Evidence: map[string]any{
			"blocked_responses":    s.holSite.Count,
			"blocked_us_total":     h1.US(s.holTotal),
			"blocked_us":           h1.US(s.holWorst),
			"blocking_transaction": s.holWorstTx,
			"blocking_wait_us":     h1.US(s.holWorstWait),
			"own_wait_us":          h1.US(s.holWorstOwn),
			"server_half_us":       h1.US(s.info.ServerHalf),
		}}
		s.holSite.Apply(&f)
		f.Connection = ptr(uint32(id))
		f.DurationUS = h1.US(s.holTotal)
		f.Summary = fmt.Sprintf("%d pipelined response(s) on connection %d held behind a slow earlier response (worst %d ms)", s.holSite.Count, id, s.holWorst.Milliseconds())
		f.Advice = "Do not pipeline requests behind slow ones: use HTTP/2 multiplexing or separate connections, and find why the blocking response was slow."
		a.out = append(a.out, f)
	}
}

func ptr[T any](v T) *T { return &v }

// Pending implements analysis.PendingReporter: the findings of the
// connections closed so far.
func (a *Analyzer) Pending(out analysis.Emitter) {
	for _, f := range a.out {
		out.Emit(f)
	}
}

// Finish implements analysis.Analyzer.
func (a *Analyzer) Finish(_ *report.Report, out analysis.Emitter) {
	for id, s := range a.conns.All() {
		a.flush(s)
		a.conns.Delete(id)
	}
	for _, f := range a.out {
		out.Emit(f)
	}
}
