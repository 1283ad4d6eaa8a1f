package websocket

import (
	"bytes"
	"testing"
)

// BenchmarkSession measures frame parsing over 1 KiB masked client
// messages delivered in 1448-byte segments.
func BenchmarkSession(b *testing.B) {
	msg := bytes.Repeat([]byte("x"), 1024)
	var stream []byte
	for i := 0; i < 64; i++ {
		f := []byte{0x82, 0xfe, 0x04, 0x00, 1, 2, 3, 4}
		stream = append(append(stream, f...), msg...)
	}
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	for b.Loop() {
		s := NewSession()
		for i := 0; i < len(stream); i += 1448 {
			s.Data(0, int64(i), stream[i:min(i+1448, len(stream))])
		}
	}
}
