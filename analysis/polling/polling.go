package polling

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"connscope/analysis"
	"connscope/flow"
	"connscope/httpdecode"
	"connscope/report"
)

// Name is the analyser's name.
const Name = "polling"

// Finding kinds.
const (
	KindPolling     = "http_polling"
	KindLongPolling = "http_long_polling"
	KindStreaming   = "http_streaming_response"
)

// AnomalyLimit counts the limits the detector ran into: once for every
// endpoint whose exchanges reached MaxRecords (the later ones are not
// kept), and once for every exchange of an endpoint not tracked because
// Config.MaxPeers endpoints already were.
const AnomalyLimit = "analysis_polling_limit"

// MaxRecords caps the exchanges kept per endpoint.
const MaxRecords = 4096

// Options are the detector's thresholds.
type Options struct {
	MinPolls   int
	MaxCV      float64
	MinPeriod  time.Duration
	MaxTTFB    time.Duration
	MinIdle    time.Duration
	MinCycles  int
	LongHold   time.Duration
	RTTFactor  int
	NextWithin time.Duration
	StreamMin  time.Duration
}

// DefaultOptions returns the thresholds of detection-methods §3.7.
func DefaultOptions() Options {
	return Options{
		MinPolls:   5,
		MaxCV:      0.2,
		MinPeriod:  200 * time.Millisecond,
		MaxTTFB:    time.Second,
		MinIdle:    100 * time.Millisecond,
		MinCycles:  3,
		LongHold:   5 * time.Second,
		RTTFactor:  50,
		NextWithin: time.Second,
		StreamMin:  30 * time.Second,
	}
}

// Factory returns the registry entry of the analyser.
func Factory() analysis.Factory {
	return analysis.Factory{
		Name:  Name,
		Doc:   "periodic polling, long polling and streaming (SSE) responses",
		Kinds: Kinds(),
		New: func(cfg analysis.Config) analysis.Analyzer {
			o := DefaultOptions()
			_ = analysis.ApplyParams(cfg.Params, Name, &o)
			return New(cfg, o)
		},
		Options: func() any { o := DefaultOptions(); return &o },
	}
}

// Kinds documents the finding kinds of the analyser.
func Kinds() []analysis.KindDoc {
	return []analysis.KindDoc{
		{
			Kind: KindPolling, Severity: report.SeverityInfo,
			Title: "a client polls an endpoint at a regular interval",
			Explain: `Polling is asking the same question again and again: a client requests the same URL every few seconds to see whether something changed. It is simple and robust, but most answers say "nothing new", each poll costs a request (and, without keep-alive, a new TCP connection with its handshake and TIME_WAIT entry), and news waits up to one period.

Rule: requests from one client host to one server, Host and path (query ignored) are grouped. The finding fires when there are at least 5 of them, the intervals between request starts have a coefficient of variation (standard deviation / mean) below 0.2, the mean period is at least 200 ms, the median time to first byte is under 1 s, and the client is idle between polls (median gap between a response's end and the next request at least 100 ms, so back-to-back benchmark traffic does not count). Severity info. Evidence: endpoint, requests, period_ms, cv, unchanged_fraction (responses that were 304, 204 or as long as the previous one), conn_per_poll (connections per request: 1 means a new connection per poll), ttfb_ms_p50.

False positives: health checks and monitoring are polling by design.

What to change: if most answers are unchanged, use conditional requests (ETag, 304), long polling, Server-Sent Events or a WebSocket so the server pushes news; keep the connection alive between polls; lengthen the period.`,
		},
		{
			Kind: KindLongPolling, Severity: report.SeverityInfo,
			Title: "a client long-polls: the server holds each request until news or a timeout",
			Explain: `Long polling is polling where the server does not answer at once: it holds the request open until there is news or its hold timeout expires, and the client asks again as soon as an answer arrives. It delivers news quickly, but every message still costs a full request and response, and each held request ties up a connection (and a server worker) for the whole hold time; proxies with shorter idle timeouts cut it.

Rule: on one endpoint (client host, server, Host, path without query), at least 3 consecutive exchanges whose time to first byte is at least max(5 s, 50 × the connection's handshake RTT) and where each next request starts within 1 s of the previous response's end. Severity info. Evidence: endpoint, cycles, hold_ms_p50, hold_ms_max (a constant hold is the server's timeout), empty_fraction (answers with no body or 204: timeouts without news).

False positives: a slow endpoint called in a loop looks the same; the rule needs repetition and a prompt re-request.

What to change: Server-Sent Events or a WebSocket carry many messages over one response or connection; keep proxy and load-balancer idle timeouts above the hold time.`,
		},
		{
			Kind: KindStreaming, Severity: report.SeverityInfo,
			Title: "a response streams data for a long time (Server-Sent Events or an endless body)",
			Explain: `A streaming response keeps delivering data for as long as the client listens: Server-Sent Events (Content-Type text/event-stream, WHATWG HTML "Server-sent events") or a chunked or close-delimited body that stays open. It is the efficient alternative to polling for server-to-client news, but it holds a connection open, counts as one never-ending transaction in timings, and buffering proxies can delay or break it.

Rule: a response with Content-Type text/event-stream, or a chunked or close-delimited response whose body lasted at least 30 s. One finding per response, severity info. Evidence: endpoint, type (sse, chunked or close), duration_ms (first to last byte of the response), bytes (body), content_type.

What to change: nothing if intended. Make sure proxies do not buffer the stream (e.g. X-Accel-Buffering: no for nginx), send periodic heartbeats (SSE comment lines) shorter than every idle timeout on the path, and let clients reconnect with Last-Event-ID.`,
		},
	}
}

