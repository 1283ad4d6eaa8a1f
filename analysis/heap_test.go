package analysis

import (
	"math/rand/v2"
	"slices"
	"testing"
)

type intItem int

func (a intItem) Less(b intItem) bool { return a < b }

// TestHeap: values pushed in any order, with repeats, and pops interleaved
// with the pushes: every pop returns the least value in the heap (checked
// against a sorted list of the same values), as Min said.
func TestHeap(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for range 100 {
		var h Heap[intItem]
		var model []intItem
		pop := func() {
			slices.Sort(model)
			m := h.Min()
			if got := h.Pop(); got != model[0] || m != got {
				t.Fatalf("Pop = %d (Min %d), want %d", got, m, model[0])
			}
			model = model[1:]
		}
		for range rng.IntN(200) {
			v := intItem(rng.IntN(50))
			h.Push(v)
			model = append(model, v)
			if rng.IntN(3) == 0 {
				pop()
			}
		}
		for len(model) > 0 {
			pop()
		}
		if h.Len() != 0 {
			t.Fatalf("%d values left", h.Len())
		}
	}
}

// TestQueue: values come out in the order pushed, through pushes and pops
// interleaved long enough for the queue to compact many times, and after
// a push it keeps no more than twice what is queued (plus one).
func TestQueue(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	var q Queue[int]
	next, want := 0, 0
	for range 20000 {
		if q.Len() == 0 || rng.IntN(2) == 0 {
			q.Push(next)
			next++
			if len(q.items) > 2*q.Len()+1 {
				t.Fatalf("%d slots kept for %d queued", len(q.items), q.Len())
			}
		} else {
			if f, got := q.Front(), q.Pop(); got != want || f != got {
				t.Fatalf("Pop = %d (Front %d), want %d", got, f, want)
			}
			want++
		}
	}
}
