package tlshello

import (
	"bytes"
	"crypto/tls"
	"errors"
	"net"
	"testing"
	"time"
)

// recConn records what a TLS client writes and fails its reads, so that
// Handshake returns right after sending the ClientHello.
type recConn struct{ out bytes.Buffer }

func (c *recConn) Read([]byte) (int, error)         { return 0, errors.New("no server") }
func (c *recConn) Write(p []byte) (int, error)      { return c.out.Write(p) }
func (c *recConn) Close() error                     { return nil }
func (c *recConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *recConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c *recConn) SetDeadline(time.Time) error      { return nil }
func (c *recConn) SetReadDeadline(time.Time) error  { return nil }
func (c *recConn) SetWriteDeadline(time.Time) error { return nil }

// goClientHello returns the records of a real ClientHello from crypto/tls
// (with its post-quantum key share it is larger than one Ethernet segment).
func goClientHello(t testing.TB) []byte {
	rc := &recConn{}
	cl := tls.Client(rc, &tls.Config{ServerName: "example.com", NextProtos: []string{"h2", "http/1.1"}})
	_ = cl.Handshake()
	if rc.out.Len() < 10 {
		t.Fatal("no ClientHello written")
	}
	return rc.out.Bytes()
}

// rerecord splits the handshake payload of the records in b into records
// of at most n bytes (RFC 8446 §5.1 allows a message across records).
func rerecord(b []byte, n int) []byte {
	var hs []byte
	for len(b) >= 5 {
		l := int(b[3])<<8 | int(b[4])
		hs = append(hs, b[5:5+l]...)
		b = b[5+l:]
	}
	var out []byte
	for len(hs) > 0 {
		k := min(n, len(hs))
		out = append(out, 22, 3, 1, byte(k>>8), byte(k))
		out = append(out, hs[:k]...)
		hs = hs[k:]
	}
	return out
}

func record(typ byte, body []byte) []byte {
	return append([]byte{typ, 3, 3, byte(len(body) >> 8), byte(len(body))}, body...)
}

func handshakeMsg(typ byte, body []byte) []byte {
	n := len(body)
	return append([]byte{typ, byte(n >> 16), byte(n >> 8), byte(n)}, body...)
}

func vec16(b []byte) []byte { return append([]byte{byte(len(b) >> 8), byte(len(b))}, b...) }

// serverHello builds a ServerHello body with the given extensions.
func serverHello(exts ...[]byte) []byte {
	b := []byte{3, 3}
	b = append(b, make([]byte, 32)...)
	b = append(b, 0)          // session id
	b = append(b, 0x13, 0x01) // TLS_AES_128_GCM_SHA256
	b = append(b, 0)          // compression
	return append(b, vec16(bytes.Join(exts, nil))...)
}

func ext(typ int, data []byte) []byte {
	return append([]byte{byte(typ >> 8), byte(typ)}, vec16(data)...)
}

func TestClientHelloSplit(t *testing.T) {
	ch := goClientHello(t)
	tests := []struct {
		name    string
		records []byte
		chunk   int
	}{
		{"one_record_one_write", ch, len(ch)},
		{"one_record_100_byte_segments", ch, 100},
		{"records_of_200_bytes_in_7_byte_segments", rerecord(ch, 200), 7},
		{"records_of_1_byte", rerecord(ch, 1), 1000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := NewConn()
			for i := 0; i < len(tc.records); i += tc.chunk {
				c.Data(0, int64(1000+i), tc.records[i:min(i+tc.chunk, len(tc.records))])
			}
			r := c.Result()
			if r.Client == nil {
				t.Fatalf("no ClientHello; anomalies %v", c.Anomalies())
			}
			h := r.Client
			if h.SNI != "example.com" || len(h.ALPN) != 2 || h.ALPN[0] != "h2" || h.ALPN[1] != "http/1.1" {
				t.Fatalf("%+v", h)
			}
			if VersionName(h.MaxVersion()) != "TLS 1.3" || r.ClientHelloAt != 1000 || len(c.Anomalies()) != 0 {
				t.Fatalf("%+v at %d %v", h, r.ClientHelloAt, c.Anomalies())
			}
		})
	}
}

