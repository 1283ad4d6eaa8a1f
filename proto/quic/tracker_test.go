package quic

import (
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"connscope/flow"
)

func ep(s string) flow.Endpoint {
	ap := netip.MustParseAddrPort(s)
	return flow.Endpoint{Addr: flow.Addr(ap.Addr().As16()), Port: ap.Port()}
}

// clientHello builds a TLS ClientHello handshake message with the given
// SNI and ALPN list and pad bytes of an extra (padding, 21) extension.
func clientHello(sni string, alpn []string, pad int) []byte {
	var ext []byte
	add := func(typ uint16, body []byte) {
		ext = binary.BigEndian.AppendUint16(ext, typ)
		ext = binary.BigEndian.AppendUint16(ext, uint16(len(body)))
		ext = append(ext, body...)
	}
	if sni != "" {
		var b []byte
		b = binary.BigEndian.AppendUint16(b, uint16(3+len(sni)))
		b = append(b, 0)
		b = binary.BigEndian.AppendUint16(b, uint16(len(sni)))
		add(0, append(b, sni...))
	}
	if len(alpn) > 0 {
		var l []byte
		for _, p := range alpn {
			l = append(l, byte(len(p)))
			l = append(l, p...)
		}
		add(16, append(binary.BigEndian.AppendUint16(nil, uint16(len(l))), l...))
	}
	add(43, []byte{2, 3, 4})
	if pad > 0 {
		add(21, make([]byte, pad))
	}
	body := []byte{3, 3}
	body = append(body, make([]byte, 32)...)
	body = append(body, 0)             // session id
	body = append(body, 0, 2, 0x13, 1) // cipher suites
	body = append(body, 1, 0)          // compression
	body = binary.BigEndian.AppendUint16(body, uint16(len(ext)))
	body = append(body, ext...)
	return append([]byte{1, byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}, body...)
}

func appendVarint(b []byte, v uint64) []byte {
	switch {
	case v < 1<<6:
		return append(b, byte(v))
	case v < 1<<14:
		return binary.BigEndian.AppendUint16(b, uint16(v)|0x4000)
	case v < 1<<30:
		return binary.BigEndian.AppendUint32(b, uint32(v)|0x80000000)
	}
	return binary.BigEndian.AppendUint64(b, v|0xc0<<56)
}

func cryptoFrame(off int, data []byte) []byte {
	b := []byte{frameCrypto}
	b = appendVarint(b, uint64(off))
	b = appendVarint(b, uint64(len(data)))
	return append(b, data...)
}

// initial builds a protected client Initial of version v carrying frames,
// padded to 1200 bytes, keyed by keyDCID (the DCID in the header is dcid).
func initial(t testing.TB, v uint32, keyDCID, dcid, scid []byte, pn uint64, frames []byte, server bool) []byte {
	t.Helper()
	first := byte(0xc3) // long, fixed, Initial (v1), 4-byte pn
	if v == Version2 {
		first = 0xd3
	}
	hdr := []byte{first}
	hdr = binary.BigEndian.AppendUint32(hdr, v)
	hdr = append(hdr, byte(len(dcid)))
	hdr = append(hdr, dcid...)
	hdr = append(hdr, byte(len(scid)))
	hdr = append(hdr, scid...)
	hdr = append(hdr, 0) // token length
	payload := append([]byte(nil), frames...)
	if !server {
		if n := 1200 - len(hdr) - 2 - 4 - 16; len(payload) < n {
			payload = append(payload, make([]byte, n-len(payload))...)
		}
	}
	hdr = appendVarint16(hdr, uint64(4+len(payload)+16))
	hdr = binary.BigEndian.AppendUint32(hdr, uint32(pn))
	k, ok := InitialKeys(v, keyDCID, server)
	if !ok {
		t.Fatal("no keys")
	}
	return SealInitial(k, hdr, pn, payload)
}

func appendVarint16(b []byte, v uint64) []byte {
	return binary.BigEndian.AppendUint16(b, uint16(v)|0x4000)
}

func retry(v uint32, dcid, scid []byte) []byte {
	b := []byte{0xf0}
	if v == Version2 {
		b[0] = 0xc0
	}
	b = binary.BigEndian.AppendUint32(b, v)
	b = append(b, byte(len(dcid)))
	b = append(b, dcid...)
	b = append(b, byte(len(scid)))
	b = append(b, scid...)
	b = append(b, []byte("token-token-token")...)
	return append(b, make([]byte, 16)...) // integrity tag (not checked)
}

