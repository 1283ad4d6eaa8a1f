package httpdecode

import (
	"bytes"
	"strings"
)

type connMode uint8

const (
	modeUndecided connMode = iota // no client byte classified yet
	modeHTTP                      // parsing
	modeNotHTTP                   // not HTTP/1.x: everything is ignored
)

// maxPreAnomalies bounds the tokens kept for the next message of a
// direction (tokens are de-duplicated, so this is never reached in practice).
const maxPreAnomalies = 64

// entry is one exchange being assembled.
type entry struct {
	ex Exchange
	// req and resp hold the messages ex points to: one allocation per
	// exchange instead of three.
	req, resp Message
	reqDone   bool // the request ended (or there is none)
	respDone  bool // the final response ended
	// givenUp: dropped from the pairing queue, for excessive pipelining or
	// because its response was lost in a capture gap (realign).
	givenUp bool
	next    *entry // the request after this one, while this one waits
}

// connSide adapts one direction's Parser events to its Conn.
type connSide struct {
	c *Conn
	d Dir
}

// Conn follows one TCP connection carrying HTTP/1.x: it owns one Parser per
// direction, pairs requests with responses in FIFO order (RFC 9112 §9.3.2),
// frames each response with its request's method (HEAD, CONNECT), follows
// interim 1xx responses and protocol switches, and reports owned Exchange
// values to its Handler.
//
// The first client bytes decide whether the connection is HTTP/1.x: they
// must start with a known method and a space (LooksLikeRequest). When they
// do not, the Conn stops parsing and reports nothing. Server bytes that
// arrive before any client byte are parsed only when they start with
// "HTTP/1." (a capture that began mid-connection); otherwise they are held
// back as a gap until the client speaks.
//
// A Conn is not safe for concurrent use; all Handler calls happen
// synchronously from Feed, Gap, End and Close.
type Conn struct {
	h    Handler
	lim  Limits
	par  [2]Parser
	side [2]connSide

	mode     connMode
	pfx      [16]byte // first client bytes, for the decision
	pfxN     int
	spfx     [8]byte // first server bytes, while they may be "HTTP/1."
	spfxN    int
	spfxT    int64
	sNo      bool  // the first server bytes were not a status line
	heldGap  int64 // server bytes held back before the decision
	heldEnd  bool
	heldEndT int64
	ended    [2]bool
	closed   bool

	entries    []*entry // exchanges not yet emitted, in order
	queue      []*entry // requests waiting for a final response
	last       *entry   // the most recent request
	nextIndex  int
	cur        [2]*Message
	curEntry   [2]*entry
	pre        [2][]string // anomalies for the next message of a direction
	interim    bool        // the response being parsed is an interim 1xx
	respClosed bool        // no further response can arrive
	// respLost: since the last final response head, server bytes were
	// lost or skipped where a response head could have been (the parser
	// resynchronised), so responses may be missing from the pairing.
	respLost bool
	// pipelines: the client was seen pipelining (a request sent with the
	// end of the previous one, or before a response that was seen whole
	// had ended), so pairing after a loss stays FIFO (see realign).
	pipelines  bool
	closeDelim bool // a close-delimited response started
	proto      string
	reqVersion string
	version    string
}

// NewConn returns a Conn reporting to h. Zero fields of lim take their
// defaults.
func NewConn(h Handler, lim Limits) *Conn {
	c := &Conn{}
	c.Reset(h, lim)
	return c
}

// resetKeep is the largest parser buffer capacity Reset keeps for reuse; a
// parser that grew beyond it (a long header block) starts empty again.
const resetKeep = 4 << 10

