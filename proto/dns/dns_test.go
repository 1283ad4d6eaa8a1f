package dns

import (
	"encoding/binary"
	"net/netip"
	"strings"
	"testing"
	"time"

	"connscope/flow"
)

func ep(s string) flow.Endpoint {
	ap := netip.MustParseAddrPort(s)
	return flow.Endpoint{Addr: flow.Addr(ap.Addr().As16()), Port: ap.Port()}
}

func name(n string) []byte {
	var b []byte
	for _, l := range strings.Split(n, ".") {
		b = append(b, byte(len(l)))
		b = append(b, l...)
	}
	return append(b, 0)
}

// msg builds a message with one question; answers are appended raw.
func msg(id uint16, resp bool, rcode uint8, qname string, qtype uint16, ancount int, answers []byte) []byte {
	var flags uint16 = 0x0100
	if resp {
		flags |= 0x8000 | uint16(rcode)
	}
	b := binary.BigEndian.AppendUint16(nil, id)
	b = binary.BigEndian.AppendUint16(b, flags)
	b = binary.BigEndian.AppendUint16(b, 1)
	b = binary.BigEndian.AppendUint16(b, uint16(ancount))
	b = append(b, 0, 0, 0, 0)
	b = append(b, name(qname)...)
	b = binary.BigEndian.AppendUint16(b, qtype)
	b = binary.BigEndian.AppendUint16(b, 1)
	return append(b, answers...)
}

// rr builds an answer record whose owner is a pointer to the question name
// (offset 12) and whose data is rd.
func rr(typ uint16, ttl uint32, rd []byte) []byte {
	b := []byte{0xc0, 12}
	b = binary.BigEndian.AppendUint16(b, typ)
	b = binary.BigEndian.AppendUint16(b, 1)
	b = binary.BigEndian.AppendUint32(b, ttl)
	b = binary.BigEndian.AppendUint16(b, uint16(len(rd)))
	return append(b, rd...)
}

func TestParse(t *testing.T) {
	// CNAME www.example.com → edge.example.net (compressed suffix pointing
	// at "example" is not possible across names, so it is written out),
	// then an A and an AAAA record.
	cname := rr(TypeCNAME, 60, name("edge.example.net"))
	a := rr(TypeA, 30, []byte{192, 0, 2, 7})
	aaaa := rr(TypeAAAA, 30, netip.MustParseAddr("2001:db8::7").AsSlice())
	good := msg(0x1234, true, 0, "WWW.Example.com", TypeA, 3, append(append(cname, a...), aaaa...))

	selfLoop := msg(1, true, 0, "a.b", TypeA, 1, []byte{0xc0, 29, 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 1, 2, 3, 4})
	forward := msg(1, true, 0, "a.b", TypeA, 1, []byte{0xc0, 40, 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 1, 2, 3, 4})
	cases := []struct {
		name    string
		p       []byte
		anomaly string
		check   func(t *testing.T, m Message)
	}{
		{"answers_with_compression", good, "", func(t *testing.T, m Message) {
			if m.ID != 0x1234 || !m.Response || len(m.Questions) != 1 || m.Questions[0].Name != "www.example.com" {
				t.Fatalf("header/question %+v", m)
			}
			want := []string{"edge.example.net", "192.0.2.7", "2001:db8::7"}
			if len(m.Answers) != 3 {
				t.Fatalf("answers %+v", m.Answers)
			}
			for i, w := range want {
				if m.Answers[i].Data != w || m.Answers[i].Name != "www.example.com" {
					t.Errorf("answer %d = %+v, want %s", i, m.Answers[i], w)
				}
			}
		}},
		{"short_header", []byte{1, 2, 3}, AnomalyMalformed, nil},
		{"pointer_to_itself", selfLoop, AnomalyNameLoop, nil},
		{"pointer_forward", forward, AnomalyNameLoop, nil},
		{"rdata_past_end", good[:len(good)-3], AnomalyMalformed, nil},
		{"reserved_label_type", []byte{0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x41, 0, 0, 0, 0}, AnomalyMalformed, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, a := Parse(c.p)
			if a != c.anomaly {
				t.Fatalf("anomaly %q, want %q", a, c.anomaly)
			}
			if c.check != nil {
				c.check(t, m)
			}
		})
	}
}