func TestTracker(t *testing.T) {
	cli, srv := ep("192.0.2.1:50000"), ep("192.0.2.2:443")
	dcid := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	scid := []byte{9, 9, 9, 9}
	hello := clientHello("www.example.org", []string{"h3", "h3-29"}, 1500)
	ms := func(n int) flow.Time { return flow.Time(1_700_000_000e9) + flow.Time(n)*flow.Time(time.Millisecond) }

	type dg struct {
		at      int
		fromCli bool
		build   func(t testing.TB) []byte
	}
	cases := []struct {
		name string
		dgs  []dg
		want func(t *testing.T, cs []Conn, an map[string]uint64)
	}{
		{
			name: "scrambled_crypto_over_two_packets",
			dgs: []dg{
				{0, true, func(t testing.TB) []byte {
					// Chrome-like: the second half first, then a PING,
					// then a middle piece.
					f := cryptoFrame(1000, hello[1000:])
					f = append(f, framePing)
					f = append(f, cryptoFrame(400, hello[400:1000])...)
					return initial(t, Version1, dcid, dcid, scid, 0, f, false)
				}},
				{1, true, func(t testing.TB) []byte {
					return initial(t, Version1, dcid, dcid, scid, 1, cryptoFrame(0, hello[:500]), false)
				}},
				{20, false, func(t testing.TB) []byte {
					return initial(t, Version1, dcid, scid, []byte{7, 7, 7, 7}, 0, []byte{framePing}, true)
				}},
				{25, true, func(t testing.TB) []byte { return []byte{0x40, 7, 7, 7, 7, 1, 2, 3} }},
			},
			want: func(t *testing.T, cs []Conn, an map[string]uint64) {
				if len(cs) != 1 {
					t.Fatalf("%d conns", len(cs))
				}
				c := cs[0]
				if c.Client != cli || c.Server != srv || c.RoleSource != RoleInitial {
					t.Errorf("roles %v→%v (%s)", c.Client, c.Server, c.RoleSource)
				}
				if c.SNI != "www.example.org" || len(c.ALPN) != 2 || c.ALPN[0] != "h3" || !c.Hello {
					t.Errorf("sni %q alpn %v hello %v", c.SNI, c.ALPN, c.Hello)
				}
				if c.Packets != [2]uint64{3, 1} || !c.ServerSeen || c.Decrypted != 2 || c.Version != Version1 {
					t.Errorf("packets %v serverSeen %v decrypted %d version %x", c.Packets, c.ServerSeen, c.Decrypted, c.Version)
				}
				if c.End != ms(25) || c.Start != ms(0) || c.IdleTimeout {
					t.Errorf("times %d..%d idle %v", c.Start, c.End, c.IdleTimeout)
				}
				if len(an) != 0 {
					t.Errorf("anomalies %v", an)
				}
			},
		},
		{
			name: "retry_then_new_keys_v2",
			dgs: []dg{
				{0, true, func(t testing.TB) []byte {
					return initial(t, Version2, dcid, dcid, scid, 0, cryptoFrame(0, hello[:300]), false)
				}},
				{10, false, func(t testing.TB) []byte { return retry(Version2, scid, []byte{5, 5, 5, 5, 5}) }},
				{20, true, func(t testing.TB) []byte {
					nd := []byte{5, 5, 5, 5, 5}
					return initial(t, Version2, nd, nd, scid, 1, cryptoFrame(0, hello[:1200]), false)
				}},
				{21, true, func(t testing.TB) []byte {
					nd := []byte{5, 5, 5, 5, 5}
					return initial(t, Version2, nd, nd, scid, 2, cryptoFrame(1200, hello[1200:]), false)
				}},
			},
			want: func(t *testing.T, cs []Conn, an map[string]uint64) {
				if len(cs) != 1 {
					t.Fatalf("%d conns", len(cs))
				}
				c := cs[0]
				if !c.Retry || c.SNI != "www.example.org" || c.Version != Version2 || c.Decrypted != 3 {
					t.Errorf("retry %v sni %q version %x decrypted %d", c.Retry, c.SNI, c.Version, c.Decrypted)
				}
			},
		},
		{
			name: "grease_then_version_negotiation_then_v1",
			dgs: []dg{
				{0, true, func(t testing.TB) []byte {
					b := []byte{0xc0, 0x1a, 0x2a, 0x3a, 0x4a, 8}
					b = append(b, dcid...)
					b = append(b, 0)
					return append(b, make([]byte, 1180)...)
				}},
				{5, false, func(t testing.TB) []byte {
					b := []byte{0x80, 0, 0, 0, 0, 0, 8}
					b = append(b, dcid...)
					return binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(b, Version1), Version2)
				}},
				{10, true, func(t testing.TB) []byte {
					return initial(t, Version1, dcid, dcid, scid, 0, cryptoFrame(0, hello), false)
				}},
			},
			want: func(t *testing.T, cs []Conn, an map[string]uint64) {
				c := cs[0]
				if len(cs) != 1 || !c.VersionNegotiation || len(c.OfferedVersions) != 2 || c.Version != Version1 || c.SNI == "" {
					t.Errorf("conns %d vn %v offered %v version %x sni %q", len(cs), c.VersionNegotiation, c.OfferedVersions, c.Version, c.SNI)
				}
			},
		},
		{
			name: "idle_timeout_starts_new_connection",
			dgs: []dg{
				{0, true, func(t testing.TB) []byte {
					return initial(t, Version1, dcid, dcid, scid, 0, cryptoFrame(0, hello), false)
				}},
				{61_000, true, func(t testing.TB) []byte { return []byte{0x40, 1, 2, 3} }},
				{62_000, true, func(t testing.TB) []byte {
					return initial(t, Version1, dcid, dcid, scid, 0, cryptoFrame(0, hello), false)
				}},
			},
			want: func(t *testing.T, cs []Conn, an map[string]uint64) {
				if len(cs) != 2 || !cs[0].IdleTimeout || cs[1].IdleTimeout || cs[0].ID >= cs[1].ID {
					t.Fatalf("conns %+v", cs)
				}
			},
		},
		{
			name: "not_quic_is_ignored",
			dgs: []dg{
				{0, true, func(t testing.TB) []byte { return []byte{0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0} }},
				{1, true, func(t testing.TB) []byte { return []byte{0xc0, 0xde, 0xad, 0xbe, 0xef, 0, 0, 1} }},
			},
			want: func(t *testing.T, cs []Conn, an map[string]uint64) {
				if len(cs) != 0 || len(an) != 0 {
					t.Errorf("conns %d anomalies %v", len(cs), an)
				}
			},
		},
		{
			name: "undecryptable_initial_counted",
			dgs: []dg{
				{0, true, func(t testing.TB) []byte {
					p := initial(t, Version1, dcid, dcid, scid, 0, cryptoFrame(0, hello), false)
					p[200] ^= 0xff
					return p
				}},
			},
			want: func(t *testing.T, cs []Conn, an map[string]uint64) {
				if len(cs) != 1 || cs[0].RoleSource != RolePort || cs[0].Client != cli || an[AnomalyDecryptFailed] != 1 {
					t.Errorf("conns %+v anomalies %v", cs, an)
				}
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var id flow.ConnID
			tr := NewTracker(Config{}, func() flow.ConnID { id++; return id })
			for i, d := range c.dgs {
				src, dst := cli, srv
				if !d.fromCli {
					src, dst = srv, cli
				}
				tr.Datagram(ms(d.at), uint64(i+1), src, dst, d.build(t))
			}
			cs, an := tr.Finish()
			c.want(t, cs, an)
		})
	}
}

