package h1test

import (
	"net/netip"
	"sort"
	"strings"
	"time"

	"connscope/analysis"
	"connscope/flow"
	"connscope/httpdecode"
	"connscope/report"
)

// T0 is the base time of synthetic scenarios (2023-11-14T22:13:20Z).
const T0 = flow.Time(1_700_000_000_000_000_000)

// At returns T0+d.
func At(d time.Duration) flow.Time { return T0.Add(d) }

// ns returns T0+d in nanoseconds, the unit of httpdecode message times.
func ns(d time.Duration) int64 { return int64(At(d)) }

// ClientAddr and ServerAddr are the default endpoint addresses.
var (
	ClientAddr = flow.AddrFrom4(netip.MustParseAddr("192.0.2.1").AsSlice())
	ServerAddr = flow.AddrFrom4(netip.MustParseAddr("192.0.2.2").AsSlice())
)

// Peer is the default peer name ("192.0.2.1 -> 192.0.2.2:8080").
const Peer = "192.0.2.1 -> 192.0.2.2:8080"

// Conn is one synthetic connection with its exchanges and close.
type Conn struct {
	Info      analysis.ConnInfo
	Exchanges []analysis.Exchange
	Closed    analysis.ConnClosed
}

// NewConn returns a connection with id, client port port, first packet and
// SYN at T0+start, 100 µs handshake halves (loopback-like, vantage
// "unknown"), still open at T0+start.
func NewConn(id int, port uint16, start time.Duration) *Conn {
	c := &Conn{Info: analysis.ConnInfo{
		ID:         flow.ConnID(id),
		Client:     flow.Endpoint{Addr: ClientAddr, Port: port},
		Server:     flow.Endpoint{Addr: ServerAddr, Port: 8080},
		Start:      At(start),
		SYN:        At(start),
		RoleSource: "syn",
		ServerHalf: 100 * time.Microsecond,
		ClientHalf: 100 * time.Microsecond,
		WScale:     [2]int{7, 7},
	}}
	c.Closed = analysis.ConnClosed{CloseKind: "open", Initiator: "none", TimeWaitHolder: "none", End: At(start), HandshakeDone: true}
	return c
}

// Halves sets the handshake halves (server = SYN→SYN/ACK, client =
// SYN/ACK→ACK at the capture point).
func (c *Conn) Halves(server, client time.Duration) *Conn {
	c.Info.ServerHalf, c.Info.ClientHalf = server, client
	return c
}

// NoSYN marks the handshake as not seen.
func (c *Conn) NoSYN() *Conn {
	c.Info.SYN = 0
	c.Info.ServerHalf, c.Info.ClientHalf = 0, 0
	c.Closed.HandshakeDone = false
	return c
}

// Add appends an exchange; Pipelined is set when req started before the
// previous response ended (or the previous response is missing).
func (c *Conn) Add(req, resp *httpdecode.Message) *Conn {
	e := analysis.Exchange{Index: len(c.Exchanges), Request: req, Response: resp}
	if n := len(c.Exchanges); n > 0 {
		p := c.Exchanges[n-1].Response
		e.Pipelined = p == nil || req.Start < p.End
	}
	c.Exchanges = append(c.Exchanges, e)
	c.bump(req.End)
	if resp != nil {
		c.bump(resp.End)
	}
	return c
}

func (c *Conn) bump(t int64) {
	if flow.Time(t) > c.Closed.End {
		c.Closed.End = flow.Time(t)
	}
}

// FIN records a FIN sent in direction d at T0+at.
func (c *Conn) FIN(d flow.Dir, at time.Duration) *Conn {
	c.Closed.FIN[d] = At(at)
	return c.settle()
}

// RST records an RST sent in direction d at T0+at.
func (c *Conn) RST(d flow.Dir, at time.Duration) *Conn {
	c.Closed.RST[d] = At(at)
	return c.settle()
}

// CaptureEnd marks the connection as still open when the capture ended at
// T0+at.
func (c *Conn) CaptureEnd(at time.Duration) *Conn {
	c.Closed.CloseKind, c.Closed.Initiator = "open", "none"
	c.Closed.CloseAt = 0
	c.bump(ns(at))
	return c
}

