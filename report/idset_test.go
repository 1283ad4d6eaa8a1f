package report

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestIDSet adds ids in several orders and checks every id around them
// against a map.
func TestIDSet(t *testing.T) {
	inOrderWithHoles := func() []uint32 {
		var ids []uint32
		for id := uint32(1); id <= 5000; id++ {
			if id%97 != 0 {
				ids = append(ids, id)
			}
		}
		for id := uint32(97); id <= 5000; id += 97 {
			ids = append(ids, id) // the long-lived ones close last
		}
		return ids
	}
	shuffled := func() []uint32 {
		ids := inOrderWithHoles()
		r := rand.New(rand.NewPCG(1, 2))
		r.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
		return ids[:3000]
	}
	cases := map[string][]uint32{
		"empty":         nil,
		"zero":          {0, 0},
		"in order":      inOrderWithHoles()[:4900],
		"holes filled":  inOrderWithHoles(),
		"shuffled":      shuffled(),
		"repeated":      {5, 5, 1, 1, 64, 65, 64, 2, 3, 4},
		"sparse":        {1, 1 << 20, 3 << 20, 64, 128},
		"word boundary": {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65},
	}
	for name, ids := range cases {
		var s idSet
		want := map[uint32]bool{}
		probe := map[uint32]bool{0: true, 1: true, 2: true, 63: true, 64: true, 65: true, 128: true, math.MaxUint32: true}
		for _, id := range ids {
			s.add(id)
			want[id] = true
			for d := uint32(0); d < 3; d++ {
				probe[id+d] = true
				probe[id-d] = true
			}
		}
		for id := range probe {
			if s.has(id) != want[id] {
				t.Errorf("%s: has(%d) = %v, want %v", name, id, s.has(id), want[id])
			}
		}
	}
}

// words is the number of 64-bit words s holds.
func (s *idSet) words() int { return len(s.bits) - s.off }

// TestIDSetMemory: ids streamed in order take no memory once every id below
// them is in; a connection still open keeps one bit per id past it.
func TestIDSetMemory(t *testing.T) {
	const n = 1 << 20
	var s idSet
	for id := uint32(1); id <= n; id++ {
		if id != 1000 {
			s.add(id)
		}
	}
	if w := s.words(); w < (n-1000)/64 || w > n/64+1 {
		t.Errorf("with id 1000 open: %d words, want one bit per id past it (%d)", w, (n-1000)/64)
	}
	if s.has(1000) || !s.has(999) || !s.has(n) {
		t.Errorf("membership wrong around the open id")
	}
	s.add(1000)
	if w := s.words(); w > 1 {
		t.Errorf("all of 1..%d in: %d words held, want at most 1", n, w)
	}
	for id := uint32(1); id <= n+100; id += 1 + id%3 {
		if !s.has(id) != (id > n) {
			t.Fatalf("has(%d) = %v", id, s.has(id))
		}
	}
}
