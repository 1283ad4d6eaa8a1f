package quicdetect

import (
	"fmt"
	"slices"

	"connscope/analysis"
	"connscope/report"
)

// Name is the analyser's name.
const Name = "quicdetect"

// Kind is the finding kind.
const Kind = "quic_detected"

// Factory returns the registry entry of the analyser.
func Factory() analysis.Factory {
	return analysis.Factory{
		Name:  Name,
		Doc:   "QUIC connections and what their Initial packets reveal (version, SNI, ALPN, HTTP/3)",
		Kinds: Kinds(),
		New:   func(analysis.Config) analysis.Analyzer { return &analyzer{} },
	}
}

// Kinds documents the finding kind of the analyser.
func Kinds() []analysis.KindDoc {
	return []analysis.KindDoc{{
		Kind: Kind, Severity: report.SeverityInfo,
		Title: "a QUIC (HTTP/3) connection was seen",
		Explain: `QUIC (RFC 9000) runs over UDP, usually port 443, and carries HTTP/3 (RFC 9114). It has its own handshake, loss recovery and congestion control, so none of the TCP findings apply to it, and its streams do not suffer TCP head-of-line blocking. Everything but the first packets is encrypted: only the long-header fields and the client's Initial packets, protected with keys derived from public values (RFC 9001 §5.2), can be read by an observer.

Rule: a UDP flow starts with a long-header packet of a known version (1, 2 per RFC 9369, an IETF draft, or a greased version answered by Version Negotiation). The client's Initial packets are decrypted and their CRYPTO frames reassembled by offset (clients split and reorder them) to read the TLS ClientHello. One finding per connection, severity info. Evidence: version, sni, alpn (the list offered), h3 (ALPN offered h3), client_hello (read in full), server_responded, retry, version_negotiation.

What to do: nothing is wrong. When you compare with HTTP/1.1 or HTTP/2 traffic to the same server, remember that HTTP/3 requests are not in the transactions list (they are encrypted). If a client tries QUIC and the server never answers (server_responded false), look for the TCP fallback connection that follows and for UDP 443 being blocked on the path.`,
	}}
}

// analyzer keeps the finding of each QUIC connection until Finish.
type analyzer struct{ out []report.Finding }

func (*analyzer) Name() string { return Name }

// Finish emits one finding per QUIC connection.
func (a *analyzer) Finish(_ *report.Report, out analysis.Emitter) {
	for _, f := range a.out {
		out.Emit(f)
	}
	a.out = nil
}

// Record implements analysis.RecordHandler.
func (a *analyzer) Record(c *report.Connection) {
	q := c.QUIC
	if q == nil {
		return
	}
	h3 := slices.ContainsFunc(q.ALPN, func(s string) bool { return s == "h3" || len(s) > 3 && s[:3] == "h3-" })
	id := c.ID
	what := "QUIC"
	if h3 {
		what = "QUIC (HTTP/3)"
	}
	summary := fmt.Sprintf("%s connection to %s, version %s", what, c.Server, q.Version)
	if q.SNI != "" {
		summary += ", server name " + q.SNI
	}
	alpn := q.ALPN
	if alpn == nil {
		alpn = []string{}
	}
	a.out = append(a.out, report.Finding{
		Kind:       Kind,
		Severity:   report.SeverityInfo,
		Connection: &id,
		At:         c.Start,
		DurationUS: c.DurationUS,
		Summary:    summary,
		Evidence: map[string]any{
			"version":             q.Version,
			"sni":                 q.SNI,
			"alpn":                alpn,
			"h3":                  h3,
			"client_hello":        q.ClientHello,
			"server_responded":    q.ServerResponded,
			"retry":               q.Retry,
			"version_negotiation": q.VersionNegotiation,
		},
		Advice: "No action needed; HTTP/3 requests are encrypted and not listed as transactions. If the server never responded, check that UDP 443 is allowed on the path.",
	})
}