// Reset makes c a new Conn reporting to h, as NewConn would, for a caller
// that recycles Conns of closed connections. It keeps the parsers' small
// buffers, so a recycled Conn usually parses without allocating them again.
// Nothing c handed out (messages, exchanges) is touched.
func (c *Conn) Reset(h Handler, lim Limits) {
	par := c.par
	*c = Conn{h: h, lim: lim.WithDefaults()}
	for i := range par {
		if par[i].Buffered() <= resetKeep && cap(par[i].fields) <= resetKeep/16 && cap(par[i].fold) <= resetKeep {
			c.par[i] = par[i]
		}
	}
	c.side[0] = connSide{c: c, d: ClientToServer}
	c.side[1] = connSide{c: c, d: ServerToClient}
	c.par[0].Reset(true, &c.side[0], c.lim)
	c.par[1].Reset(false, &c.side[1], c.lim)
}

// IsHTTP reports whether the connection carries HTTP/1.x: its first client
// bytes were a request line (or, mid-connection, its first server bytes a
// status line). It is false until that is known.
func (c *Conn) IsHTTP() bool { return c.mode == modeHTTP }

// Finished reports whether both directions of an HTTP connection have
// ended and every exchange has been handed to the Handler: nothing the
// Conn could still be given changes anything (it ignores bytes after an
// end), so Close would only release it.
func (c *Conn) Finished() bool {
	return c.mode == modeHTTP && c.ended[0] && c.ended[1] && len(c.entries) == 0
}

// Version returns the HTTP version of the most recent final response
// ("HTTP/1.1", "HTTP/1.0"), or of the most recent request when no response
// was parsed, or "".
func (c *Conn) Version() string {
	if c.version != "" {
		return c.version
	}
	return c.reqVersion
}

// Upgrade returns the protocol the connection switched to ("websocket",
// "h2c", "connect", ...), or "" while it is plain HTTP/1.x.
func (c *Conn) Upgrade() string { return c.proto }

// Pending returns the number of requests waiting for a final response.
func (c *Conn) Pending() int { return len(c.queue) }

// Stats returns the counters of the request and response parsers, indexed
// by Dir.
func (c *Conn) Stats() [2]Stats { return [2]Stats{c.par[0].Stats(), c.par[1].Stats()} }

// Buffered returns the bytes of carry-over buffer capacity held by the two
// parsers (bounded by Limits).
func (c *Conn) Buffered() int { return c.par[0].Buffered() + c.par[1].Buffered() }

// Feed parses bytes p of direction d seen at time t (nanoseconds). p is not
// retained.
func (c *Conn) Feed(d Dir, t int64, p []byte) {
	if len(p) == 0 || d > ServerToClient || c.closed || c.mode == modeNotHTTP || c.ended[d] {
		return
	}
	if c.mode == modeUndecided && (d == ServerToClient && c.heldEnd || !c.decide(d, t, p)) {
		return
	}
	c.par[d].Feed(p, t)
}

// decide classifies the connection from its first bytes and reports
// whether p should be parsed.
func (c *Conn) decide(d Dir, t int64, p []byte) bool {
	if d == ServerToClient {
		return c.decideServer(t, p)
	}
	q := p
	if c.pfxN == 0 {
		if q = skipEmptyLines(p); len(q) == 0 {
			return true
		}
	}
	c.pfxN += copy(c.pfx[c.pfxN:], q)
	switch matchMethod(c.pfx[:c.pfxN]) {
	case matchFull:
		c.setHTTP(t)
		return true
	case matchPartial:
		return true
	}
	c.mode = modeNotHTTP
	c.release()
	return false
}

// decideServer looks at server bytes that precede any client byte: a
// status line makes the connection HTTP (a capture that started after the
// request); anything else is held back as a gap.
func (c *Conn) decideServer(t int64, p []byte) bool {
	if c.sNo || c.pfxN > 0 {
		c.heldGap += int64(len(p))
		return false
	}
	q := p
	if c.spfxN == 0 {
		if q = skipEmptyLines(p); len(q) == 0 {
			return false
		}
		c.spfxT = t
	}
	old := c.spfxN
	n := copy(c.spfx[old:], q)
	switch matchLiteral(c.spfx[:old+n], httpVersionPrefix) {
	case matchFull:
		c.spfxN = 0
		c.setHTTP(t)
		if old > 0 {
			c.par[1].Feed(c.spfx[:old], c.spfxT)
		}
		return true
	case matchPartial:
		c.spfxN = old + n
		return false
	}
	c.sNo = true
	c.spfxN = 0
	c.heldGap += int64(old + len(p))
	return false
}

