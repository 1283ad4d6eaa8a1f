package pipeline

import (
	"net/netip"
	"testing"
	"time"

	"connscope/flow"
	"connscope/proto/dns"
	"connscope/report"
)

func TestAttachDNS(t *testing.T) {
	t0 := flow.Time(1_700_000_000e9)
	at := func(d time.Duration) flow.Time { return t0 + flow.Time(d) }
	ep := func(s string) flow.Endpoint {
		ap := netip.MustParseAddrPort(s)
		return flow.Endpoint{Addr: flow.Addr(ap.Addr().As16()), Port: ap.Port()}
	}
	a := func(ip string) dns.Record {
		ad := netip.MustParseAddr(ip)
		return dns.Record{Type: dns.TypeA, Addr: ad, Data: ip}
	}
	cli, res := ep("192.0.2.1:40000"), ep("192.0.2.53:53")
	ms := time.Millisecond
	lookup := func(name string, q, r time.Duration, answers ...dns.Record) dns.Lookup {
		return dns.Lookup{Name: name, Type: dns.TypeA, Client: cli, Server: res, FirstQuery: at(q), Query: at(q), Response: at(r), Answers: answers}
	}
	conn := func(client, server string, start time.Duration) report.Connection {
		return report.Connection{ID: 1, Transport: "tcp", Client: client, Server: server, Start: report.FormatTime(int64(at(start)))}
	}
	cases := []struct {
		name    string
		lookups []dns.Lookup
		conn    report.Connection
		want    *report.ConnDNS
	}{
		{"a_then_aaaa_then_syn", []dns.Lookup{
			lookup("web.test", 0, 1*ms, a("192.0.2.2")),
			{Name: "web.test", Type: dns.TypeAAAA, Client: cli, Server: res, FirstQuery: at(2 * ms), Query: at(2 * ms), Response: at(3 * ms)},
		}, conn("192.0.2.1:41000", "192.0.2.2:80", 4*ms), &report.ConnDNS{Name: "web.test", LookupUS: 3000, ToConnectUS: 1000}},
		{"most_recent_answer_wins", []dns.Lookup{
			lookup("old.test", 0, 1*ms, a("192.0.2.2")),
			lookup("new.test", 5*time.Second, 5*time.Second+20*ms, a("192.0.2.2")),
		}, conn("192.0.2.1:41000", "192.0.2.2:443", 6*time.Second), &report.ConnDNS{Name: "new.test", LookupUS: 20000, ToConnectUS: 980000}},
		{"answer_too_old", []dns.Lookup{lookup("web.test", 0, 1*ms, a("192.0.2.2"))}, conn("192.0.2.1:41000", "192.0.2.2:80", 31*time.Second), nil},
		{"answer_after_connection", []dns.Lookup{lookup("web.test", 10*ms, 20*ms, a("192.0.2.2"))}, conn("192.0.2.1:41000", "192.0.2.2:80", 5*ms), nil},
		{"other_client", []dns.Lookup{lookup("web.test", 0, 1*ms, a("192.0.2.2"))}, conn("192.0.2.7:41000", "192.0.2.2:80", 5*ms), nil},
		{"other_address", []dns.Lookup{lookup("web.test", 0, 1*ms, a("192.0.2.3"))}, conn("192.0.2.1:41000", "192.0.2.2:80", 5*ms), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep := &report.Report{Connections: []report.Connection{c.conn}}
			attachDNS(rep, c.lookups)
			got := rep.Connections[0].DNS
			if (got == nil) != (c.want == nil) || got != nil && *got != *c.want {
				t.Errorf("dns = %+v, want %+v", got, c.want)
			}
			// The same with the connection in a record log.
			lrep := &report.Report{Deferred: report.NewRecordLog(-1, "")}
			rc := c.conn
			if err := lrep.Deferred.Add(&rc, nil); err != nil {
				t.Fatal(err)
			}
			attachDNS(lrep, c.lookups)
			if err := lrep.Materialize(); err != nil {
				t.Fatal(err)
			}
			if got := lrep.Connections[0].DNS; (got == nil) != (c.want == nil) || got != nil && *got != *c.want {
				t.Errorf("record log: dns = %+v, want %+v", got, c.want)
			}
		})
	}
}
