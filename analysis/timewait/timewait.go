package timewait

import (
	"fmt"
	"math"
	"sort"
	"time"

	"connscope/analysis"
	"connscope/flow"
	"connscope/report"
)

// Name is the analyser's name.
const Name = "timewait"

// Finding kinds.
const (
	KindChurn      = "tcp_time_wait_churn"
	KindReuse      = "tcp_time_wait_reuse"
	KindExhaustion = "tcp_port_exhaustion_risk"
)

// AnomalyPeerLimit counts pairs not tracked because of Config.MaxPeers.
const AnomalyPeerLimit = "analysis_timewait_peer_limit"

// Config holds the thresholds; zero fields take DefaultConfig's values.
type Config struct {
	// RateWindow is the window of the new-connection rate (10 s).
	RateWindow time.Duration
	// WarnFraction and ErrorFraction of the port range make churn and
	// exhaustion findings warnings and errors (0.5 and 0.9).
	WarnFraction, ErrorFraction float64
	// MinConnections is the least client-held TIME_WAIT connections on a
	// pair before churn or exhaustion is judged (10).
	MinConnections int
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{RateWindow: 10 * time.Second, WarnFraction: 0.5, ErrorFraction: 0.9, MinConnections: 10}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.RateWindow == 0 {
		c.RateWindow = d.RateWindow
	}
	if c.WarnFraction == 0 {
		c.WarnFraction = d.WarnFraction
	}
	if c.ErrorFraction == 0 {
		c.ErrorFraction = d.ErrorFraction
	}
	if c.MinConnections == 0 {
		c.MinConnections = d.MinConnections
	}
	return c
}

// Factory returns the registry entry of the analyser.
func Factory() analysis.Factory {
	return analysis.Factory{
		Name:  Name,
		Doc:   "TIME_WAIT churn, 4-tuple reuse within TIME_WAIT and ephemeral-port exhaustion risk per client host and server endpoint",
		Kinds: Kinds(),
		New: func(cfg analysis.Config) analysis.Analyzer {
			c := DefaultConfig()
			_ = analysis.ApplyParams(cfg.Params, Name, &c)
			return New(cfg, c)
		},
		Options: func() any { c := DefaultConfig(); return &c },
	}
}

const background = "The side that closes a TCP connection first keeps its 4-tuple in TIME_WAIT for 2·MSL (RFC 9293 " +
	"§3.6): 60 s on Linux, 120–240 s on Windows. While a client holds it, that source port cannot connect to the same " +
	"server endpoint again, so one client host can open at most (ephemeral ports ÷ TIME_WAIT) new connections per " +
	"second to one server endpoint: about 470/s with Linux's default 32768–60999 and 60 s.\n\n"

const fix = "\n\nFix: reuse connections (HTTP keep-alive, a connection pool) instead of opening one per request; let " +
	"the server close first where the protocol allows; widen net.ipv4.ip_local_port_range; spread load over more " +
	"client or server addresses; net.ipv4.tcp_tw_reuse=1 (with timestamps) lets a client reuse a TIME_WAIT port " +
	"after 1 s. The TIME_WAIT duration and port range assumed are configurable (--time-wait, --port-range)."

// Kinds documents the finding kinds.
func Kinds() []analysis.KindDoc {
	return []analysis.KindDoc{
		{
			Kind: KindChurn, Severity: report.SeverityWarning,
			Title: "New connections are opened fast enough to fill the port range with TIME_WAIT",
			Explain: background + "Rule: the busiest 10-s rate of new connections that the client closed first, " +
				"times the TIME_WAIT duration, is at least 50 % of the client's port range (warning) or 90 % " +
				"(error). The range is the configured one (default 32768–60999), or the distinct ports the client " +
				"used when it reused ports from a smaller set. At least 10 such connections." + fix,
		},
		{
			Kind: KindReuse, Severity: report.SeverityWarning,
			Title: "A 4-tuple was reused while its previous connection could still be in TIME_WAIT",
			Explain: background + "Rule: a SYN on a 4-tuple whose previous connection closed gracefully less " +
				"than the TIME_WAIT duration earlier. Evidence says which side held TIME_WAIT. A client reusing its " +
				"own TIME_WAIT port needs tcp_tw_reuse or SO_REUSEADDR; a server holding TIME_WAIT may answer the " +
				"new SYN with a stale ACK, costing the client a RST and a SYN retry (≥ 1 s, RFC 6191)." + fix,
		},
		{
			Kind: KindExhaustion, Severity: report.SeverityWarning,
			Title: "Most of the client's ephemeral ports were in TIME_WAIT at once",
			Explain: background + "Rule: at one instant the client held TIME_WAIT on at least 50 % (warning) or " +
				"90 % (error) of its port range towards one server endpoint. A TIME_WAIT lasts the configured " +
				"duration or until its port is reused. Past 100 % connect() fails with EADDRNOTAVAIL and no SYN is " +
				"sent at all, so the failures are invisible in the capture." + fix,
		},
	}
}