// matchLiteral tells whether p starts with lit.
func matchLiteral(p []byte, lit string) int {
	if len(p) < len(lit) {
		if string(p) == lit[:len(p)] {
			return matchPartial
		}
		return matchNo
	}
	if string(p[:len(lit)]) == lit {
		return matchFull
	}
	return matchNo
}

func (c *Conn) setHTTP(t int64) {
	c.mode = modeHTTP
	if c.heldGap > 0 {
		n := c.heldGap
		c.heldGap = 0
		for n > 0 {
			g := min(n, 1<<30)
			c.par[1].Gap(int(g), t)
			n -= g
		}
	}
	if c.spfxN > 0 {
		// A partial status line held back: parse it now.
		n := c.spfxN
		c.spfxN = 0
		c.par[1].Feed(c.spfx[:n], c.spfxT)
	}
	if c.heldEnd {
		c.heldEnd = false
		c.End(ServerToClient, c.heldEndT)
	}
}

// release drops the parsers' buffers of a connection that is not HTTP.
func (c *Conn) release() {
	c.par[0].Reset(true, &c.side[0], c.lim)
	c.par[1].Reset(false, &c.side[1], c.lim)
	c.par[0].carry, c.par[1].carry = nil, nil
}

// Gap reports n missing bytes of direction d at time t.
func (c *Conn) Gap(d Dir, t int64, n int) {
	if n <= 0 || d > ServerToClient || c.closed || c.mode == modeNotHTTP || c.ended[d] {
		return
	}
	if c.mode == modeUndecided {
		if d == ServerToClient {
			c.heldGap += int64(c.spfxN + n)
			c.spfxN = 0
			c.sNo = true
			return
		}
		// The first client bytes are lost: decide on the bytes after the gap.
		c.pfxN = 0
		c.par[0].Reset(true, &c.side[0], c.lim)
		return
	}
	c.par[d].Gap(n, t)
	if d == ServerToClient && c.par[1].state == stResync {
		c.respLost = true
	}
}

// End reports that direction d ended at time t (FIN, RST or end of data).
func (c *Conn) End(d Dir, t int64) {
	if d > ServerToClient || c.closed || c.mode == modeNotHTTP || c.ended[d] {
		return
	}
	if c.mode == modeUndecided {
		if d == ClientToServer {
			// The client never sent a request line.
			c.mode = modeNotHTTP
			c.release()
			return
		}
		c.heldEnd, c.heldEndT = true, t
		return
	}
	c.ended[d] = true
	c.par[d].End(t)
	if d == ServerToClient {
		c.respClosed = true
	}
	c.flush(false)
}

// Close ends the connection at time t: both directions end, and every
// request still waiting is reported with the response it got, if any.
func (c *Conn) Close(t int64) {
	if c.closed {
		return
	}
	if c.mode == modeHTTP {
		for d := ClientToServer; d <= ServerToClient; d++ {
			if !c.ended[d] {
				c.ended[d] = true
				c.par[d].End(t)
			}
		}
		c.respClosed = true
		c.flush(true)
	}
	c.closed = true
	c.release()
}

