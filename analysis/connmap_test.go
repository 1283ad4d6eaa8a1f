package analysis

import (
	"math/rand/v2"
	"slices"
	"testing"

	"connscope/flow"
)

// TestConnMapMatchesMap runs random puts, gets and deletes, biased to a
// sliding window of ids like a capture's open connections, against a Go map.
func TestConnMapMatchesMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var m ConnMap[int]
	ref := map[flow.ConnID]int{}
	next := flow.ConnID(1)
	for step := range 200000 {
		var id flow.ConnID
		switch r := rng.IntN(10); {
		case r < 3:
			id = next
			next++
		case r < 9 && next > 1:
			id = next - 1 - flow.ConnID(rng.IntN(int(min(next-1, 3000))))
		default:
			id = flow.ConnID(rng.Uint32())
		}
		switch rng.IntN(3) {
		case 0:
			m.Put(id, step)
			ref[id] = step
		case 1:
			m.Delete(id)
			delete(ref, id)
		}
		got, ok := m.Get(id)
		want, wok := ref[id]
		if ok != wok || got != want {
			t.Fatalf("step %d: Get(%d) = %d, %v; want %d, %v", step, id, got, ok, want, wok)
		}
		if m.Len() != len(ref) {
			t.Fatalf("step %d: Len = %d, want %d", step, m.Len(), len(ref))
		}
		if step%20000 == 0 || step == 199999 {
			checkAll(t, &m, ref)
		}
	}
	// Deleting everything frees every page.
	for id := range m.All() {
		m.Delete(id)
	}
	if m.Len() != 0 || slices.ContainsFunc(m.pages, func(p *connPage[int]) bool { return p != nil }) {
		t.Fatalf("after deleting all: Len %d, pages left", m.Len())
	}
}

func checkAll(t *testing.T, m *ConnMap[int], ref map[flow.ConnID]int) {
	t.Helper()
	var ids []flow.ConnID
	for id, v := range m.All() {
		if ref[id] != v {
			t.Fatalf("All: %d = %d, want %d", id, v, ref[id])
		}
		ids = append(ids, id)
	}
	if len(ids) != len(ref) || !slices.IsSorted(ids) {
		t.Fatalf("All yielded %d ids (sorted %v), want %d", len(ids), slices.IsSorted(ids), len(ref))
	}
}

func BenchmarkConnMap(b *testing.B) {
	var m ConnMap[*int]
	x := 1
	for i := 0; b.Loop(); i++ {
		id := flow.ConnID(i)
		m.Put(id, &x)
		if i >= 20000 {
			m.Delete(id - 20000)
		}
		m.Get(id - flow.ConnID(i%100))
	}
}
