package analysis

import (
	"slices"
	"testing"
)

// TestHistoryMatchesSlice: History keeps what a slice would, in order,
// across page boundaries, and Slice leaves it as it was.
func TestHistoryMatchesSlice(t *testing.T) {
	for _, n := range []int{0, 1, historyFirst - 1, historyFirst, historyFirst + 1, 3*historyPage + 17} {
		var h History[int]
		var want []int
		for i := range n {
			h.Append(i * 7)
			want = append(want, i*7)
		}
		if h.Len() != n {
			t.Fatalf("n=%d: Len %d", n, h.Len())
		}
		got := h.Slice()
		if !slices.Equal(got, want) {
			t.Fatalf("n=%d: Slice differs from the slice (len %d vs %d)", n, len(got), len(want))
		}
		if n > 0 {
			got[0] = -1 // a copy: h keeps its entries
		}
		h.Append(1)
		want = append(want, 1)
		if got := h.Slice(); h.Len() != n+1 || !slices.Equal(got, want) {
			t.Fatalf("n=%d: after Slice and one more Append: len %d, equal %v", n, h.Len(), slices.Equal(got, want))
		}
	}
}

// TestHistoryAppendNoCopy: appending never moves an entry already stored
// (pages are filled, never regrown).
func TestHistoryAppendNoCopy(t *testing.T) {
	var h History[int]
	h.Append(42)
	first := &h.pages[0][0]
	for i := range 5 * historyPage {
		h.Append(i)
	}
	if &h.pages[0][0] != first || *first != 42 {
		t.Fatal("the first entry moved")
	}
	for i, p := range h.pages {
		if len(p) > historyPage || (i < len(h.pages)-1 && len(p) != cap(p)) {
			t.Fatalf("page %d: len %d cap %d", i, len(p), cap(p))
		}
	}
}