// realign is called at a final response head that follows lost or skipped
// server bytes, which may have held the responses to the oldest waiting
// requests. FIFO pairing would give this response to the oldest request,
// and every later one to the request before its own, for the rest of the
// connection: each request would look pipelined behind a response that
// never comes. Unless the client was seen pipelining, it is taken to send
// a request only after the previous response (as browsers, curl, Go's
// net/http, ab and wrk do), so the response answers the newest request
// that started before it (start, the time of its first byte); the older
// ones are given up, their responses lost, and the request it answers was
// not sent behind an unanswered one.
func (c *Conn) realign(start int64) {
	if c.pipelines || len(c.queue) < 2 {
		return
	}
	k := 0
	for j := len(c.queue) - 1; j > 0; j-- {
		if c.queue[j].req.Start < start {
			k = j
			break
		}
	}
	if k == 0 {
		return
	}
	for j, e := range c.queue[:k+1] {
		if j > 0 {
			// Flagged for the lost response before it.
			e.ex.Pipelined = false
		}
		if j == k {
			break
		}
		e.givenUp = true
		e.req.Anomalies = addToken(e.req.Anomalies, AnomalyResponseLost)
		c.h.Anomaly(AnomalyResponseLost)
		c.queue[j] = nil
	}
	c.queue = c.queue[k:]
	c.flush(false)
}

// flush emits the exchanges at the front that are complete (all of them
// when force is set).
func (c *Conn) flush(force bool) {
	for len(c.entries) > 0 {
		e := c.entries[0]
		ready := e.reqDone && (e.respDone || e.givenUp || c.respClosed && e.ex.Response == nil)
		if !ready && !force {
			return
		}
		c.entries[0] = nil
		c.entries = c.entries[1:]
		e.next = nil // the Handler may keep e: not the entries after it
		c.h.Exchange(&e.ex)
	}
}

func (c *Conn) anomaly(d Dir, tok string) {
	c.h.Anomaly(tok)
	if m := c.cur[d]; m != nil {
		m.Anomalies = addToken(m.Anomalies, tok)
	} else if len(c.pre[d]) < maxPreAnomalies {
		c.pre[d] = addToken(c.pre[d], tok)
	}
}

func addToken(list []string, tok string) []string {
	for _, s := range list {
		if s == tok {
			return list
		}
	}
	return append(list, tok)
}

func (c *Conn) takePre(d Dir) []string {
	l := c.pre[d]
	c.pre[d] = nil
	return l
}

func (c *Conn) requestHead(h *Head) Framing {
	e := &entry{}
	m := &e.req
	setMessage(m, h)
	m.Anomalies = c.takePre(ClientToServer)
	e.ex.Index = c.nextIndex
	c.nextIndex++
	e.ex.Request = m
	if prev := c.last; prev != nil {
		r := prev.ex.Response
		e.ex.Pipelined = r == nil || !prev.respDone || r.End > m.Start
		if m.Start <= prev.req.End {
			// Sent with the end of the previous request (in one write):
			// no response to that one can have come in between.
			c.pipelines = true
		}
		if !prev.respDone && !prev.givenUp && !c.respClosed {
			// Still waiting, so not handed out: its response's end may
			// settle whether e was pipelined.
			prev.next = e
		}
	}
	c.last = e
	c.cur[0], c.curEntry[0] = m, e
	c.reqVersion = m.Version
	if c.closeDelim {
		c.anomaly(ClientToServer, AnomalyDataAfterCloseDelimited)
	}
	if len(c.queue) >= c.lim.MaxPending {
		c.anomaly(ClientToServer, AnomalyExcessivePipelining)
		c.queue[0].givenUp = true
		c.queue[0] = nil
		c.queue = c.queue[1:]
	}
	c.queue = append(c.queue, e)
	c.entries = append(c.entries, e)
	return h.Framing
}

