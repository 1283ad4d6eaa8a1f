package analysis

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestHistorySorted: Sorted gives the rows in the order of a full sort by
// key, for rows in order, nearly in order, with late rows (far behind,
// kept aside), in reverse, with ties of the first key (the second in the
// rows' order or not), extreme keys and a consumer that stops early; and
// on nearly ordered rows it holds only a window's span of them.
func TestHistorySorted(t *testing.T) {
	byFirst := func(row []int64) (int64, int64) { return row[0], row[1] }
	const window = 1000
	cases := []struct {
		name  string
		n     int
		gen   func(rng *rand.Rand, i int) int64
		bound int // most rows held at once (0: no check)
		// shuffled: the second keys are not in the order of the rows (in
		// the others they are), so rows of one first key come out of
		// order.
		shuffled bool
	}{
		{"in order", 5000, func(_ *rand.Rand, i int) int64 { return int64(i) * 10 }, 2, false},
		{"nearly", 5000, func(rng *rand.Rand, i int) int64 { return int64(i)*10 + rng.Int64N(500) }, 110, false},
		{"late rows", 5000, func(rng *rand.Rand, i int) int64 {
			if rng.IntN(50) == 0 {
				return int64(i)*10 - 30_000 - rng.Int64N(10_000) // a long-lived connection
			}
			return int64(i)*10 + rng.Int64N(500)
		}, 110, false},
		{"reverse", 300, func(_ *rand.Rand, i int) int64 { return -int64(i) * 10 }, 0, false},
		{"ties", 3000, func(rng *rand.Rand, i int) int64 { return int64(i/7)*10 + rng.Int64N(3) }, 0, false},
		{"ties, second keys shuffled", 3000, func(rng *rand.Rand, i int) int64 { return int64(i/7)*10 + rng.Int64N(3) }, 0, true},
		{"all tied, second keys shuffled", 500, func(*rand.Rand, int) int64 { return 42 }, 0, true},
		{"extremes", 200, func(rng *rand.Rand, i int) int64 {
			return []int64{math.MinInt64, math.MaxInt64, 0, -1, math.MaxInt64 - 1, math.MinInt64 + 1}[rng.IntN(6)]
		}, 0, false},
		{"empty", 0, nil, 0, false},
	}
	for _, c := range cases {
		rng := rand.New(rand.NewPCG(3, uint64(c.n)))
		var h History
		var want [][]int64
		second := make([]int, c.n)
		for i := range second {
			second[i] = i
		}
		if c.shuffled {
			second = rng.Perm(c.n)
		}
		for i := range c.n {
			row := []int64{c.gen(rng, i), int64(second[i]), rng.Int64()} // second key unique
			h.Append(row...)
			want = append(want, row)
		}
		slices.SortFunc(want, func(a, b []int64) int {
			if r := cmp.Compare(a[0], b[0]); r != 0 {
				return r
			}
			return cmp.Compare(a[1], b[1])
		})
		var got [][]int64
		held := h.eachSorted(byFirst, window, func(row []int64) bool {
			got = append(got, slices.Clone(row))
			return true
		})
		if !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("%s: %d rows out of order (of %d)", c.name, len(got), len(want))
			continue
		}
		if c.bound > 0 && held > c.bound {
			t.Errorf("%s: the heap held %d rows, want at most %d", c.name, held, c.bound)
		}
		// Stopping early gives a prefix.
		if c.n > 10 {
			var prefix [][]int64
			for row := range h.Sorted(byFirst, window) {
				prefix = append(prefix, slices.Clone(row))
				if len(prefix) == c.n/2 {
					break
				}
			}
			if !slices.EqualFunc(prefix, want[:c.n/2], slices.Equal) {
				t.Errorf("%s: stopping early did not give a prefix", c.name)
			}
		}
	}
}

// TestRowQueue: the ring keeps rows first in first out through wrapping
// and growing while its first row is anywhere in it.
func TestRowQueue(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	var q rowQueue
	var model []int64
	next := int64(0)
	for step := range 20000 {
		// Phases of growth and of shrinking, so the ring grows with its
		// first row at every place.
		grow := (step/500)%2 == 0
		if q.len() == 0 || rng.IntN(10) < 4 || (grow && rng.IntN(10) < 7) {
			q.push(next, 0, []int64{next, -next})
			model = append(model, next)
			next++
		} else {
			h := q.head()
			if h.k1 != model[0] || h.row[0] != model[0] || h.row[1] != -model[0] {
				t.Fatalf("step %d: head %d (row %v), want %d", step, h.k1, h.row[:2], model[0])
			}
			q.pop()
			model = model[1:]
		}
		if q.len() != len(model) {
			t.Fatalf("step %d: %d rows held, want %d", step, q.len(), len(model))
		}
		if q.len() > 0 && q.accepts(next-2, 0) {
			t.Fatalf("step %d: accepts a key below its last", step)
		}
		if !q.accepts(next-1, 0) || !q.accepts(next, 0) {
			t.Fatalf("step %d: refuses a key not below its last", step)
		}
	}
	if len(q.ring) > 2*max(64, len(model)+2000) {
		t.Errorf("ring of %d for at most %d rows", len(q.ring), len(model)+2000)
	}
}