type key struct {
	client flow.Addr
	server flow.Endpoint
}

// conn is one closed connection as the analyser judges it: its History
// row (conn.row) unpacked.
type conn struct {
	start   flow.Time
	closeAt flow.Time
	id      flow.ConnID
	port    uint16
	hasSYN  bool
	holder  holder
}

// holder is the side that holds a connection's TIME_WAIT
// (analysis.ConnClosed.TimeWaitHolder, "none" for a connection that did
// not close with FINs).
type holder uint8

const (
	holderUnset  holder = iota // ""
	holderNone                 // "none"
	holderClient               // "client"
	holderServer               // "server"
	holderBoth                 // "both"
	holderOther                // any other name: a holder, neither side
)

func holderOf(s string) holder {
	switch s {
	case "":
		return holderUnset
	case "none":
		return holderNone
	case "client":
		return holderClient
	case "server":
		return holderServer
	case "both":
		return holderBoth
	}
	return holderOther
}

// held reports whether some side holds TIME_WAIT.
func (h holder) held() bool { return h != holderUnset && h != holderNone }

func (h holder) client() bool { return h == holderClient || h == holderBoth }

func (h holder) server() bool { return h == holderServer || h == holderBoth }

// row returns c as a history row: id, start, closeAt - start, port, and
// holder and hasSYN in one field.
func (c *conn) row() (id, start, closeRel, port, flags int64) {
	flags = int64(c.holder) << 1
	if c.hasSYN {
		flags |= 1
	}
	return int64(c.id), int64(c.start), int64(c.closeAt - c.start), int64(c.port), flags
}

// byStart orders conn rows by start, then id (History.Sorted).
func byStart(row []int64) (int64, int64) { return row[1], row[0] }

// connOf is the inverse of conn.row.
func connOf(row []int64) conn {
	return conn{
		id: flow.ConnID(row[0]), start: flow.Time(row[1]), closeAt: flow.Time(row[1] + row[2]),
		port: uint16(row[3]), hasSYN: row[4]&1 != 0, holder: holder(row[4] >> 1),
	}
}

type peer struct {
	key   key
	conns analysis.History // rows of conn.row
}

// Analyzer is the TIME_WAIT and port-pressure detector.
type Analyzer struct {
	acfg     analysis.Config
	cfg      Config
	peers    map[key]*peer
	dropped  uint64
	prepared analysis.Prepared[judgement]
}

// New returns the analyser (zero fields of either config take defaults).
func New(acfg analysis.Config, cfg Config) *Analyzer {
	return &Analyzer{acfg: acfg.WithDefaults(), cfg: cfg.withDefaults(), peers: map[key]*peer{}}
}

// Name implements analysis.Analyzer.
func (a *Analyzer) Name() string { return Name }

// ConnOpened implements analysis.ConnHandler.
func (a *Analyzer) ConnOpened(*analysis.ConnInfo) {}

// ConnClosed implements analysis.ConnHandler.
func (a *Analyzer) ConnClosed(c *analysis.ConnClosed) {
	info := c.Conn
	k := key{client: info.Client.Addr, server: info.Server}
	p := a.peers[k]
	if p == nil {
		if len(a.peers) >= a.acfg.MaxPeers {
			a.dropped++
			return
		}
		p = &peer{key: k, conns: analysis.History{Store: a.acfg.Pages}}
		a.peers[k] = p
	}
	start := info.Start
	if info.SYN != 0 {
		start = info.SYN
	}
	closeAt := c.CloseAt
	if closeAt == 0 {
		closeAt = c.End
	}
	holder := holderOf(c.TimeWaitHolder)
	if c.CloseKind != "fin" && holder == holderUnset {
		holder = holderNone
	}
	cn := conn{id: info.ID, port: info.Client.Port, start: start, hasSYN: info.SYN != 0, closeAt: closeAt, holder: holder}
	p.conns.Append(cn.row())
}