func (c *Conn) responseHead(h *Head) Framing {
	s := h.Status
	if s >= 100 && s < 200 && s != 101 {
		// RFC 9110 §15.2: interim responses precede the final one.
		c.interim = true
		if len(c.queue) > 0 {
			c.queue[0].ex.Interim++
		}
		return FramingNone
	}
	c.interim = false
	if c.respLost || h.Skipped > 0 {
		c.respLost = false
		c.realign(h.Start)
	}
	var e *entry
	if len(c.queue) == 0 {
		e = &entry{reqDone: true}
		e.ex.Index = c.nextIndex
		c.nextIndex++
		c.entries = append(c.entries, e)
	} else {
		e = c.queue[0]
		c.queue[0] = nil
		c.queue = c.queue[1:]
	}
	m := &e.resp
	setMessage(m, h)
	m.Anomalies = c.takePre(ServerToClient)
	e.ex.Response = m
	c.cur[1], c.curEntry[1] = m, e
	c.version = m.Version
	req := e.ex.Request
	if req == nil {
		c.anomaly(ServerToClient, AnomalyResponseWithoutRequest)
	}
	f := h.Framing
	switch {
	case req == nil:
	case req.Method == "HEAD" && f != FramingTunnel:
		// RFC 9112 §6.3 rule 1: a response to HEAD has no content.
		f = FramingNone
	case req.Method == "CONNECT" && s >= 200 && s < 300:
		// RFC 9112 §6.3 rule 2: a tunnel follows the head.
		f = FramingTunnel
	}
	if s == 101 && req != nil && req.Upgrade == "" {
		c.anomaly(ServerToClient, AnomalyUnsolicitedSwitch)
	}
	if f == FramingCloseDelimited {
		c.closeDelim = true
	}
	m.Framing = f
	return f
}

func (c *Conn) messageDone(d Dir, dn *Done) {
	if d == ServerToClient && c.interim {
		c.interim = false
		return
	}
	m, e := c.cur[d], c.curEntry[d]
	if m == nil {
		return
	}
	c.cur[d], c.curEntry[d] = nil, nil
	m.BodyBytes, m.BodyWireBytes, m.GapBytes = dn.BodyBytes, dn.BodyWireBytes, dn.GapBytes
	m.Complete, m.Truncated, m.End = dn.Complete, dn.Truncated, dn.End
	if d == ClientToServer {
		e.reqDone = true
		c.flush(false)
		return
	}
	e.respDone = true
	if n := e.next; n != nil && n.ex.Pipelined && !c.pipelines {
		switch {
		case dn.TailLost && n.req.Start >= m.End:
			// The response's last bytes were lost before the next request
			// was seen: whether it came after them is unknown.
			n.ex.Pipelined = false
		case m.GapBytes == 0 && m.ResyncSkipped == 0:
			c.pipelines = true
		}
	}
	if m.Framing != FramingTunnel {
		c.flush(false)
		return
	}
	c.respClosed = true
	c.proto = upgradeProto(e.ex.Request, m)
	c.flush(false)
	c.h.Upgraded(c.proto, &e.ex)
	c.par[0].StartTunnel(m.End)
}

// upgradeProto names the protocol switched to: "connect" for a 2xx to
// CONNECT, else the first Upgrade token of the response (or request),
// lower-cased.
func upgradeProto(req, resp *Message) string {
	if resp.Status != 101 {
		return "connect"
	}
	for _, u := range []string{resp.Upgrade, reqUpgrade(req)} {
		tok, _, _ := strings.Cut(u, ",")
		if tok = strings.TrimSpace(tok); tok != "" {
			return strings.ToLower(tok)
		}
	}
	return "unknown"
}

func reqUpgrade(req *Message) string {
	if req == nil {
		return ""
	}
	return req.Upgrade
}

// Head implements ParserHandler.
func (s *connSide) Head(h *Head) Framing {
	if s.d == ClientToServer {
		return s.c.requestHead(h)
	}
	return s.c.responseHead(h)
}

// Body implements ParserHandler; bodies are only counted.
func (s *connSide) Body(p []byte, t int64) {}

// Done implements ParserHandler.
func (s *connSide) Done(d *Done) { s.c.messageDone(s.d, d) }

// Tunnel implements ParserHandler.
func (s *connSide) Tunnel(p []byte, t int64) { s.c.h.Tunnel(s.d, t, p) }

