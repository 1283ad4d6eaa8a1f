package analysis

import (
	"encoding/binary"
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

// memPages is a PageStore in memory that can be told to fail a load.
type memPages struct {
	pages [][]byte
	fail  map[int64]bool
	loads int
}

func (m *memPages) Put(page []byte) int64 {
	m.pages = append(m.pages, slices.Clone(page))
	return int64(len(m.pages) - 1)
}

func (m *memPages) Load(dst []byte, ref int64) []byte {
	m.loads++
	if m.fail[ref] {
		return dst
	}
	return append(dst, m.pages[ref]...)
}

// TestHistoryStore: with a Store, full pages leave the heap (what the
// History holds stays under a few pages however many rows it has), every
// row comes back in order, also through Sorted, and a page the Store
// cannot load loses only its own rows.
func TestHistoryStore(t *testing.T) {
	const n = 200000
	rowOf := func(i int) []int64 {
		return []int64{int64(i + 1), 1_700_000_000_000_000_000 + int64(i)*233_000 - int64(i%5)*3_000_000, int64(40000 + i%28000)}
	}
	st := &memPages{}
	h := History{Store: st}
	var plain History
	for i := range n {
		h.Append(rowOf(i)...)
		plain.Append(rowOf(i)...)
	}
	if len(st.pages) < 10 {
		t.Fatalf("%d pages stored", len(st.pages))
	}
	if hb := h.HeapBytes(); hb > 3*historyPage {
		t.Errorf("%d bytes of pages in the heap, want at most %d", hb, 3*historyPage)
	}
	if plain.HeapBytes() < 10*historyPage {
		t.Fatalf("without a store: %d bytes in the heap", plain.HeapBytes())
	}
	if h.Len() != n || h.Bytes() > plain.Bytes()+len(st.pages)*4*binary.MaxVarintLen64 {
		t.Errorf("Len %d, Bytes %d (without a store %d)", h.Len(), h.Bytes(), plain.Bytes())
	}
	i := 0
	h.Each(func(row []int64) {
		if i >= n || !slices.Equal(row, rowOf(i)) {
			t.Fatalf("row %d = %v, want %v", i, row, rowOf(min(i, n-1)))
		}
		i++
	})
	if i != n {
		t.Fatalf("Each gave %d rows", i)
	}
	key := func(row []int64) (int64, int64) { return row[1], row[0] }
	want := slices.Collect(func(yield func([]int64) bool) {
		for row := range plain.Sorted(key, LateRows) {
			if !yield(slices.Clone(row)) {
				return
			}
		}
	})
	i = 0
	for row := range h.Sorted(key, LateRows) {
		if !slices.Equal(row, want[i]) {
			t.Fatalf("sorted row %d = %v, want %v", i, row, want[i])
		}
		i++
	}
	if i != n {
		t.Fatalf("Sorted gave %d rows", i)
	}

	// A lost page: the rows after it are still right.
	st.fail = map[int64]bool{3: true}
	lost := map[int64]bool{}
	prev := int64(0)
	got := 0
	h.Each(func(row []int64) {
		got++
		for id := prev + 1; id < row[0]; id++ {
			lost[id] = true
		}
		prev = row[0]
		if !slices.Equal(row, rowOf(int(row[0]-1))) {
			t.Fatalf("after a lost page: row %v, want %v", row, rowOf(int(row[0]-1)))
		}
	})
	if len(lost) == 0 || got+len(lost) != n {
		t.Errorf("a lost page: %d rows, %d missing, of %d", got, len(lost), n)
	}
}
