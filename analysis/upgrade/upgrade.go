package upgrade

import (
	"fmt"
	"strings"

	"connscope/analysis"
	"connscope/flow"
	"connscope/report"
)

// Name is the analyser's name.
const Name = "upgrade"

// Finding kinds.
const (
	KindWebSocket = "http_websocket_upgrade"
	KindH2C       = "http_h2c_upgrade"
)

// Factory returns the registry entry of the analyser.
func Factory() analysis.Factory {
	return analysis.Factory{
		Name:  Name,
		Doc:   "HTTP/1.1 protocol switches: WebSocket sessions and Upgrade: h2c",
		Kinds: Kinds(),
		New:   func(analysis.Config) analysis.Analyzer { return New() },
	}
}

// Kinds documents the finding kinds.
func Kinds() []analysis.KindDoc {
	return []analysis.KindDoc{
		{
			Kind:     KindWebSocket,
			Severity: report.SeverityInfo,
			Title:    "The connection upgraded to WebSocket",
			Explain: "An HTTP/1.1 GET with Upgrade: websocket was answered 101 Switching Protocols and both sides " +
				"then exchanged WebSocket frames (RFC 6455). The finding summarises the session: data messages each " +
				"way (fragments joined), pings and pongs with the ping→pong round trip, and the first close frame's " +
				"status code and sender.\n\n" +
				"Rule: info for every WebSocket session; warning when the server's Sec-WebSocket-Accept is not " +
				"base64(SHA-1(key + 258EAFA5-E914-47DA-95CA-C5AB0DC85B11)) (§4.2.2; a client must then fail the " +
				"connection) or when frames broke the masking rule (client frames must be masked, server frames must " +
				"not, §5.3). abnormal_close is true when TCP ended without any close frame (what applications see as " +
				"1006).\n\n" +
				"Fix: for a wrong accept value fix the server or the proxy that rewrote the handshake; for masking " +
				"violations fix the library that builds frames; close sessions with a close frame (1000) and let the " +
				"server close TCP first (§7.1.1), so that TIME_WAIT lands on the server.",
		},
		{
			Kind:     KindH2C,
			Severity: report.SeverityInfo,
			Title:    "The client asked to upgrade to HTTP/2 with Upgrade: h2c",
			Explain: "The client sent an HTTP/1.1 request with Upgrade: h2c and HTTP2-Settings, asking the server " +
				"to switch the connection to cleartext HTTP/2. RFC 9113 §3.1 deprecated this mechanism; many " +
				"servers ignore it and answer in HTTP/1.1, so the header bytes are wasted and the client stays on " +
				"HTTP/1.1. When the server accepts (101), stream 1 carries the upgraded request.\n\n" +
				"Rule: any request whose Upgrade header names h2c. accepted says whether the server answered 101 and " +
				"the connection then carried HTTP/2.\n\n" +
				"Fix: use HTTP/2 with prior knowledge on cleartext connections you control (curl " +
				"--http2-prior-knowledge, Go h2c), or TLS with ALPN h2 everywhere else.",
		},
	}
}

// Analyzer is the protocol-switch detector. It keeps its findings and the
// protocol decoders' anomaly counts until Finish.
type Analyzer struct {
	out   []report.Finding
	anoms map[string]uint64
	// What the transactions of connections not yet recorded showed.
	txs analysis.ConnMap[*upgradeTx]
}

// New returns the analyser.
func New() *Analyzer { return &Analyzer{} }

// Name implements analysis.Analyzer.
func (a *Analyzer) Name() string { return Name }

// txRef is a transaction a finding refers to: its index and start.
type txRef struct {
	index int
	at    string
	ok    bool
}

// upgradeTx is what a connection's transactions showed: the first that
// switched protocols (status 101) and the first that offered Upgrade: h2c.
type upgradeTx struct {
	switched, h2cOffer txRef
}

// Transactions implements analysis.TransactionHandler: it keeps the
// connection's first switch and first h2c offer.
func (a *Analyzer) Transactions(conn flow.ConnID, txs []report.Transaction) {
	u, _ := a.txs.Get(conn)
	for i := range txs {
		tx := &txs[i]
		if u == nil && (tx.Status == 101 || hasToken(tx.Headers.Upgrade, "h2c")) {
			u = &upgradeTx{}
			a.txs.Put(conn, u)
		}
		if u == nil {
			continue
		}
		if !u.switched.ok && tx.Status == 101 {
			u.switched = txRef{tx.Index, tx.RequestStart, true}
		}
		if !u.h2cOffer.ok && hasToken(tx.Headers.Upgrade, "h2c") {
			u.h2cOffer = txRef{tx.Index, tx.RequestStart, true}
		}
	}
}

// Record implements analysis.RecordHandler.
func (a *Analyzer) Record(c *report.Connection) {
	var switched, h2cOffer txRef
	if u, ok := a.txs.Get(flow.ConnID(c.ID)); ok {
		switched, h2cOffer = u.switched, u.h2cOffer
		a.txs.Delete(flow.ConnID(c.ID))
	}
	if c.WebSocket != nil {
		a.out = append(a.out, websocketFinding(c, switched))
	}
	if h2cOffer.ok {
		a.out = append(a.out, h2cFinding(c, h2cOffer))
	}
	a.countAnomalies(c.Anomalies)
}

