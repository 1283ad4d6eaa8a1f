package analysis

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestHistoryRoundTrip: Each gives back every row as appended, in order,
// across page boundaries, for values near and far apart (the int64 extremes
// included: the differences wrap and the sums wrap back).
func TestHistoryRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	extremes := []int64{0, 1, -1, math.MaxInt64, math.MinInt64, math.MaxInt64 - 1, math.MinInt64 + 1}
	for _, width := range []int{1, 2, 6, MaxHistoryWidth} {
		for _, n := range []int{0, 1, 2, 50, 40000} {
			var h History
			var want [][]int64
			for i := range n {
				row := make([]int64, width)
				for j := range row {
					switch rng.IntN(4) {
					case 0:
						row[j] = extremes[rng.IntN(len(extremes))]
					case 1:
						row[j] = rng.Int64() - math.MaxInt64/2
					default:
						row[j] = 1_700_000_000_000_000_000 + int64(i)*250_000 + rng.Int64N(1000)
					}
				}
				h.Append(row...)
				want = append(want, row)
			}
			if h.Len() != n {
				t.Fatalf("width %d n %d: Len %d", width, n, h.Len())
			}
			i := 0
			h.Each(func(row []int64) {
				if i >= n || !slices.Equal(row, want[i]) {
					t.Fatalf("width %d n %d: row %d = %v, want %v", width, n, i, row, want[min(i, n-1)])
				}
				i++
			})
			if i != n {
				t.Fatalf("width %d n %d: Each gave %d rows", width, n, i)
			}
		}
	}
}

// TestHistorySmall: rows of successive connections (times a few hundred
// microseconds apart, ids and ports close) take a few bytes per field, and
// appending never moves the bytes already stored.
func TestHistorySmall(t *testing.T) {
	var h History
	const n = 100000
	h.Append(1, 1_700_000_000_000_000_000, 40000, 1_200_000)
	first := &h.pages[0][0]
	for i := 1; i < n; i++ {
		h.Append(int64(i+1), 1_700_000_000_000_000_000+int64(i)*233_000, 40000+int64(i%28000), 1_200_000+int64(i%7)*1000)
	}
	if &h.pages[0][0] != first {
		t.Fatal("the first page moved")
	}
	if per := float64(h.Bytes()) / n; per > 10 {
		t.Errorf("%.1f bytes per row of 4 fields, want at most 10", per)
	}
	for i, p := range h.pages {
		if cap(p) > historyPage {
			t.Fatalf("page %d: cap %d", i, cap(p))
		}
	}
}

// TestHistoryWidth: rows of another width than the first are refused.
func TestHistoryWidth(t *testing.T) {
	for _, rows := range [][][]int64{{{}}, {make([]int64, MaxHistoryWidth+1)}, {{1, 2}, {3}}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("rows %v: no panic", rows)
				}
			}()
			var h History
			for _, r := range rows {
				h.Append(r...)
			}
		}()
	}
}