type endpoint struct {
	client, server flow.Addr
	port           uint16
	host, path     string
}

func (e endpoint) String() string {
	return e.client.String() + " -> " + flow.Endpoint{Addr: e.server, Port: e.port}.String() + " " + e.host + e.path
}

func (e endpoint) peer() string {
	return e.client.String() + " -> " + flow.Endpoint{Addr: e.server, Port: e.port}.String()
}

// record is what one exchange contributes.
type record struct {
	conn                                 flow.ConnID
	index                                int
	reqStart, reqEnd, respStart, respEnd int64
	status                               int
	body                                 int64
	rtt                                  time.Duration
	answered                             bool
}

type analyzer struct {
	opt     Options
	max     int
	eps     map[endpoint][]record
	full    map[endpoint]bool // endpoints that reached MaxRecords
	dropped uint64
	streams []report.Finding
}

// New returns the analyser with thresholds opt.
func New(cfg analysis.Config, opt Options) analysis.Analyzer {
	cfg = cfg.WithDefaults()
	return &analyzer{opt: opt, max: cfg.MaxPeers, eps: map[endpoint][]record{}, full: map[endpoint]bool{}}
}

func (a *analyzer) Name() string { return Name }

// pathOf returns the request target's path without query (origin form;
// the authority is removed from an absolute-form target) and the host an
// absolute target names.
func pathOf(target string) (path, host string) {
	if i := strings.Index(target, "://"); i >= 0 {
		rest := target[i+3:]
		j := strings.IndexByte(rest, '/')
		if j < 0 {
			return "/", rest
		}
		host, target = rest[:j], rest[j:]
	}
	if i := strings.IndexAny(target, "?#"); i >= 0 {
		target = target[:i]
	}
	return target, host
}

// Exchange implements analysis.ExchangeHandler.
func (a *analyzer) Exchange(e *analysis.Exchange) {
	q := e.Request
	if q == nil {
		return
	}
	path, host := pathOf(q.Target)
	if q.Host != "" {
		host = q.Host
	}
	ep := endpoint{client: e.Conn.Client.Addr, server: e.Conn.Server.Addr, port: e.Conn.Server.Port, host: strings.ToLower(host), path: path}
	r := record{conn: e.Conn.ID, index: e.Index, reqStart: q.Start, reqEnd: q.End, rtt: e.Conn.ServerHalf + e.Conn.ClientHalf}
	if p := e.Response; p != nil {
		r.answered = true
		r.respStart, r.respEnd, r.status, r.body = p.Start, p.End, p.Status, p.BodyBytes
		a.stream(e, ep, p)
	}
	recs, ok := a.eps[ep]
	switch {
	case !ok && len(a.eps) >= a.max:
		a.dropped++
		return
	case len(recs) >= MaxRecords:
		if !a.full[ep] {
			a.full[ep] = true
			a.dropped++
		}
		return
	}
	a.eps[ep] = append(recs, r)
}

