package tlshello

import "testing"

// BenchmarkClientHello measures reading a real crypto/tls ClientHello
// delivered in 1448-byte segments.
func BenchmarkClientHello(b *testing.B) {
	ch := goClientHello(b)
	b.SetBytes(int64(len(ch)))
	b.ReportAllocs()
	for b.Loop() {
		c := NewConn()
		for i := 0; i < len(ch); i += 1448 {
			c.Data(0, int64(i), ch[i:min(i+1448, len(ch))])
		}
		if c.Result().Client == nil {
			b.Fatal("no hello")
		}
	}
}