// Finish implements analysis.Analyzer.
func (a *Analyzer) Finish(rep *report.Report, out analysis.Emitter) {
	for _, f := range a.out {
		out.Emit(f)
	}
	a.out = nil
	if len(a.anoms) > 0 && rep.Capture.Anomalies == nil {
		rep.Capture.Anomalies = map[string]uint64{}
	}
	for k, v := range a.anoms {
		rep.Capture.Anomalies[k] += v
	}
	a.anoms = nil
}

func hasToken(v, tok string) bool {
	for t := range strings.SplitSeq(v, ",") {
		if strings.EqualFold(strings.TrimSpace(t), tok) {
			return true
		}
	}
	return false
}

func websocketFinding(c *report.Connection, ref txRef) report.Finding {
	ws := c.WebSocket
	id := c.ID
	abnormal := ws.CloseCode == 0 && (c.Close.Kind == "fin" || c.Close.Kind == "rst")
	ev := map[string]any{
		"messages_client_to_server": ws.MessagesClientToServer,
		"messages_server_to_client": ws.MessagesServerToClient,
		"pings":                     ws.Pings,
		"pongs":                     ws.Pongs,
		"handshake_valid":           ws.HandshakeValid,
		"masking_violations":        ws.MaskingViolations,
		"abnormal_close":            abnormal,
		"tcp_closed_first_by":       c.Close.Initiator,
	}
	if ws.CloseCode != 0 {
		ev["close_code"] = ws.CloseCode
		ev["close_initiator"] = ws.CloseInitiator
	}
	if ws.PongRTTUS > 0 {
		ev["pong_rtt_us"] = ws.PongRTTUS
	}
	sev := report.SeverityInfo
	var problems []string
	advice := "Nothing to fix: close sessions with a close frame (1000) and let the server close TCP first (RFC 6455 §7.1.1)."
	if !ws.HandshakeValid {
		problems = append(problems, "Sec-WebSocket-Accept does not match the key")
	}
	if ws.MaskingViolations > 0 {
		problems = append(problems, fmt.Sprintf("%d frame(s) broke the masking rule", ws.MaskingViolations))
	}
	if len(problems) > 0 {
		sev = report.SeverityWarning
		advice = "A conforming client must fail this session: fix the server (or the proxy rewriting the handshake) and the library that builds frames (clients mask, servers do not, RFC 6455 §5.3)."
	}
	closing := "no close frame"
	if ws.CloseCode != 0 {
		closing = fmt.Sprintf("closed %d by the %s", ws.CloseCode, ws.CloseInitiator)
	}
	summary := fmt.Sprintf("WebSocket session %s → %s: %d message(s) client→server, %d server→client, %d ping(s), %s",
		c.Client, c.Server, ws.MessagesClientToServer, ws.MessagesServerToClient, ws.Pings, closing)
	if len(problems) > 0 {
		summary += "; " + strings.Join(problems, "; ")
	}
	f := report.Finding{
		Kind:       KindWebSocket,
		Severity:   sev,
		Connection: &id,
		At:         c.Start,
		Summary:    summary,
		Evidence:   ev,
		Advice:     advice,
	}
	if ref.ok {
		idx := ref.index
		f.Transaction, f.At = &idx, ref.at
	}
	return f
}

func h2cFinding(c *report.Connection, ref txRef) report.Finding {
	id := c.ID
	idx := ref.index
	accepted := c.H2 != nil && c.H2.Mode == "upgrade"
	ev := map[string]any{"accepted": accepted}
	summary := fmt.Sprintf("%s asked %s to upgrade to HTTP/2 with Upgrade: h2c (deprecated by RFC 9113 §3.1); ", c.Client, c.Server)
	if accepted {
		ev["streams"] = c.H2.Streams
		ev["max_concurrent_streams"] = c.H2.MaxConcurrentStreams
		summary += fmt.Sprintf("the server switched (101) and %d stream(s) followed", c.H2.Streams)
	} else {
		summary += "the server ignored it and stayed on HTTP/1.1"
	}
	return report.Finding{
		Kind:        KindH2C,
		Severity:    report.SeverityInfo,
		Connection:  &id,
		Transaction: &idx,
		At:          ref.at,
		Summary:     summary,
		Evidence:    ev,
		Advice:      "Use HTTP/2 with prior knowledge on cleartext connections you control (curl --http2-prior-knowledge, Go h2c), or TLS with ALPN h2.",
	}
}

// countAnomalies adds a connection's protocol-decoder anomaly counts to
// the totals Finish adds to the capture's.
func (a *Analyzer) countAnomalies(m map[string]int) {
	for k, v := range m {
		if v > 0 && (strings.HasPrefix(k, "ws_") || strings.HasPrefix(k, "h2_") || strings.HasPrefix(k, "tls_")) {
			if a.anoms == nil {
				a.anoms = map[string]uint64{}
			}
			a.anoms[k] += uint64(v)
		}
	}
}