// stream judges one response as a streaming response.
func (a *analyzer) stream(e *analysis.Exchange, ep endpoint, p *httpdecode.Message) {
	ct := strings.ToLower(strings.TrimSpace(p.ContentType))
	dur := time.Duration(p.End - p.Start)
	typ := ""
	switch {
	case strings.HasPrefix(ct, "text/event-stream"):
		typ = "sse"
	case p.Framing == httpdecode.FramingChunked && dur >= a.opt.StreamMin:
		typ = "chunked"
	case p.Framing == httpdecode.FramingCloseDelimited && dur >= a.opt.StreamMin:
		typ = "close"
	default:
		return
	}
	id, idx := uint32(e.Conn.ID), e.Index
	what := map[string]string{"sse": "Server-Sent Events stream", "chunked": "chunked response", "close": "close-delimited response"}[typ]
	a.streams = append(a.streams, report.Finding{
		Kind:        KindStreaming,
		Severity:    report.SeverityInfo,
		Connection:  &id,
		Transaction: &idx,
		At:          report.FormatTime(p.Start),
		DurationUS:  flow.Micros(dur),
		Summary:     fmt.Sprintf("%s from %s%s lasted %.1f s (%d body bytes)", what, ep.host, ep.path, dur.Seconds(), p.BodyBytes),
		Evidence: map[string]any{
			"endpoint":     ep.String(),
			"type":         typ,
			"duration_ms":  millis(dur),
			"bytes":        p.BodyBytes,
			"content_type": p.ContentType,
		},
		Advice: "If intended, make sure proxies on the path do not buffer it and that heartbeats come more often than any idle timeout.",
	})
}

