package h2

import (
	"testing"
)

// BenchmarkConn measures a prior-knowledge connection: 100 requests and
// 100 responses of 4 KiB DATA, delivered in 1448-byte segments.
func BenchmarkConn(b *testing.B) {
	c2s := append([]byte(Preface), settingsEmpty...)
	s2c := append([]byte(nil), settingsEmpty...)
	resp := encode(":status", "200", "content-type", "text/plain")
	for i := 0; i < 100; i++ {
		sid := uint32(2*i + 1)
		c2s = append(c2s, frame(FrameHeaders, flagEndHeaders|flagEndStream, sid, encode(":method", "GET", ":path", "/x", ":authority", "h"))...)
		s2c = append(s2c, frame(FrameHeaders, flagEndHeaders, sid, resp)...)
		s2c = append(s2c, frame(FrameData, flagEndStream, sid, make([]byte, 4096))...)
	}
	b.SetBytes(int64(len(c2s) + len(s2c)))
	b.ReportAllocs()
	for b.Loop() {
		c := NewConn(Config{})
		for _, d := range []struct {
			dir int
			p   []byte
		}{{0, c2s}, {1, s2c}} {
			for i := 0; i < len(d.p); i += 1448 {
				c.Data(d.dir, int64(i), d.p[i:min(i+1448, len(d.p))])
				c.Segment(d.dir, int64(i), min(1448, len(d.p)-i), false)
			}
		}
	}
}
