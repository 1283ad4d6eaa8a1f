package parallel

import (
	"fmt"
	"net"

	"connscope/analysis"
	"connscope/analysis/internal/h1"
	"connscope/report"
)

// Name is the analyser's name.
const Name = "parallel"

// Kind is the finding kind.
const Kind = "tcp_parallel_connections"

// Factory returns the registry entry of the analyser.
func Factory() analysis.Factory {
	return analysis.Factory{
		Name:  Name,
		Doc:   "more simultaneous connections from one client host to one server than the browser norm",
		Kinds: Kinds(),
		New:   func(cfg analysis.Config) analysis.Analyzer { return New(cfg) },
	}
}

// Kinds documents the finding kind of the analyser.
func Kinds() []analysis.KindDoc {
	return []analysis.KindDoc{{
		Kind: Kind, Severity: report.SeverityWarning,
		Title: "many simultaneous connections from one client to one server",
		Explain: `HTTP/1.1 carries one request at a time per connection, so clients open several connections to fetch in parallel. Browsers cap this at 6 per host (Chromium, Firefox, Apple's URLSession); more connections cost the server memory and file descriptors, each does its own TCP slow start and handshake, they compete with each other for the bottleneck, and they leave TIME_WAIT entries behind.

Rule: the peer table counts, for each client host and server endpoint, the most connections open at one instant (a sweep over each connection's [first packet, close] interval). A finding is emitted when that maximum exceeds the configured limit (default 6, --max-parallel / Config.MaxParallel). Severity warning. Evidence: max_parallel, connections, limit, requests, peak_connections_per_s and unused_connections (connections that never carried a byte from the client).

False positives: many users behind one NAT or proxy address look like one client host; speculative pre-connects that are never used (see unused_connections); Happy Eyeballs (RFC 8305) opens IPv4 and IPv6 attempts together (those are different server endpoints here); load tools (ab -c, wrk -c) do this on purpose.

What to change: reuse connections (keep-alive with a bounded pool per host), or move to HTTP/2, which multiplexes all requests on one connection; on the server, limit connections per client if needed.`,
	}}
}

// Analyzer is the parallel-connections detector.
type Analyzer struct {
	limit int
	// unused counts, per (client host, server endpoint), the connections
	// that carried no client payload; at most maxPairs pairs.
	unused   map[pair]int
	maxPairs int
}

// New returns a parallel-connections detector.
func New(cfg analysis.Config) *Analyzer {
	cfg = cfg.WithDefaults()
	return &Analyzer{limit: cfg.MaxParallel, maxPairs: cfg.MaxPeers, unused: map[pair]int{}}
}

// Record implements analysis.RecordHandler: it counts the connections
// that carried no request (opened and never used). Pairs past the peer
// limit (Config.MaxPeers) are not counted: they are not in the peer table
// either.
func (a *Analyzer) Record(c *report.Connection) {
	if c.Payload.ClientToServer != 0 {
		return
	}
	host, _, err := net.SplitHostPort(c.Client)
	if err != nil {
		return
	}
	k := pair{host, c.Server}
	if _, ok := a.unused[k]; ok || len(a.unused) < a.maxPairs {
		a.unused[k]++
	}
}

// Name implements analysis.Analyzer.
func (a *Analyzer) Name() string { return Name }

type pair struct{ client, server string }

// Finish implements analysis.Analyzer.
func (a *Analyzer) Finish(rep *report.Report, out analysis.Emitter) {
	var over []int
	for i := range rep.Peers {
		if rep.Peers[i].MaxParallel > a.limit {
			over = append(over, i)
		}
	}
	for _, i := range over {
		p := &rep.Peers[i]
		f := report.Finding{
			Kind: Kind, Severity: report.SeverityWarning,
			Peer: h1.PeerName(p.Client, p.Server), At: p.FirstSeen, Count: 1,
			Evidence: map[string]any{
				"max_parallel":           p.MaxParallel,
				"connections":            p.Connections,
				"limit":                  a.limit,
				"requests":               p.Requests,
				"peak_connections_per_s": p.PeakRatePerS,
				"unused_connections":     a.unused[pair{p.Client, p.Server}],
			},
			Summary: fmt.Sprintf("%s had up to %d connections open at once to %s (limit %d)", p.Client, p.MaxParallel, p.Server, a.limit),
			Advice:  "Reuse connections from a bounded per-host pool, or use HTTP/2 to multiplex requests on one connection.",
		}
		out.Emit(f)
	}
}
