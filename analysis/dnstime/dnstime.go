package dnstime

import (
	"fmt"
	"net/netip"
	"sort"
	"time"

	"connscope/analysis"
	"connscope/report"
)

// Name is the analyser's name.
const Name = "dnstime"

// Kind is the finding kind.
const Kind = "dns_slow_lookup"

// SlowLookup is the round trip from which a lookup counts as slow.
const SlowLookup = 100 * time.Millisecond

// Factory returns the registry entry of the analyser.
func Factory() analysis.Factory {
	return analysis.Factory{
		Name:  Name,
		Doc:   "slow, retried or unanswered DNS lookups",
		Kinds: Kinds(),
		New:   func(analysis.Config) analysis.Analyzer { return analyzer{} },
	}
}

// Kinds documents the finding kind of the analyser.
func Kinds() []analysis.KindDoc {
	return []analysis.KindDoc{{
		Kind: Kind, Severity: report.SeverityWarning,
		Title: "DNS lookups were slow, retried or unanswered",
		Explain: fmt.Sprintf(`Before a client can connect to a server by name it must resolve the name, and the connection cannot start until the answer arrives. Usually this costs well under 10 ms with a nearby resolver, or nothing at all when the answer is cached; a slow or overloaded resolver, a lost query or a broken IPv6 path adds that time to every first request. Stub resolvers wait several seconds (glibc: 5 s) before re-sending a lost query, so one lost datagram costs seconds.

Rule: DNS queries and responses over UDP are paired by client, server, id, name and type. A lookup is slow when query to response took at least %d ms, when the client re-sent the same name and type while it was unanswered (a retry), or when no response was seen. One finding per client host and DNS server, count = slow lookups. Severity warning. Evidence: lookups, slow_lookups, retried, unanswered, worst_rtt_us, worst_total_us (first query to answer, retries included), worst_name, worst_type, threshold_us, connections_delayed (connections whose preceding lookup, as linked in their dns object, cost at least the threshold).

Caveats: the lookup is only visible where the DNS traffic crosses the capture point (a local caching stub on 127.0.0.53 is only seen on loopback); a capture at the resolver sees the answer before the client does. Lookups answered from a cache produce no packets at all.

What to change: use a closer or faster resolver, enable a local cache (systemd-resolved, nscd, dnsmasq), keep connections open so fewer lookups are needed, and fix paths that drop UDP 53 or AAAA queries.`, SlowLookup.Milliseconds()),
	}}
}

type analyzer struct{}

func (analyzer) Name() string { return Name }

type pair struct{ client, server string }

type stats struct {
	lookups, slow, retried, unanswered int
	worst                              *report.DNSLookup
	first                              string
	delayed                            int
}

func worse(a, b *report.DNSLookup) bool {
	ka, kb := max(a.RTTUS, a.TotalUS), max(b.RTTUS, b.TotalUS)
	if a.NoResponse != b.NoResponse {
		return a.NoResponse
	}
	return ka > kb
}

// Finish emits the findings.
func (analyzer) Finish(rep *report.Report, out analysis.Emitter) {
	thr := SlowLookup.Microseconds()
	byPair := map[pair]*stats{}
	for i := range rep.DNSLookups {
		l := &rep.DNSLookups[i]
		k := pair{client: host(l.Client), server: l.Server}
		s := byPair[k]
		if s == nil {
			s = &stats{}
			byPair[k] = s
		}
		s.lookups++
		if l.RTTUS < thr && l.Retries == 0 && !l.NoResponse {
			continue
		}
		s.slow++
		if l.Retries > 0 {
			s.retried++
		}
		if l.NoResponse {
			s.unanswered++
		}
		if s.worst == nil || worse(l, s.worst) {
			s.worst = l
		}
		if s.first == "" {
			s.first = l.At
		}
	}
	keys := make([]pair, 0, len(byPair))
	for k, s := range byPair {
		if s.slow > 0 {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return
	}
	// The DNS attribution of connections is only known at the end (and
	// patched into records that may be in a record log): read them back,
	// which only captures with a slow lookup pay for. A log that cannot be
	// read fails the report's writer with the same error.
	delayed := map[string]int{} // client host → connections
	_ = rep.EachConnection(func(c *report.Connection) error {
		if c.DNS != nil && c.DNS.LookupUS >= thr {
			delayed[host(c.Client)]++
		}
		return nil
	})
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].client != keys[j].client {
			return keys[i].client < keys[j].client
		}
		return keys[i].server < keys[j].server
	})
	for _, k := range keys {
		s := byPair[k]
		w := s.worst
		var what string
		switch {
		case w.NoResponse:
			what = "was never answered"
		case w.Retries > 0:
			what = fmt.Sprintf("was answered after %d retries, %d ms after the first query", w.Retries, w.TotalUS/1000)
		default:
			what = fmt.Sprintf("took %d ms", w.RTTUS/1000)
		}
		out.Emit(report.Finding{
			Kind:       Kind,
			Severity:   report.SeverityWarning,
			Peer:       k.client + " -> " + k.server,
			At:         s.first,
			DurationUS: max(w.RTTUS, w.TotalUS),
			Count:      s.slow,
			Summary:    fmt.Sprintf("%d of %d DNS lookups by %s to %s were slow; the worst (%s %s) %s", s.slow, s.lookups, k.client, k.server, w.Type, w.Name, what),
			Evidence: map[string]any{
				"lookups":             s.lookups,
				"slow_lookups":        s.slow,
				"retried":             s.retried,
				"unanswered":          s.unanswered,
				"worst_rtt_us":        w.RTTUS,
				"worst_total_us":      max(w.RTTUS, w.TotalUS),
				"worst_name":          w.Name,
				"worst_type":          w.Type,
				"threshold_us":        thr,
				"connections_delayed": delayed[k.client],
			},
			Advice: "Use a closer or faster resolver or a local DNS cache, reuse connections so fewer lookups are needed, and check the path for dropped UDP 53 or AAAA queries.",
		})
	}
}

// host returns the address part of an "ip:port" endpoint.
func host(ep string) string {
	if ap, err := netip.ParseAddrPort(ep); err == nil {
		return ap.Addr().String()
	}
	return ep
}