// settle derives CloseKind, Initiator, CloseAt and End from FIN/RST times.
func (c *Conn) settle() *Conn {
	cl := &c.Closed
	first, who, kind := flow.Time(0), "none", "open"
	for d := 0; d < 2; d++ {
		for _, t := range []flow.Time{cl.FIN[d], cl.RST[d]} {
			if t != 0 && (first == 0 || t < first) {
				first = t
				who = [2]string{"client", "server"}[d]
			}
			if t > cl.End {
				cl.End = t
			}
		}
	}
	if cl.RST[0] != 0 || cl.RST[1] != 0 {
		kind = "rst"
	} else if cl.FIN[0] != 0 || cl.FIN[1] != 0 {
		kind = "fin"
	}
	cl.CloseKind, cl.Initiator, cl.CloseAt = kind, who, first
	if kind == "fin" {
		cl.TimeWaitHolder = who
	}
	return c
}

// Opt changes a message.
type Opt func(*httpdecode.Message)

// Req returns a complete HTTP/1.1 request without body sent between T0+start
// and T0+end.
func Req(method, target string, start, end time.Duration, opts ...Opt) *httpdecode.Message {
	m := &httpdecode.Message{Request: true, Method: method, Target: target, Version: "HTTP/1.1",
		Host: "192.0.2.2:8080", ContentLength: -1, Complete: true, Start: ns(start), HeadEnd: ns(end), End: ns(end), HeaderCount: 2, HeaderBytes: 60}
	for _, o := range opts {
		o(m)
	}
	return m
}

// Resp returns a complete HTTP/1.1 response with a Content-Length body of
// n bytes received between T0+start and T0+end.
func Resp(status int, n int64, start, end time.Duration, opts ...Opt) *httpdecode.Message {
	m := &httpdecode.Message{Status: status, Reason: "OK", Version: "HTTP/1.1", ContentLength: n,
		Framing: httpdecode.FramingContentLength, BodyBytes: n, BodyWireBytes: n, Complete: true,
		Start: ns(start), HeadEnd: ns(start), End: ns(end), HeaderCount: 5, HeaderBytes: 150}
	for _, o := range opts {
		o(m)
	}
	return m
}

// V10 makes the message HTTP/1.0.
func V10(m *httpdecode.Message) { m.Version = "HTTP/1.0" }

// Connection sets the Connection header (and its tokens).
func Connection(v string) Opt {
	return func(m *httpdecode.Message) {
		m.Connection = v
		m.ConnectionTokens = nil
		for _, t := range strings.Split(v, ",") {
			if t = strings.ToLower(strings.TrimSpace(t)); t != "" {
				m.ConnectionTokens = append(m.ConnectionTokens, t)
			}
		}
	}
}

// KeepAlive sets the Keep-Alive header.
func KeepAlive(v string) Opt { return func(m *httpdecode.Message) { m.KeepAlive = v } }

// ProxyConnection sets the Proxy-Connection header.
func ProxyConnection(v string) Opt { return func(m *httpdecode.Message) { m.ProxyConnection = v } }

// Via sets the Via header.
func Via(v string) Opt { return func(m *httpdecode.Message) { m.Via = v } }

// Truncated marks a message that received only got body
// bytes before its direction ended.
func Truncated(got int64) Opt {
	return func(m *httpdecode.Message) {
		m.BodyBytes, m.BodyWireBytes = got, got
		m.Complete, m.Truncated = false, true
	}
}

// Gap records n body bytes missing from the capture.
func Gap(n int64) Opt {
	return func(m *httpdecode.Message) {
		m.GapBytes = n
		m.BodyBytes -= n
	}
}

// CloseDelimited frames the body by connection close.
func CloseDelimited(m *httpdecode.Message) {
	m.Framing = httpdecode.FramingCloseDelimited
	m.ContentLength = -1
}

// Chunked frames the body with chunked transfer coding.
func Chunked(m *httpdecode.Message) {
	m.Framing = httpdecode.FramingChunked
	m.ContentLength = -1
}

