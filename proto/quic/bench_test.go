package quic

import (
	"testing"

	"connscope/flow"
)

// BenchmarkClientInitial measures one client Initial of a new connection:
// key derivation, header protection, AES-GCM, frames and ClientHello.
func BenchmarkClientInitial(b *testing.B) {
	pkt := rfcClientInitial(b, vectors[0])
	c, s := ep("192.0.2.1:5000"), ep("192.0.2.2:443")
	b.SetBytes(int64(len(pkt)))
	b.ReportAllocs()
	var id flow.ConnID
	for i := 0; i < b.N; i++ {
		tr := NewTracker(Config{}, func() flow.ConnID { id++; return id })
		tr.Datagram(1, 1, c, s, pkt)
	}
}

// BenchmarkShortHeader measures a 1-RTT datagram of a tracked connection.
func BenchmarkShortHeader(b *testing.B) {
	c, s := ep("192.0.2.1:5000"), ep("192.0.2.2:443")
	var id flow.ConnID
	tr := NewTracker(Config{}, func() flow.ConnID { id++; return id })
	tr.Datagram(1, 1, c, s, rfcClientInitial(b, vectors[0]))
	p := make([]byte, 1200)
	p[0] = 0x40
	b.SetBytes(int64(len(p)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		tr.Datagram(flow.Time(2+i), uint64(2+i), s, c, p)
	}
}
