package pipeline

import (
	"bytes"
	"context"
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"connscope/analysis"
	"connscope/capture"
	"connscope/flow"
	"connscope/internal/pcapgen"
	"connscope/proto/dns"
	"connscope/report"
)

// dnsQuery builds a standard query for name, type A, id 0x1234; answer,
// when set, makes it the response carrying that IPv4 address.
func dnsQuery(name string, answer []byte) []byte {
	flags := uint16(0x0100)
	an := uint16(0)
	if answer != nil {
		flags, an = 0x8180, 1
	}
	b := binary.BigEndian.AppendUint16(nil, 0x1234)
	b = binary.BigEndian.AppendUint16(b, flags)
	b = binary.BigEndian.AppendUint16(b, 1)
	b = binary.BigEndian.AppendUint16(b, an)
	b = append(b, 0, 0, 0, 0)
	for _, label := range bytes.Split([]byte(name), []byte(".")) {
		b = append(append(b, byte(len(label))), label...)
	}
	b = append(b, 0, 0, 1, 0, 1)
	if answer != nil {
		b = append(b, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4)
		b = append(b, answer...)
	}
	return b
}

// withLength prefixes m with its length, as DNS over TCP frames messages.
func withLength(m []byte) []byte {
	return append(binary.BigEndian.AppendUint16(nil, uint16(len(m))), m...)
}

// TestDNSOverTCP: a lookup over TCP (the query split over two segments,
// the response 20 ms later) is paired like one over UDP and linked to the
// HTTP connection to the answered address that follows.
func TestDNSOverTCP(t *testing.T) {
	w := pcapgen.New(pcapgen.Options{Format: pcapgen.PcapMicro, Link: pcapgen.Ethernet})
	t0 := time.Unix(1700000000, 0)
	d := pcapgen.NewConn(w, netip.MustParseAddrPort("192.0.2.1:40001"), netip.MustParseAddrPort("192.0.2.53:53"), t0)
	q := withLength(dnsQuery("web.test", nil))
	steps := []func() error{
		func() error { return d.Handshake(time.Millisecond) },
		func() error { return d.ClientSend(q[:7]) },
		func() error { return d.ClientSend(q[7:]) },
		func() error {
			d.Advance(20 * time.Millisecond)
			return d.ServerSend(withLength(dnsQuery("web.test", []byte{192, 0, 2, 2})))
		},
		d.ClientFIN, d.ServerFIN, d.ClientACK,
	}
	for _, s := range steps {
		if err := s(); err != nil {
			t.Fatal(err)
		}
	}
	h := pcapgen.NewConn(w, netip.MustParseAddrPort("192.0.2.1:40002"), netip.MustParseAddrPort("192.0.2.2:80"), d.Now.Add(2*time.Millisecond))
	for _, s := range []func() error{
		func() error { return h.Handshake(time.Millisecond) },
		func() error { return h.ClientSend([]byte("GET / HTTP/1.1\r\nHost: web.test\r\n\r\n")) },
		func() error { return h.ServerSend([]byte("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")) },
		h.Close,
	} {
		if err := s(); err != nil {
			t.Fatal(err)
		}
	}
	src, err := capture.OpenReader("dns_tcp.pcap", bytes.NewReader(w.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(context.Background(), src, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.DNSLookups) != 1 {
		t.Fatalf("%d DNS lookups, want 1: %+v", len(rep.DNSLookups), rep.DNSLookups)
	}
	l := rep.DNSLookups[0]
	if l.Name != "web.test" || l.Client != "192.0.2.1:40001" || l.Server != "192.0.2.53:53" ||
		len(l.Answers) != 1 || l.Answers[0] != "192.0.2.2" || l.RTTUS < 20000 || l.RTTUS > 21000 {
		t.Errorf("lookup %+v, want web.test from 192.0.2.1:40001 answered 192.0.2.2 after 20 ms", l)
	}
	if len(rep.Connections) != 2 {
		t.Fatalf("%d connections, want 2", len(rep.Connections))
	}
	if p := rep.Connections[0].Protocol; p != "dns" {
		t.Errorf("DNS connection protocol %q, want dns", p)
	}
	if c := rep.Connections[1]; c.DNS == nil || c.DNS.Name != "web.test" {
		t.Errorf("HTTP connection DNS %+v, want the web.test lookup", c.DNS)
	}
	if len(rep.Connections[0].Anomalies) != 0 {
		t.Errorf("anomalies %v on a clean DNS connection", rep.Connections[0].Anomalies)
	}
}

// TestTCPDNSDecoderEdges: only a client's query to port 53 is taken for
// DNS; a message cut by the end of a direction and a gap are named
// anomalies, and nothing after a gap is decoded.
func TestTCPDNSDecoderEdges(t *testing.T) {
	ep := func(s string) flow.Endpoint {
		ap := netip.MustParseAddrPort(s)
		return flow.Endpoint{Addr: flow.Addr(ap.Addr().As16()), Port: ap.Port()}
	}
	q := withLength(dnsQuery("a.test", nil))
	for _, c := range []struct {
		server string
		dir    flow.Dir
		p      []byte
		want   bool
	}{
		{"192.0.2.2:53", flow.ClientToServer, q, true},
		{"192.0.2.2:80", flow.ClientToServer, q, false},
		{"192.0.2.2:53", flow.ServerToClient, q, false},
		{"192.0.2.2:53", flow.ClientToServer, withLength(dnsQuery("a.test", []byte{1, 2, 3, 4})), false}, // a response
		{"192.0.2.2:53", flow.ClientToServer, q[:2], true},                                               // the prefix alone
		{"192.0.2.2:53", flow.ClientToServer, []byte{0, 5, 1, 2, 3, 4, 5}, false},
	} {
		if got := looksLikeDNSOverTCP(ep(c.server), c.dir, c.p); got != c.want {
			t.Errorf("looksLikeDNSOverTCP(%s, dir %d, %d bytes) = %v, want %v", c.server, c.dir, len(c.p), got, c.want)
		}
	}

	tr := dns.NewTracker(dns.Config{})
	info := &analysis.ConnInfo{Client: ep("192.0.2.1:40001"), Server: ep("192.0.2.53:53")}
	dec := newTCPDNSDecoder(tr, info)
	dec.Data(flow.ClientToServer, 1, q[:5])
	dec.End(flow.ClientToServer, 2)
	dec.Gap(flow.ServerToClient, 3, 100)
	dec.Data(flow.ServerToClient, 4, withLength(dnsQuery("a.test", []byte{1, 2, 3, 4})))
	var rc report.Connection
	dec.Fill(&rc)
	if rc.Protocol != "dns" || rc.Anomalies[AnomalyDNSTCPTruncated] != 1 || rc.Anomalies[AnomalyDNSTCPGap] != 1 {
		t.Errorf("record protocol %q anomalies %v, want dns with one %s and one %s", rc.Protocol, rc.Anomalies, AnomalyDNSTCPTruncated, AnomalyDNSTCPGap)
	}
	if lookups, _ := tr.Finish(); len(lookups) != 0 {
		t.Errorf("%d lookups decoded from a cut query and a response after a gap, want 0", len(lookups))
	}
}
