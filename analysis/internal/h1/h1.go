package h1

import (
	"slices"
	"strings"
	"time"

	"connscope/analysis"
	"connscope/flow"
	"connscope/httpdecode"
	"connscope/report"
)

// Idempotent reports whether method is idempotent (RFC 9110 §9.2.2: GET,
// HEAD, OPTIONS, TRACE, PUT and DELETE). Unknown methods are not.
func Idempotent(method string) bool {
	switch method {
	case "GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE":
		return true
	}
	return false
}

// HasToken reports whether the lower-cased token list holds tok.
func HasToken(tokens []string, tok string) bool {
	for _, t := range tokens {
		if t == tok {
			return true
		}
	}
	return false
}

// ResponseLost reports whether the response to request q was lost in a
// capture gap (httpdecode.AnomalyResponseLost): the server answered, the
// capture does not show it, and a later response on the connection was
// seen.
func ResponseLost(q *httpdecode.Message) bool {
	return slices.Contains(q.Anomalies, httpdecode.AnomalyResponseLost)
}

// Who disabled persistence.
const (
	ByClient = "client"
	ByServer = "server"
)

// Reasons persistence ended with an exchange.
const (
	// ReasonConnectionClose: "Connection: close" (RFC 9112 §9.6).
	ReasonConnectionClose = "connection_close"
	// ReasonHTTP10: an HTTP/1.0 message without "Connection: keep-alive"
	// (RFC 9112 §9.3, App. C.2.2).
	ReasonHTTP10 = "http10_without_keep_alive"
	// ReasonCloseDelimited: the response body ends at connection close
	// (RFC 9112 §6.3 rule 8).
	ReasonCloseDelimited = "close_delimited"
)

// Persistence decides whether an exchange leaves its connection open for
// another request (RFC 9112 §9.3): by is ByClient or ByServer when that side
// ended persistence (the request is judged first), "" when the connection
// may persist or the response is missing; reason is one of the Reason*
// constants.
func Persistence(req, resp *httpdecode.Message) (by, reason string) {
	if req != nil {
		switch {
		case HasToken(req.ConnectionTokens, "close"):
			return ByClient, ReasonConnectionClose
		case req.Version == "HTTP/1.0" && !HasToken(req.ConnectionTokens, "keep-alive"):
			return ByClient, ReasonHTTP10
		}
	}
	if resp == nil {
		return "", ""
	}
	switch {
	case HasToken(resp.ConnectionTokens, "close"):
		return ByServer, ReasonConnectionClose
	case resp.Version == "HTTP/1.0" && !HasToken(resp.ConnectionTokens, "keep-alive"):
		return ByServer, ReasonHTTP10
	case resp.Framing == httpdecode.FramingCloseDelimited:
		return ByServer, ReasonCloseDelimited
	}
	return "", ""
}

// PeerKey names a (client host, server endpoint) pair, the unit of per-peer
// findings (the same pairs as report.Peers).
type PeerKey struct {
	Client flow.Addr
	Server flow.Endpoint
}

// PeerOf returns the peer pair of a connection.
func PeerOf(c *analysis.ConnInfo) PeerKey {
	return PeerKey{Client: c.Client.Addr, Server: c.Server}
}

// String returns "client -> server", the form of report.Finding.Peer.
func (k PeerKey) String() string {
	return k.Client.String() + " -> " + k.Server.String()
}

// Less orders peer keys by client address, then server endpoint.
func (k PeerKey) Less(o PeerKey) bool {
	if k.Client != o.Client {
		return k.Client.Less(o.Client)
	}
	return k.Server.Less(o.Server)
}

// PeerName formats a peer from report strings ("client -> server").
func PeerName(client, server string) string { return client + " -> " + server }

// US converts a duration to whole microseconds.
func US(d time.Duration) int64 { return flow.Micros(d) }

// ClientHalfCorrection is the client half RTT (capture point → client →
// capture point) to use for reaction-time corrections, or 0 when the
// connection's vantage is "client" or "unknown" (the correction is then
// negligible, and on sub-2-ms round trips the handshake estimate is mostly
// scheduling noise).
func ClientHalfCorrection(c *analysis.ConnInfo) time.Duration {
	switch analysis.Vantage(c.ServerHalf, c.ClientHalf) {
	case "server", "middle":
		return c.ClientHalf
	}
	return 0
}

// Round2 rounds f to two decimals.
func Round2(f float64) float64 {
	if f < 0 {
		return -float64(int64(-f*100+0.5)) / 100
	}
	return float64(int64(f*100+0.5)) / 100
}

// Describe renders a request as "METHOD target" for summaries, with the
// target cut to 80 bytes.
func Describe(m *httpdecode.Message) string {
	if m == nil {
		return ""
	}
	t := m.Target
	if len(t) > 80 {
		t = t[:77] + "..."
	}
	return strings.TrimSpace(m.Method + " " + t)
}

// Site aggregates the occurrences of one finding: how many, the first one's
// time, and the connection and transaction when all occurrences share them.
// The zero value is ready to use.
type Site struct {
	Count     int
	First     flow.Time
	conn      flow.ConnID
	tx        int
	multiConn bool
	multiTx   bool
}

// Add records one occurrence at t on connection conn, exchange tx (-1 when
// the occurrence is about the connection as a whole).
func (s *Site) Add(t flow.Time, conn flow.ConnID, tx int) {
	if s.Count == 0 {
		s.First, s.conn, s.tx = t, conn, tx
		s.Count = 1
		return
	}
	s.Count++
	if t != 0 && (s.First == 0 || t < s.First) {
		s.First = t
	}
	if conn != s.conn {
		s.multiConn = true
	}
	if tx != s.tx {
		s.multiTx = true
	}
}

// Apply sets the finding's count, time, and its connection (when every
// occurrence was on one connection) and transaction (when every occurrence
// was on one exchange of it).
func (s *Site) Apply(f *report.Finding) {
	f.Count = s.Count
	if f.Count < 1 {
		f.Count = 1
	}
	f.At = report.FormatTime(int64(s.First))
	if s.Count == 0 || s.multiConn {
		return
	}
	id := uint32(s.conn)
	f.Connection = &id
	if !s.multiTx && s.tx >= 0 {
		tx := s.tx
		f.Transaction = &tx
	}
}

// ConnFinding returns a finding about one connection, and exchange tx when
// tx ≥ 0.
func ConnFinding(kind, severity string, conn flow.ConnID, tx int, at flow.Time) report.Finding {
	id := uint32(conn)
	f := report.Finding{Kind: kind, Severity: severity, Connection: &id, At: report.FormatTime(int64(at)), Count: 1, Evidence: map[string]any{}}
	if tx >= 0 {
		t := tx
		f.Transaction = &t
	}
	return f
}