// Prepare implements analysis.Preparer: it judges every peer.
func (a *Analyzer) Prepare() {
	keys := make([]key, 0, len(a.peers))
	for k := range a.peers {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].client != keys[j].client {
			return keys[i].client.Less(keys[j].client)
		}
		return keys[i].server.Less(keys[j].server)
	})
	var j judgement
	for _, k := range keys {
		j.results = append(j.results, peerResult{k, a.judge(a.peers[k], &j.findings)})
	}
	a.prepared.Set(j)
}

// Finish implements analysis.Analyzer.
func (a *Analyzer) Finish(rep *report.Report, out analysis.Emitter) {
	j := a.prepared.Take(a.Prepare)
	for _, f := range j.findings {
		out.Emit(f)
	}
	rows := map[[2]string]*report.Peer{}
	for i := range rep.Peers {
		rows[[2]string{rep.Peers[i].Client, rep.Peers[i].Server}] = &rep.Peers[i]
	}
	for _, pr := range j.results {
		if row := rows[[2]string{pr.key.client.String(), pr.key.server.String()}]; row != nil {
			row.TimeWaitPeak = pr.r.peak
			row.TimeWaitReuse = pr.r.reuse
		}
	}
	if a.dropped > 0 {
		if rep.Capture.Anomalies == nil {
			rep.Capture.Anomalies = map[string]uint64{}
		}
		rep.Capture.Anomalies[AnomalyPeerLimit] += a.dropped
	}
	a.peers = map[key]*peer{}
}

type result struct{ peak, reuse int }

// judgement is what Prepare found: the findings, and each peer's result.
type judgement struct {
	findings analysis.Findings
	results  []peerResult
}

type peerResult struct {
	key key
	r   result
}