func millis(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// Finish judges every endpoint.
func (a *analyzer) Finish(rep *report.Report, out analysis.Emitter) {
	if a.dropped > 0 {
		if rep.Capture.Anomalies == nil {
			rep.Capture.Anomalies = map[string]uint64{}
		}
		rep.Capture.Anomalies[AnomalyLimit] += a.dropped
	}
	for _, f := range a.streams {
		out.Emit(f)
	}
	keys := make([]endpoint, 0, len(a.eps))
	for k := range a.eps {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
	for _, k := range keys {
		recs := a.eps[k]
		sort.SliceStable(recs, func(i, j int) bool { return recs[i].reqStart < recs[j].reqStart })
		if f, ok := a.polling(k, recs); ok {
			out.Emit(f)
		}
		if f, ok := a.longPolling(k, recs); ok {
			out.Emit(f)
		}
	}
}

// polling applies the periodic-polling rule to an endpoint's exchanges.
func (a *analyzer) polling(k endpoint, recs []record) (report.Finding, bool) {
	if len(recs) < a.opt.MinPolls {
		return report.Finding{}, false
	}
	var ivs, ttfb, idle []float64
	unchanged, answered := 0, 0
	conns := map[flow.ConnID]bool{}
	for i, r := range recs {
		conns[r.conn] = true
		if i > 0 {
			ivs = append(ivs, float64(r.reqStart-recs[i-1].reqStart))
			if p := recs[i-1]; p.answered && p.respEnd > 0 {
				idle = append(idle, float64(r.reqStart-p.respEnd))
			}
		}
		if r.answered {
			answered++
			ttfb = append(ttfb, float64(r.respStart-r.reqEnd))
			if r.status == 304 || r.status == 204 || i > 0 && recs[i-1].answered && recs[i-1].body == r.body {
				unchanged++
			}
		}
	}
	var sum, sq float64
	for _, v := range ivs {
		sum += v
	}
	mean := sum / float64(len(ivs))
	for _, v := range ivs {
		sq += (v - mean) * (v - mean)
	}
	if mean <= 0 {
		return report.Finding{}, false
	}
	cv := math.Sqrt(sq/float64(len(ivs))) / mean
	if cv >= a.opt.MaxCV || mean < float64(a.opt.MinPeriod) || answered == 0 ||
		median(ttfb) >= float64(a.opt.MaxTTFB) || median(idle) < float64(a.opt.MinIdle) {
		return report.Finding{}, false
	}
	period := time.Duration(mean)
	connPer := float64(len(conns)) / float64(len(recs))
	last := recs[len(recs)-1]
	f := report.Finding{
		Kind:       KindPolling,
		Severity:   report.SeverityInfo,
		Peer:       k.peer(),
		At:         report.FormatTime(recs[0].reqStart),
		DurationUS: flow.Micros(time.Duration(last.reqStart - recs[0].reqStart)),
		Count:      len(recs),
		Summary:    fmt.Sprintf("%s%s was polled %d times every %.2f s (cv %.2f, %d connections)", k.host, k.path, len(recs), period.Seconds(), cv, len(conns)),
		Evidence: map[string]any{
			"endpoint":           k.String(),
			"requests":           len(recs),
			"period_ms":          millis(period),
			"cv":                 math.Round(cv*1000) / 1000,
			"unchanged_fraction": math.Round(float64(unchanged)/float64(answered)*1000) / 1000,
			"conn_per_poll":      math.Round(connPer*1000) / 1000,
			"ttfb_ms_p50":        millis(time.Duration(median(ttfb))),
		},
		Advice: "Use conditional requests, long polling, Server-Sent Events or a WebSocket instead of asking repeatedly; keep the connection alive between polls.",
	}
	if len(conns) == 1 {
		id := uint32(recs[0].conn)
		f.Connection = &id
	}
	return f, true
}

// longPolling finds the longest run of held, promptly repeated exchanges.
func (a *analyzer) longPolling(k endpoint, recs []record) (report.Finding, bool) {
	held := func(r record) bool {
		if !r.answered || r.respStart == 0 {
			return false
		}
		min := a.opt.LongHold
		if x := time.Duration(a.opt.RTTFactor) * r.rtt; x > min {
			min = x
		}
		return time.Duration(r.respStart-r.reqEnd) >= min
	}
	bestLo, bestN := 0, 0
	for i := 0; i < len(recs); {
		if !held(recs[i]) {
			i++
			continue
		}
		j := i + 1
		for j < len(recs) && held(recs[j]) && time.Duration(recs[j].reqStart-recs[j-1].respEnd) < a.opt.NextWithin && recs[j].reqStart >= recs[j-1].respEnd-int64(time.Millisecond) {
			j++
		}
		if j-i > bestN {
			bestLo, bestN = i, j-i
		}
		i = j
	}
	if bestN < a.opt.MinCycles {
		return report.Finding{}, false
	}
	run := recs[bestLo : bestLo+bestN]
	var holds []float64
	var maxHold float64
	empty := 0
	for _, r := range run {
		h := float64(r.respStart - r.reqEnd)
		holds = append(holds, h)
		maxHold = math.Max(maxHold, h)
		if r.body == 0 || r.status == 204 {
			empty++
		}
	}
	last := run[len(run)-1]
	f := report.Finding{
		Kind:       KindLongPolling,
		Severity:   report.SeverityInfo,
		Peer:       k.peer(),
		At:         report.FormatTime(run[0].reqStart),
		DurationUS: flow.Micros(time.Duration(last.respEnd - run[0].reqStart)),
		Count:      len(run),
		Summary:    fmt.Sprintf("%s%s was long-polled: %d cycles, each held about %.1f s by the server", k.host, k.path, len(run), time.Duration(median(holds)).Seconds()),
		Evidence: map[string]any{
			"endpoint":       k.String(),
			"cycles":         len(run),
			"hold_ms_p50":    millis(time.Duration(median(holds))),
			"hold_ms_max":    millis(time.Duration(maxHold)),
			"empty_fraction": math.Round(float64(empty)/float64(len(run))*1000) / 1000,
		},
		Advice: "Consider Server-Sent Events or a WebSocket; keep proxy and load-balancer idle timeouts above the hold time.",
	}
	if run[0].conn == last.conn {
		id := uint32(last.conn)
		f.Connection = &id
	}
	return f, true
}
