package analysis

import (
	"maps"
	"math/rand/v2"
	"runtime"
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
		checkGet(t, &m, ref, step, id)
		if step%20000 == 0 || step == 199999 {
			checkAll(t, &m, ref)
		}
	}
	deleteAll(t, &m)
}

// checkGet checks m's value of id and its length against ref.
func checkGet(t *testing.T, m *ConnMap[int], ref map[flow.ConnID]int, step int, id flow.ConnID) {
	t.Helper()
	got, ok := m.Get(id)
	want, wok := ref[id]
	if ok != wok || got != want {
		t.Fatalf("step %d: Get(%d) = %d, %v; want %d, %v", step, id, got, ok, want, wok)
	}
	if m.Len() != len(ref) {
		t.Fatalf("step %d: Len = %d, want %d", step, m.Len(), len(ref))
	}
}

// deleteAll deletes every value of m in a walk of All, and checks that
// nothing is left: no value, no far entry, no page.
func deleteAll(t *testing.T, m *ConnMap[int]) {
	t.Helper()
	for id := range m.All() {
		m.Delete(id)
	}
	if m.Len() != 0 || len(m.far) != 0 || slices.ContainsFunc(m.pages, func(p *connPage[int]) bool { return p != nil }) {
		t.Fatalf("after deleting all: Len %d, %d far, pages left", m.Len(), len(m.far))
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

// TestConnMapTraffic runs capture-like traffic against a Go map: ids come
// in order, most live a short while, a few are left open while the ids
// run on for thousands more (their pages go to far), some old ids are put
// again, and All is walked with deletes in the loop.
func TestConnMapTraffic(t *testing.T) {
	for _, tc := range []struct {
		name string
		ids  int
		// life returns how many ids later the id is deleted, or 0 for
		// never (a close the capture missed).
		life func(rng *rand.Rand) int
	}{
		{"short random", 40000, func(rng *rand.Rand) int {
			if rng.IntN(400) == 0 {
				return 0
			}
			if rng.IntN(100) == 0 {
				return 2000 + rng.IntN(8000)
			}
			return 1 + rng.IntN(300)
		}},
		{"in order", 40000, func(rng *rand.Rand) int {
			if rng.IntN(700) == 0 {
				return 0
			}
			return 1000
		}},
		{"long groups", 30000, func(rng *rand.Rand) int {
			// Runs of ids that all outlive many pages: pages that keep
			// more than connFarMax values stay pages.
			if rng.IntN(2000) == 0 {
				return 0
			}
			return 1 + rng.IntN(50)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(5, uint64(len(tc.name))))
			var m ConnMap[int]
			ref := map[flow.ConnID]int{}
			check := func(step int, id flow.ConnID) {
				t.Helper()
				checkGet(t, &m, ref, step, id)
			}
			due := map[int][]flow.ConnID{}
			maxFar := 0
			var group int
			for step := range tc.ids {
				id := flow.ConnID(step + 1)
				m.Put(id, step)
				ref[id] = step
				life := tc.life(rng)
				if tc.name == "long groups" {
					if group == 0 && rng.IntN(1500) == 0 {
						group = 9 + rng.IntN(30)
					}
					if group > 0 {
						group--
						life = 5000 + rng.IntN(5000)
					}
				}
				if life > 0 {
					due[step+life] = append(due[step+life], id)
				}
				for _, d := range due[step] {
					m.Delete(d)
					delete(ref, d)
					check(step, d)
				}
				delete(due, step)
				check(step, id)
				// Ids not yet put are not found (a reused page is empty).
				check(step, id+1+flow.ConnID(rng.IntN(2*connPageSize)))
				// Touch an old id: a straggler or a long-gone one.
				old := flow.ConnID(1 + rng.IntN(step+1))
				switch rng.IntN(8) {
				case 0:
					m.Put(old, -step)
					ref[old] = -step
				case 1:
					m.Delete(old)
					delete(ref, old)
				}
				check(step, old)
				maxFar = max(maxFar, len(m.far))
				if step%3000 == 2999 {
					checkAll(t, &m, ref)
					walkDeleting(t, &m, ref, rng)
				}
			}
			checkAll(t, &m, ref)
			if maxFar == 0 {
				t.Fatal("far was never used")
			}
			deleteAll(t, &m)
		})
	}
}

// walkDeleting walks m.All, deleting about a third of the ids in the loop
// body, and checks that it yields ref's contents in increasing id order;
// then it checks an early stop.
func walkDeleting(t *testing.T, m *ConnMap[int], ref map[flow.ConnID]int, rng *rand.Rand) {
	t.Helper()
	want := slices.Sorted(maps.Keys(ref))
	var got []flow.ConnID
	for id, v := range m.All() {
		if w, ok := ref[id]; !ok || w != v {
			t.Fatalf("All: %d = %d, want %d, %v", id, v, w, ok)
		}
		got = append(got, id)
		if rng.IntN(3) == 0 {
			m.Delete(id)
			delete(ref, id)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("All with deletes yielded %d ids, want %d (sorted %v)", len(got), len(want), slices.IsSorted(got))
	}
	if m.Len() != len(ref) {
		t.Fatalf("Len = %d after walk, want %d", m.Len(), len(ref))
	}
	want = slices.Sorted(maps.Keys(ref))
	got = got[:0]
	for id := range m.All() {
		if len(got) == len(want)/2 {
			break
		}
		got = append(got, id)
	}
	if !slices.Equal(got, want[:len(want)/2]) {
		t.Fatalf("All stopped early yielded %v..., want %v...", got[:min(len(got), 5)], want[:min(len(want), 5)])
	}
}

// TestConnMapStragglersLeavePages checks where the memory goes: ids left
// open while the ids run on end up in far, not in pages, and behave as any
// other value there.
func TestConnMapStragglersLeavePages(t *testing.T) {
	livePages := func(m *ConnMap[int]) int {
		n := 0
		for _, p := range m.pages {
			if p != nil {
				n++
			}
		}
		return n
	}
	straggler := func(id flow.ConnID) bool { return id%1000 == 0 }
	for _, window := range []int{50, 10000} {
		var m ConnMap[int]
		// Ids 0..9999 each live window ids (window 10000: all are put
		// before any is deleted), except every 1000th, which stays; then
		// the ids run on for two more pages of short connections.
		const ids = 10000
		for id := range flow.ConnID(ids + window) {
			if id < ids {
				m.Put(id, int(id))
			}
			if d := id - flow.ConnID(window); id >= flow.ConnID(window) && !straggler(d) {
				m.Delete(d)
			}
		}
		for id := flow.ConnID(ids); id < ids+2*connPageSize+1; id++ {
			m.Put(id, 1)
			m.Delete(id)
		}
		if n := livePages(&m); n > 3 || m.Len() != 10 || len(m.far) != 10 {
			t.Fatalf("window %d: %d live pages, Len %d, %d in far; want at most 3, 10, 10", window, n, m.Len(), len(m.far))
		}
		// The page index covers the newest pages only, not the ids
		// since the first.
		if len(m.pages) > 3 || m.base < ids/connPageSize-1 {
			t.Fatalf("window %d: the page index holds %d pages from %d", window, len(m.pages), m.base)
		}
		for id := range m.far {
			if !straggler(id) {
				t.Fatalf("window %d: far holds %d", window, id)
			}
		}
		pages := livePages(&m)
		// A straggler seen again: Get, Put, Delete work in far.
		if v, ok := m.Get(3000); !ok || v != 3000 {
			t.Fatalf("Get(3000) = %d, %v", v, ok)
		}
		m.Put(3000, -1)
		if v, ok := m.Get(3000); !ok || v != -1 || m.Len() != 10 {
			t.Fatalf("after Put: Get(3000) = %d, %v, Len %d", v, ok, m.Len())
		}
		m.Delete(3000)
		m.Delete(3000)
		if _, ok := m.Get(3000); ok || m.Len() != 9 || len(m.far) != 9 {
			t.Fatalf("after Delete: Get(3000) found, Len %d, %d in far", m.Len(), len(m.far))
		}
		// An old id put again goes to far without a page; a missing
		// neighbour of a straggler is not found.
		m.Put(3001, 7)
		if v, ok := m.Get(3001); !ok || v != 7 || m.Len() != 10 || livePages(&m) != pages {
			t.Fatalf("Put(3001): Get = %d, %v, Len %d, %d live pages (was %d)", v, ok, m.Len(), livePages(&m), pages)
		}
		if _, ok := m.Get(4001); ok {
			t.Fatal("Get(4001) found")
		}
		var got []flow.ConnID
		for id := range m.All() {
			got = append(got, id)
		}
		want := []flow.ConnID{0, 1000, 2000, 3001, 4000, 5000, 6000, 7000, 8000, 9000}
		if !slices.Equal(got, want) {
			t.Fatalf("All = %v, want %v", got, want)
		}
	}

	// A page that keeps more than connFarMax values stays a page, and its
	// values stay on the fast path, however old it gets.
	var m ConnMap[int]
	for id := range flow.ConnID(5000) {
		m.Put(id, int(id))
		if id >= 20 && (id-20 < 128 || id-20 >= 128+connFarMax+1) {
			m.Delete(id - 20)
		}
	}
	if m.page(1) == nil || m.page(1).n != connFarMax+1 || len(m.far) != 0 {
		t.Fatalf("page 1 moved: %v, %d in far", m.page(1) == nil, len(m.far))
	}
	// Its values going up and down past connFarMax while the ids do not
	// run on list it once, not once per Delete.
	for range 1000 {
		m.Delete(128)
		m.Put(128, 128)
	}
	if len(m.sparse[0])+len(m.sparse[1]) > 1 {
		t.Fatalf("page 1 listed %d times", len(m.sparse[0])+len(m.sparse[1]))
	}
	// Once it comes down to connFarMax, it moves at the second page start.
	m.Delete(128)
	for id := flow.ConnID(5000); id < 5000+2*connPageSize+1; id++ {
		m.Put(id, 1)
		m.Delete(id)
	}
	if m.page(1) != nil || len(m.far) != connFarMax || m.Len() != connFarMax+20 {
		t.Fatalf("page 1 kept: %v, %d in far, Len %d", m.page(1) != nil, len(m.far), m.Len())
	}
	m.Clear()
	if m.Len() != 0 || m.far != nil || m.pages != nil {
		t.Fatal("Clear left values")
	}

	// The page below the newest is not old: an id there gets a page
	// (an analyser's first value for a connection may come late), even
	// after the page index was cut down to the newest pages.
	for top := flow.ConnID(1); top < 40; top++ {
		m.Put(top*connPageSize, 1)
		m.Delete(top * connPageSize)
	}
	m.Put(40*connPageSize, 1)
	m.Put(39*connPageSize+3, 2)
	if p := m.page(39); p == nil || len(m.far) != 0 || m.base > 39 {
		t.Fatalf("page 39: %v, %d in far, index from %d", p != nil, len(m.far), m.base)
	}
	if v, ok := m.Get(39*connPageSize + 3); !ok || v != 2 {
		t.Fatalf("Get = %d, %v", v, ok)
	}
}

// TestConnMapFarShrinks: a burst of connections left open (a capture
// outage that dropped their closes) fills far; when most of them end, far
// gives its table back instead of keeping the burst's size to the end,
// and every value left is still found.
func TestConnMapFarShrinks(t *testing.T) {
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	const stragglers = 100000
	var m ConnMap[int]
	// Every 32nd id stays open (4 per page); then the ids run on for four
	// more pages, so every page with stragglers is old and moves to far.
	end := flow.ConnID(32 * stragglers)
	for id := range end + 4*connPageSize + 1 {
		m.Put(id, int(id))
		if id%32 != 0 || id >= end {
			m.Delete(id)
		}
	}
	if len(m.far) != stragglers || m.farPeak != stragglers {
		t.Fatalf("%d in far (peak %d), want %d", len(m.far), m.farPeak, stragglers)
	}
	full := heap()
	// All but every 100th straggler end, in id order.
	for id := flow.ConnID(0); id < end; id += 32 {
		if id%3200 != 0 {
			m.Delete(id)
		}
	}
	left := heap()
	if len(m.far) != stragglers/100 || m.farPeak > 4*len(m.far) {
		t.Fatalf("%d in far, table for %d", len(m.far), m.farPeak)
	}
	// 100 000 int values take about 3 MB of table; what stays must be a
	// small part of it (a map that kept its table would free none).
	if full < left || full-left < 2<<20 {
		t.Errorf("heap %d bytes with far full, %d after most left: want at least 2 MiB freed", full, left)
	}
	for id := flow.ConnID(0); id < end; id += 32 {
		v, ok := m.Get(id)
		if want := id%3200 == 0; ok != want || (ok && v != int(id)) {
			t.Fatalf("Get(%d) = %d, %v", id, v, ok)
		}
	}
	for id := flow.ConnID(0); id < end; id += 3200 {
		m.Delete(id)
	}
	if m.Len() != 0 || m.far != nil || m.farPeak != 0 {
		t.Fatalf("all deleted: Len %d, far %v, peak %d", m.Len(), m.far != nil, m.farPeak)
	}
	runtime.KeepAlive(&m)
}

// BenchmarkConnMapStragglers is BenchmarkConnMap with every 1000th id
// left open for 200 000 ids (a close the capture missed), so that about
// 200 such ids are live at a time, each alone in its old page (so in the
// far map).
func BenchmarkConnMapStragglers(b *testing.B) {
	var m ConnMap[*int]
	x := 1
	for i := 0; b.Loop(); i++ {
		id := flow.ConnID(i)
		m.Put(id, &x)
		if i >= 20000 && (i-20000)%1000 != 0 {
			m.Delete(id - 20000)
		}
		if i >= 200000 && (i-200000)%1000 == 0 {
			m.Delete(id - 200000)
		}
		m.Get(id - flow.ConnID(i%100))
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
