package quic

import (
	"testing"

	"connscope/flow"
)

// FuzzTracker feeds arbitrary datagrams (alternating directions) to a
// tracker: it must never panic, and every connection it reports must have
// sane counters.
func FuzzTracker(f *testing.F) {
	for _, v := range vectors {
		f.Add(rfcClientInitial(f, v), unhex(f, v.serverPacket))
	}
	f.Add([]byte{0xc0, 0, 0, 0, 1, 21}, []byte{0x80, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{0xc3, 0, 0, 0, 1, 0, 0, 0, 0x44}, []byte{})
	f.Fuzz(func(t *testing.T, a, b []byte) {
		var id flow.ConnID
		tr := NewTracker(Config{}, func() flow.ConnID { id++; return id })
		c, s := ep("192.0.2.1:5000"), ep("192.0.2.2:443")
		tr.Datagram(1, 1, c, s, a)
		tr.Datagram(2, 2, s, c, b)
		tr.Datagram(3, 3, c, s, b)
		tr.Datagram(4, 4, s, c, a)
		cs, _ := tr.Finish()
		for _, x := range cs {
			if x.Packets[0]+x.Packets[1] == 0 || x.End < x.Start {
				t.Fatalf("bad conn %+v", x)
			}
		}
		var fr Frames
		_ = ParseFrames(a, &fr)
		_, _, _ = ParseClientHello(b)
		_, _ = ParseLongHeader(a)
	})
}