// Anomaly implements ParserHandler.
func (s *connSide) Anomaly(tok string) { s.c.anomaly(s.d, tok) }

// setMessage copies a head into m, a zero Message.
func setMessage(m *Message, h *Head) {
	*m = Message{
		Request:       h.Request,
		Status:        h.Status,
		Version:       versionString(h.Version),
		HeaderCount:   len(h.Fields),
		HeaderBytes:   h.HeaderBytes,
		ContentLength: h.ContentLength,
		Framing:       h.Framing,
		Start:         h.Start,
		HeadEnd:       h.End,
		End:           h.End,
		ResyncSkipped: h.Skipped,
	}
	if h.Request {
		m.Method, m.Target = string(h.Method), string(h.Target)
	} else {
		m.Reason = string(h.Reason)
	}
	for i := range h.Fields {
		f := &h.Fields[i]
		var dst *string
		switch len(f.Name) {
		case 2:
			if equalFoldLower(f.Name, "te") {
				dst = &m.TE
			}
		case 3:
			if equalFoldLower(f.Name, "via") {
				dst = &m.Via
			}
		case 4:
			if equalFoldLower(f.Name, "host") {
				dst = &m.Host
			}
		case 6:
			if equalFoldLower(f.Name, "expect") {
				dst = &m.Expect
			}
		case 7:
			if equalFoldLower(f.Name, "upgrade") {
				dst = &m.Upgrade
			}
		case 10:
			if equalFoldLower(f.Name, "connection") {
				dst = &m.Connection
				m.ConnectionTokens = appendTokens(m.ConnectionTokens, f.Value)
			} else if equalFoldLower(f.Name, "keep-alive") {
				dst = &m.KeepAlive
			}
		case 12:
			if equalFoldLower(f.Name, "content-type") {
				dst = &m.ContentType
			}
		case 14:
			if equalFoldLower(f.Name, "http2-settings") {
				dst = &m.HTTP2Settings
			}
		case 16:
			if equalFoldLower(f.Name, "proxy-connection") {
				dst = &m.ProxyConnection
			}
		case 17:
			if equalFoldLower(f.Name, "sec-websocket-key") {
				dst = &m.WSKey
			} else if equalFoldLower(f.Name, "transfer-encoding") {
				dst = &m.TransferEncoding
			}
		case 20:
			if equalFoldLower(f.Name, "sec-websocket-accept") {
				dst = &m.WSAccept
			}
		}
		if dst == nil {
			continue
		}
		if *dst == "" {
			*dst = string(f.Value)
		} else {
			*dst += ", " + string(f.Value)
		}
	}
}

func versionString(v []byte) string {
	switch string(v) {
	case "HTTP/1.1":
		return "HTTP/1.1"
	case "HTTP/1.0":
		return "HTTP/1.0"
	}
	return string(v)
}

// appendTokens appends the lower-cased, trimmed, non-empty comma-separated
// tokens of v.
func appendTokens(dst []string, v []byte) []string {
	for len(v) > 0 {
		tok := v
		if c := bytes.IndexByte(v, ','); c >= 0 {
			tok, v = v[:c], v[c+1:]
		} else {
			v = nil
		}
		if tok = trimOWS(tok); len(tok) > 0 {
			dst = append(dst, strings.ToLower(string(tok)))
		}
	}
	return dst
}

// TunnelGapHandler may be implemented by a Handler that wants to know about
// bytes missing after a protocol switch (Conn checks with a type assertion).
type TunnelGapHandler interface {
	// TunnelGap reports n missing tunnel bytes of direction d at time t.
	TunnelGap(d Dir, t int64, n int)
}

// TunnelGap forwards a gap after a protocol switch to the Handler when it
// implements TunnelGapHandler.
func (s *connSide) TunnelGap(n int, t int64) {
	if g, ok := s.c.h.(TunnelGapHandler); ok {
		g.TunnelGap(s.d, t, n)
	}
}
