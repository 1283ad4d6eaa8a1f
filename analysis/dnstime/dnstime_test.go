package dnstime

import (
	"testing"

	"connscope/analysis/internal/h1/h1test"
	"connscope/report"
)

func lk(client, name string, rtt int64, retries int, none bool) report.DNSLookup {
	return report.DNSLookup{Name: name, Type: "A", Client: client, Server: "192.0.2.53:53", At: "2024-01-01T00:00:00.000000000Z", RTTUS: rtt, Retries: retries, NoResponse: none, TotalUS: rtt * int64(retries+1)}
}

func TestFinish(t *testing.T) {
	cases := []struct {
		name    string
		lookups []report.DNSLookup
		conns   []report.Connection
		count   []int // per finding
		worst   string
	}{
		{"fast_lookups_silent", []report.DNSLookup{lk("192.0.2.1:4000", "a.test", 2000, 0, false), lk("192.0.2.1:4001", "b.test", 99_999, 0, false)}, nil, nil, ""},
		{"one_slow", []report.DNSLookup{lk("192.0.2.1:4000", "a.test", 2000, 0, false), lk("192.0.2.1:4001", "slow.test", 150_000, 0, false)},
			[]report.Connection{{ID: 1, Client: "192.0.2.1:5000", DNS: &report.ConnDNS{Name: "slow.test", LookupUS: 150_000}}}, []int{1}, "slow.test"},
		{"retry_and_timeout_two_clients", []report.DNSLookup{
			lk("192.0.2.1:4000", "r.test", 3000, 1, false),
			lk("192.0.2.9:4000", "gone.test", 0, 0, true),
			lk("192.0.2.9:4001", "slow.test", 200_000, 0, false),
		}, nil, []int{1, 2}, "r.test"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var rec h1test.Recorder
			analyzer{}.Finish(&report.Report{DNSLookups: c.lookups, Connections: c.conns}, &rec)
			if len(rec.Findings) != len(c.count) {
				t.Fatalf("%d findings, want %d: %+v", len(rec.Findings), len(c.count), rec.Findings)
			}
			for i, n := range c.count {
				if rec.Findings[i].Count != n || rec.Findings[i].Kind != Kind {
					t.Errorf("finding %d: %+v", i, rec.Findings[i])
				}
			}
			if len(c.count) > 0 && rec.Findings[0].Evidence["worst_name"] != c.worst {
				t.Errorf("worst %v, want %s", rec.Findings[0].Evidence["worst_name"], c.worst)
			}
			if c.name == "one_slow" && rec.Findings[0].Evidence["connections_delayed"] != 1 {
				t.Errorf("connections_delayed %v", rec.Findings[0].Evidence["connections_delayed"])
			}
			if c.name == "retry_and_timeout_two_clients" && rec.Findings[1].Evidence["worst_name"] != "gone.test" {
				t.Errorf("second worst %v", rec.Findings[1].Evidence["worst_name"])
			}
		})
	}
}