func (a *Analyzer) severity(util float64) string {
	switch {
	case util >= a.cfg.ErrorFraction:
		return report.SeverityError
	case util >= a.cfg.WarnFraction:
		return report.SeverityWarning
	}
	return ""
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

// measures are what a pass over a peer's connections finds.
type measures struct {
	conns, distinctPorts, outside   int
	reuse, reuseClient, reuseServer int
	minReuse                        time.Duration
	firstReuse                      flow.Time
	firstReuseConn                  flow.ConnID
	serverTW, clientTW              int
	peak                            int
	peakAt                          flow.Time
	rate                            float64
	rateAt                          flow.Time
}

// measure makes one pass over the connections of p in order of start
// (History.Sorted): the ports used; reuse of a port within TIME_WAIT of
// the previous connection on it; the most client-held TIME_WAIT intervals
// at once, each ending when it expires or when the next connection on its
// port starts; the busiest window of new client-held connections.
func (a *Analyzer) measure(p *peer) measures {
	ttw := a.acfg.TimeWait
	lo, hi := a.acfg.PortRangeLo, a.acfg.PortRangeHi
	m := measures{minReuse: -1}
	var ports analysis.PortSet
	last := map[uint16]prevConn{}
	tw := twPeak{ttw: ttw, lead: closeLead(&p.conns)}
	var firstTW, lastTW flow.Time
	busiest := analysis.WindowPeak{Window: a.cfg.RateWindow}
	for row := range p.conns.Sorted(byStart, analysis.LateRows) {
		c := connOf(row)
		tw.advance(c.start)
		m.conns++
		ports.Add(c.port)
		if int(c.port) < lo || int(c.port) > hi {
			m.outside++
		}
		if prev, ok := last[c.port]; ok {
			gap := c.start.Sub(prev.closeAt)
			if c.hasSYN && prev.holder.held() && gap >= 0 && gap < ttw {
				m.reuse++
				if prev.holder.client() {
					m.reuseClient++
				}
				if prev.holder.server() {
					m.reuseServer++
				}
				if m.minReuse < 0 || gap < m.minReuse {
					m.minReuse = gap
				}
				if m.firstReuse == 0 {
					m.firstReuse, m.firstReuseConn = c.start, c.id
				}
			}
			if prev.holder.client() {
				tw.next(prev.iv, prev.closeAt, c.start)
			}
		}
		pc := prevConn{closeAt: c.closeAt, holder: c.holder}
		if c.holder.client() {
			pc.iv = tw.open(c.closeAt)
		}
		last[c.port] = pc
		if c.holder.server() {
			m.serverTW++
		}
		if c.holder.client() {
			if m.clientTW == 0 {
				firstTW = c.start
			}
			lastTW = c.start
			m.clientTW++
			busiest.Add(c.start)
		}
	}
	tw.finish()
	m.distinctPorts = ports.Len()
	m.peak, m.peakAt = tw.best, tw.at
	m.rate, m.rateAt = a.rate(m.clientTW, firstTW, lastTW, &busiest)
	return m
}

func (a *Analyzer) judge(p *peer, out analysis.Emitter) result {
	m := a.measure(p)
	peerName := p.key.client.String() + " -> " + p.key.server.String()
	ttw := a.acfg.TimeWait
	lo, hi := a.acfg.PortRangeLo, a.acfg.PortRangeHi

	cfgPorts := hi - lo + 1
	rangePorts, source := cfgPorts, "config"
	if m.conns > m.distinctPorts && m.distinctPorts < cfgPorts {
		rangePorts, source = m.distinctPorts, "observed"
	}
	rangeEv := map[string]any{
		"assumed_port_range":  []int{lo, hi},
		"range_ports":         rangePorts,
		"range_source":        source,
		"distinct_ports":      m.distinctPorts,
		"ports_outside_range": m.outside,
		"time_wait_us":        flow.Micros(ttw),
	}
	withRange := func(ev map[string]any) map[string]any {
		for k, v := range rangeEv {
			ev[k] = v
		}
		return ev
	}

	if m.reuse > 0 {
		holder := "client"
		switch {
		case m.reuseClient > 0 && m.reuseServer > 0:
			holder = "both"
		case m.reuseServer > 0:
			holder = "server"
		}
		f := report.Finding{
			Kind:     KindReuse,
			Severity: report.SeverityWarning,
			Peer:     peerName,
			At:       report.FormatTime(int64(m.firstReuse)),
			Count:    m.reuse,
			Summary: fmt.Sprintf("%d connection(s) from %s reused a 4-tuple to %s within TIME_WAIT (shortest %s after the previous close; %s held TIME_WAIT)",
				m.reuse, p.key.client, p.key.server, m.minReuse.Round(time.Millisecond), holder),
			Evidence: withRange(map[string]any{
				"reuse_events":          m.reuse,
				"min_reuse_interval_us": flow.Micros(m.minReuse),
				"time_wait_holder":      holder,
				"client_held":           m.reuseClient,
				"server_held":           m.reuseServer,
				"first_connection":      uint32(m.firstReuseConn),
			}),
			Advice: "Connections are recycled faster than TIME_WAIT expires: keep connections alive and reuse them, or widen the port range.",
		}
		if m.reuse == 1 {
			id := uint32(m.firstReuseConn)
			f.Connection = &id
		}
		out.Emit(f)
	}

	res := result{reuse: m.reuse}
	// Peak of client-held TIME_WAIT at one instant.
	peak, peakAt := m.peak, m.peakAt
	res.peak = peak
	if m.clientTW < a.cfg.MinConnections {
		return res
	}
	if sev := a.severity(float64(peak) / float64(rangePorts)); sev != "" {
		out.Emit(report.Finding{
			Kind:     KindExhaustion,
			Severity: sev,
			Peer:     peerName,
			At:       report.FormatTime(int64(peakAt)),
			Count:    1,
			Summary: fmt.Sprintf("%s held %d of %d ports to %s in TIME_WAIT at once (%.0f %%)",
				p.key.client, peak, rangePorts, p.key.server, 100*float64(peak)/float64(rangePorts)),
			Evidence: withRange(map[string]any{
				"time_wait_peak": peak,
				"utilization":    round2(float64(peak) / float64(rangePorts)),
				"client_held_tw": m.clientTW,
				"server_held_tw": m.serverTW,
				"connections":    m.conns,
			}),
			Advice: "Reuse connections (keep-alive, pooling) so fewer close; widen net.ipv4.ip_local_port_range; add client or server addresses.",
		})
	}
	// New-connection rate of connections the client will hold in TIME_WAIT.
	rate, winStart := m.rate, m.rateAt
	demand := rate * ttw.Seconds()
	util := demand / float64(rangePorts)
	if sev := a.severity(util); sev != "" {
		out.Emit(report.Finding{
			Kind:     KindChurn,
			Severity: sev,
			Peer:     peerName,
			At:       report.FormatTime(int64(winStart)),
			Count:    1,
			Summary: fmt.Sprintf("%s opens %.1f connections/s to %s and closes them first: at %s of TIME_WAIT that needs %.0f ports, %.0f %% of %d",
				p.key.client, rate, p.key.server, ttw, demand, 100*util, rangePorts),
			Evidence: withRange(map[string]any{
				"new_conn_rate_per_s": round2(rate),
				"rate_window_us":      flow.Micros(a.cfg.RateWindow),
				"capacity_per_s":      round2(float64(rangePorts) / ttw.Seconds()),
				"ports_needed":        int(math.Round(demand)),
				"utilization":         round2(util),
				"client_held_tw":      m.clientTW,
				"server_held_tw":      m.serverTW,
				"connections":         m.conns,
			}),
			Advice: "Reuse connections (HTTP keep-alive, a pool) instead of one per request; or let the server close first, widen the port range, or enable tcp_tw_reuse.",
		})
	}
	return res
}

// rate returns the busiest new-connection rate over RateWindow (over the
// whole span with a 1 s floor when shorter) and where that window starts,
// given the count, first and last of the starts and their busiest window.
func (a *Analyzer) rate(n int, first, last flow.Time, busiest *analysis.WindowPeak) (float64, flow.Time) {
	if n == 0 {
		return 0, 0
	}
	w := a.cfg.RateWindow
	if span := last.Sub(first); span < w {
		return float64(n) / max(span, time.Second).Seconds(), first
	}
	return float64(busiest.Max()) / w.Seconds(), busiest.At()
}

// prevConn is what the pass over a peer's connections keeps of the last
// one on a port: its close, holder and client-held TIME_WAIT (twPeak).
type prevConn struct {
	closeAt flow.Time
	holder  holder
	iv      uint32
}

// closeLead returns how far before its start the earliest-closing
// connection of h closed (0 when none did: only timestamps that go
// backwards in a capture make a close precede its start).
func closeLead(h *analysis.History) time.Duration {
	var lead time.Duration
	h.Each(func(row []int64) {
		if c := connOf(row); c.closeAt < c.start {
			lead = max(lead, c.start.Sub(c.closeAt))
		}
	})
	return lead
}

// twPeak finds the most client-held TIME_WAIT intervals open at one
// instant, and the first instant with that many, given the connections in
// order of start: a connection's interval runs from its close until TTW
// later (open), or until the next connection on its port starts, when
// that is sooner and not before the close (next). It counts the starts
// and ends of intervals in time order (ends first at one instant), each
// once no connection still to come can add one before it (advance): it
// holds the intervals not over yet, not all of them.
type twPeak struct {
	ttw  time.Duration
	lead time.Duration // the most a close precedes its connection's start
	ev   analysis.Heap[twEvent]
	// short holds the intervals ended by the next connection on their
	// port, whose expiry event is void.
	short     map[uint32]bool
	n         uint32
	cur, best int
	at        flow.Time
}

// twEvent is an interval's start (d +1) or end (d -1); expiry marks the
// end at the close plus TTW, void when the interval ended sooner.
type twEvent struct {
	t      flow.Time
	d      int8
	expiry bool
	iv     uint32
}

// Less orders events by time, ends first at one instant.
func (e twEvent) Less(o twEvent) bool { return e.t < o.t || e.t == o.t && e.d < o.d }

// open adds the interval of a client-held connection closed at closeAt and
// returns its number (0: none, when TTW is not positive and it would be
// empty).
func (p *twPeak) open(closeAt flow.Time) uint32 {
	if p.ttw <= 0 {
		return 0
	}
	p.n++
	p.ev.Push(twEvent{t: closeAt, d: +1, iv: p.n})
	p.ev.Push(twEvent{t: closeAt.Add(p.ttw), d: -1, expiry: true, iv: p.n})
	return p.n
}

// next ends interval iv (closed at closeAt) when the next connection on
// its port starts at start, if that is before it expires and not before
// the close.
func (p *twPeak) next(iv uint32, closeAt, start flow.Time) {
	if iv == 0 || start < closeAt || start >= closeAt.Add(p.ttw) {
		return
	}
	if p.short == nil {
		p.short = map[uint32]bool{}
	}
	p.short[iv] = true
	p.ev.Push(twEvent{t: start, d: -1, iv: iv})
}

// advance counts the events before the start of the connection at hand,
// less the lead: no connection still to come can add one before that.
func (p *twPeak) advance(start flow.Time) {
	for p.ev.Len() > 0 && p.ev.Min().t < start-flow.Time(p.lead) {
		p.apply()
	}
}

// finish counts the events left.
func (p *twPeak) finish() {
	for p.ev.Len() > 0 {
		p.apply()
	}
}

// apply counts the earliest event.
func (p *twPeak) apply() {
	e := p.ev.Pop()
	if e.expiry && p.short[e.iv] {
		delete(p.short, e.iv)
		return
	}
	p.cur += int(e.d)
	if p.cur > p.best {
		p.best, p.at = p.cur, e.t
	}
}
