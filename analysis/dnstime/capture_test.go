package dnstime_test

import (
	"testing"

	"connscope/analysis/dnstime"
	"connscope/internal/pipeline/pipelinetest"
)

// TestDNSLookupCapture runs the lab capture dns_lookup.pcap
// (testdata/pcaps/README.md): A and AAAA for web.test answered ≈150 ms
// late, then a connection to the answered address.
func TestDNSLookupCapture(t *testing.T) {
	rep := pipelinetest.Run(t, "dns_lookup.pcap", dnstime.Factory())
	if len(rep.DNSLookups) != 2 || rep.Summary.DNSLookups != 2 {
		t.Fatalf("lookups %+v", rep.DNSLookups)
	}
	types := map[string]bool{}
	for _, l := range rep.DNSLookups {
		types[l.Type] = true
		if l.Name != "web.test" || l.RTTUS < 150_000 || l.RTTUS > 400_000 || l.RCode != "NOERROR" || l.Server != "192.0.2.2:53" {
			t.Errorf("lookup %+v", l)
		}
		if l.Type == "A" && (len(l.Answers) != 1 || l.Answers[0] != "192.0.2.2") {
			t.Errorf("A answers %v", l.Answers)
		}
	}
	if !types["A"] || !types["AAAA"] {
		t.Errorf("types %v", types)
	}
	if len(rep.Connections) != 1 || rep.Connections[0].DNS == nil || rep.Connections[0].DNS.Name != "web.test" ||
		rep.Connections[0].DNS.LookupUS < 150_000 || rep.Connections[0].DNS.ToConnectUS > 100_000 {
		t.Fatalf("connection dns %+v", rep.Connections[0].DNS)
	}
	if len(rep.Findings) != 1 || rep.Findings[0].Kind != dnstime.Kind || rep.Findings[0].Count != 2 || rep.Findings[0].Evidence["connections_delayed"] != 1 {
		t.Fatalf("findings %+v", rep.Findings)
	}
}