func TestTracker(t *testing.T) {
	cli, srv := ep("192.0.2.1:40000"), ep("192.0.2.53:53")
	cli2 := ep("192.0.2.1:40001")
	at := func(ms int) flow.Time { return flow.Time(1_700_000_000e9) + flow.Time(ms)*flow.Time(time.Millisecond) }
	ans := rr(TypeA, 30, []byte{192, 0, 2, 2})
	type dg struct {
		ms       int
		src, dst flow.Endpoint
		p        []byte
	}
	cases := []struct {
		name  string
		dgs   []dg
		check func(t *testing.T, ls []Lookup, an map[string]uint64)
	}{
		{"a_then_aaaa", []dg{
			{0, cli, srv, msg(1, false, 0, "web.test", TypeA, 0, nil)},
			{2, srv, cli, msg(1, true, 0, "web.test", TypeA, 1, ans)},
			{3, cli, srv, msg(2, false, 0, "web.test", TypeAAAA, 0, nil)},
			{4, srv, cli, msg(2, true, 0, "web.test", TypeAAAA, 0, nil)},
		}, func(t *testing.T, ls []Lookup, an map[string]uint64) {
			if len(ls) != 2 || ls[0].Type != TypeA || ls[0].RTT() != 2*time.Millisecond || ls[0].Answers[0].Data != "192.0.2.2" || ls[1].Type != TypeAAAA || len(ls[1].Answers) != 0 {
				t.Errorf("lookups %+v", ls)
			}
		}},
		{"retry_after_timeout_new_id_and_port", []dg{
			{0, cli, srv, msg(7, false, 0, "slow.test", TypeA, 0, nil)},
			{5000, cli2, srv, msg(8, false, 0, "slow.test", TypeA, 0, nil)},
			{5030, srv, cli2, msg(8, true, 0, "slow.test", TypeA, 1, ans)},
		}, func(t *testing.T, ls []Lookup, an map[string]uint64) {
			if len(ls) != 1 || ls[0].Retries != 1 || ls[0].RTT() != 30*time.Millisecond || ls[0].Total() != 5030*time.Millisecond || ls[0].Client != cli2 {
				t.Errorf("lookups %+v", ls)
			}
		}},
		{"no_response_and_unmatched", []dg{
			{0, cli, srv, msg(9, false, 0, "gone.test", TypeA, 0, nil)},
			{10, srv, cli, msg(10, true, 3, "other.test", TypeA, 0, nil)},
			{40_000, cli, srv, msg(11, false, 0, "late.test", TypeA, 0, nil)},
			{40_001, srv, cli, msg(11, true, 3, "late.test", TypeA, 0, nil)},
		}, func(t *testing.T, ls []Lookup, an map[string]uint64) {
			if len(ls) != 2 || !ls[0].NoResponse || ls[0].Name != "gone.test" || ls[1].RCode != 3 || an[AnomalyUnmatchedResponse] != 1 {
				t.Errorf("lookups %+v anomalies %v", ls, an)
			}
		}},
		{"other_ports_ignored", []dg{
			{0, ep("192.0.2.1:5353"), ep("224.0.0.251:5353"), msg(0, false, 0, "x.local", TypeA, 0, nil)},
		}, func(t *testing.T, ls []Lookup, an map[string]uint64) {
			if len(ls) != 0 || len(an) != 0 {
				t.Errorf("lookups %+v anomalies %v", ls, an)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr := NewTracker(Config{})
			for i, d := range c.dgs {
				tr.Datagram(at(d.ms), uint64(i+1), d.src, d.dst, d.p)
			}
			ls, an := tr.Finish()
			c.check(t, ls, an)
		})
	}
}

func TestTrackerPendingLimit(t *testing.T) {
	tr := NewTracker(Config{MaxPending: 2})
	for i := 0; i < 5; i++ {
		tr.Datagram(flow.Time(i+1), uint64(i), ep("192.0.2.1:4000"), ep("192.0.2.53:53"), msg(uint16(i), false, 0, "n"+string(rune('a'+i))+".test", TypeA, 0, nil))
	}
	ls, an := tr.Finish()
	if len(ls) != 2 || an[AnomalyPendingLimit] != 3 {
		t.Errorf("lookups %d anomalies %v", len(ls), an)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(msg(1, true, 0, "www.example.com", TypeA, 1, rr(TypeA, 1, []byte{1, 2, 3, 4})))
	f.Add(msg(1, true, 0, "a.b", TypeCNAME, 1, rr(TypeCNAME, 1, []byte{0xc0, 12})))
	f.Fuzz(func(t *testing.T, p []byte) {
		m, _ := Parse(p)
		for _, q := range m.Questions {
			if len(q.Name) > 2*maxNameLen {
				t.Fatalf("name too long: %d", len(q.Name))
			}
		}
		tr := NewTracker(Config{})
		tr.Datagram(1, 1, ep("192.0.2.1:4000"), ep("192.0.2.53:53"), p)
		tr.Datagram(2, 2, ep("192.0.2.53:53"), ep("192.0.2.1:4000"), p)
		tr.Finish()
	})
}

func BenchmarkParse(b *testing.B) {
	p := msg(1, true, 0, "www.example.com", TypeA, 2, append(rr(TypeCNAME, 60, name("edge.example.net")), rr(TypeA, 30, []byte{192, 0, 2, 7})...))
	b.SetBytes(int64(len(p)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		Parse(p)
	}
}
