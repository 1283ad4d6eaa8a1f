package analysis

import (
	"math/rand/v2"
	"testing"
)

// TestPortSet: the set counts each port once, over the whole port range
// (page edges included).
func TestPortSet(t *testing.T) {
	var s PortSet
	want := map[uint16]bool{}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 20000 {
		p := uint16(rng.IntN(1 << 16))
		if rng.IntN(4) == 0 {
			p = []uint16{0, 4095, 4096, 32767, 65535}[rng.IntN(5)]
		}
		s.Add(p)
		want[p] = true
		if s.Len() != len(want) {
			t.Fatalf("after port %d: %d ports, want %d", p, s.Len(), len(want))
		}
	}
	for _, p := range []uint16{0, 4095, 4096, 65535} {
		if !want[p] {
			t.Fatalf("port %d never drawn", p)
		}
	}
}