func TestTrackerFlowLimit(t *testing.T) {
	var id flow.ConnID
	tr := NewTracker(Config{MaxFlows: 2}, func() flow.ConnID { id++; return id })
	dcid := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	p := initial(t, Version1, dcid, dcid, nil, 0, cryptoFrame(0, clientHello("a", nil, 0)), false)
	for i := 0; i < 4; i++ {
		tr.Datagram(flow.Time(i+1), uint64(i+1), ep("192.0.2.1:"+string(rune('1'+i))+"000"), ep("192.0.2.2:443"), p)
	}
	cs, an := tr.Finish()
	if len(cs) != 2 || an[AnomalyFlowLimit] != 2 {
		t.Errorf("conns %d, anomalies %v", len(cs), an)
	}
}

func TestParseClientHelloMalformed(t *testing.T) {
	good := clientHello("example.net", []string{"h3"}, 0)
	cases := []struct {
		name    string
		b       []byte
		more    bool
		anomaly string
	}{
		{"prefix_needs_more", good[:40], true, ""},
		{"not_client_hello", append([]byte{2}, good[1:]...), false, AnomalyClientHello},
		{"bad_ext_length", func() []byte { b := append([]byte(nil), good...); b[len(b)-5] = 0xff; return b }(), false, AnomalyClientHello},
		{"huge_declared_length", []byte{1, 0xff, 0xff, 0xff}, false, AnomalyClientHello},
		{"complete", good, false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, more, a := ParseClientHello(c.b)
			if more != c.more || a != c.anomaly {
				t.Errorf("more=%v anomaly=%q, want %v %q", more, a, c.more, c.anomaly)
			}
		})
	}
}

func TestCryptoStream(t *testing.T) {
	data := []byte("0123456789abcdef")
	cases := []struct {
		name  string
		parts [][2]int
		want  string
		holes bool
	}{
		{"in_order", [][2]int{{0, 8}, {8, 16}}, "0123456789abcdef", false},
		{"reversed_overlapping", [][2]int{{10, 16}, {4, 12}, {0, 5}}, "0123456789abcdef", false},
		{"hole", [][2]int{{0, 4}, {8, 16}}, "0123", true},
		{"no_start", [][2]int{{4, 16}}, "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var s CryptoStream
			for _, p := range c.parts {
				s.Add(uint64(p[0]), data[p[0]:p[1]])
			}
			if got := string(s.Contiguous()); got != c.want || s.Holes() != c.holes {
				t.Errorf("contiguous %q holes %v, want %q %v", got, s.Holes(), c.want, c.holes)
			}
		})
	}
}