// NoBody frames the message without a body (HEAD response, 204, 304)
// while keeping a declared Content-Length.
func NoBody(m *httpdecode.Message) {
	m.Framing = httpdecode.FramingNone
	m.BodyBytes, m.BodyWireBytes = 0, 0
}

// Body gives a request a Content-Length body of n bytes.
func Body(n int64) Opt {
	return func(m *httpdecode.Message) {
		m.ContentLength, m.Framing, m.BodyBytes, m.BodyWireBytes = n, httpdecode.FramingContentLength, n, n
	}
}

// Recorder is an analysis.Emitter that keeps what it is given.
type Recorder struct{ Findings []report.Finding }

// Emit implements analysis.Emitter.
func (r *Recorder) Emit(f report.Finding) {
	if f.Count < 1 {
		f.Count = 1
	}
	r.Findings = append(r.Findings, f)
}

type event struct {
	t    flow.Time
	prio int
	seq  int
	run  func()
}

// Play feeds the connections to a in capture order (open at Start, each
// exchange when its response ended — or, when it has none, just before the
// close or with the next exchange of its connection, whichever is first:
// httpdecode hands a connection's exchanges over in index order — and the
// close at End), then hands the records of rep to a and
// calls Finish with rep (a fresh report when nil; FinishRecords) and returns
// the findings.
func Play(a analysis.Analyzer, rep *report.Report, conns ...*Conn) []report.Finding {
	var evs []event
	add := func(t flow.Time, prio int, f func()) {
		evs = append(evs, event{t: t, prio: prio, seq: len(evs), run: f})
	}
	ch, _ := a.(analysis.ConnHandler)
	xh, _ := a.(analysis.ExchangeHandler)
	for _, c := range conns {
		c := c
		if ch != nil {
			add(c.Info.Start, 0, func() { ch.ConnOpened(&c.Info) })
		}
		at := make([]flow.Time, len(c.Exchanges))
		for i := len(c.Exchanges) - 1; i >= 0; i-- {
			at[i] = c.Closed.End
			if r := c.Exchanges[i].Response; r != nil {
				at[i] = flow.Time(r.End)
			} else if i+1 < len(at) {
				at[i] = min(at[i], at[i+1])
			}
		}
		for i := range c.Exchanges {
			e := c.Exchanges[i]
			e.Conn = &c.Info
			if xh != nil {
				add(at[i], 1, func() { xh.Exchange(&e) })
			}
		}
		if ch != nil {
			cl := c.Closed
			cl.Conn = &c.Info
			add(c.Closed.End, 2, func() { ch.ConnClosed(&cl) })
		}
	}
	sort.SliceStable(evs, func(i, j int) bool {
		if evs[i].t != evs[j].t {
			return evs[i].t < evs[j].t
		}
		return evs[i].prio < evs[j].prio
	})
	for _, e := range evs {
		e.run()
	}
	if rep == nil {
		rep = &report.Report{}
	}
	rec := &Recorder{}
	FinishRecords(a, rep, rec)
	return rec.Findings
}

// OfKind returns the findings of one kind.
func OfKind(fs []report.Finding, kind string) []report.Finding {
	var out []report.Finding
	for _, f := range fs {
		if f.Kind == kind {
			out = append(out, f)
		}
	}
	return out
}

// FinishRecords hands every connection of rep, with its transactions, to
// a (when it is an analysis.RecordHandler) the way the pipeline does as
// connections finish, then calls a.Finish(rep, out).
func FinishRecords(a analysis.Analyzer, rep *report.Report, out analysis.Emitter) {
	for i := range rep.Connections {
		c := &rep.Connections[i]
		if h, ok := a.(analysis.TransactionHandler); ok {
			var txs []report.Transaction
			for _, tx := range rep.Transactions {
				if tx.Connection == c.ID {
					txs = append(txs, tx)
				}
			}
			if len(txs) > 0 {
				h.Transactions(flow.ConnID(c.ID), txs)
			}
		}
		if h, ok := a.(analysis.RecordHandler); ok {
			h.Record(c)
		}
	}
	a.Finish(rep, out)
}