func TestServerHello(t *testing.T) {
	alpn := ext(extALPN, vec16([]byte("\x02h2")))
	tests := []struct {
		name    string
		body    []byte
		version string
		alpn    string
		retry   bool
	}{
		{"tls13_supported_versions", serverHello(ext(extSupportedVersions, []byte{3, 4})), "TLS 1.3", "", false},
		{"tls12_with_alpn", serverHello(alpn), "TLS 1.2", "h2", false},
		{"hello_retry_request", func() []byte {
			b := serverHello(ext(extSupportedVersions, []byte{3, 4}))
			copy(b[2:34], helloRetryRandom[:])
			return b
		}(), "TLS 1.3", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := NewConn()
			c.Data(0, 10, goClientHello(t))
			c.Data(1, 35, record(22, handshakeMsg(typeServerHello, tc.body)))
			c.Data(1, 40, record(23, []byte("xx")))
			r := c.Result()
			if r.Server == nil || VersionName(r.Server.Version()) != tc.version || r.Server.ALPN != tc.alpn || r.Server.HelloRetry != tc.retry {
				t.Fatalf("%+v %v", r.Server, c.Anomalies())
			}
			if r.HandshakeNS() != 25 || r.AppDataAt[1] != 40 {
				t.Fatalf("handshake %d appdata %v", r.HandshakeNS(), r.AppDataAt)
			}
		})
	}
}

func TestMalformed(t *testing.T) {
	ch := goClientHello(t)
	tests := []struct {
		name string
		in   []byte
		tok  string
	}{
		{"not_tls", []byte("GET / HTTP/1.1\r\n"), AnomalyBadRecord},
		{"truncated_extensions", record(22, handshakeMsg(typeClientHello, ch[9:60])), AnomalyMalformedHello},
		{"too_large", record(22, []byte{1, 0, 0x50, 0}), AnomalyHelloTooLarge},
		{"server_hello_from_client", record(22, handshakeMsg(typeServerHello, serverHello())), AnomalyUnexpectedHandshake},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := NewConn()
			c.Data(0, 1, tc.in)
			if c.Result().Client != nil || c.Anomalies()[tc.tok] != 1 {
				t.Fatalf("client %+v anomalies %v", c.Result().Client, c.Anomalies())
			}
		})
	}
}

func TestVersionName(t *testing.T) {
	tests := []struct {
		v    uint16
		want string
	}{{0x0300, "SSL 3.0"}, {0x0301, "TLS 1.0"}, {0x0303, "TLS 1.2"}, {0x0304, "TLS 1.3"}, {0x7f17, "TLS 1.3 draft 23"}, {0x1234, "0x1234"}}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			if got := VersionName(tc.v); got != tc.want {
				t.Fatalf("got %q", got)
			}
		})
	}
}

func FuzzClientHello(f *testing.F) {
	f.Add(goClientHello(f), record(22, handshakeMsg(typeServerHello, serverHello(ext(extSupportedVersions, []byte{3, 4})))), uint8(9))
	f.Add(rerecord(goClientHello(f), 50), []byte{22, 3, 3, 0, 1, 2}, uint8(0x81))
	f.Fuzz(func(t *testing.T, c2s, s2c []byte, split uint8) {
		_, _ = ParseClientHello(c2s)
		_, _ = ParseServerHello(s2c)
		c := NewConn()
		k := int(split&0x7f) + 1
		for i := 0; i < len(c2s) || i < len(s2c); i += k {
			if i < len(c2s) {
				c.Data(0, int64(i), c2s[i:min(i+k, len(c2s))])
			}
			if i < len(s2c) {
				c.Data(1, int64(i), s2c[i:min(i+k, len(s2c))])
			}
			if split&0x80 != 0 && i == k {
				c.Gap(0, int64(i), 5)
			}
		}
		r := c.Result()
		if r.HandshakeNS() < 0 {
			t.Fatal("negative handshake time")
		}
	})
}
