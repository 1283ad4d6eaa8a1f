package analysis

// History is an append-only list of an analyser's per-connection entries
// (one per closed connection of a peer, kept until Finish). It stores them
// in pages whose sizes double from historyFirst up to historyPage entries,
// so an append never copies the entries already there: a growing slice
// copies each entry about five times on the way to hundreds of thousands
// of entries and holds the old and the new array at once, which made
// append a visible share of the CPU and of the peak memory on captures of
// many short connections between one pair of hosts. A peer with a few
// connections still costs a few entries. The zero value is ready.
type History[T any] struct {
	pages [][]T
	n     int
}

// Page sizes of History, in entries.
const (
	historyFirst = 8
	historyPage  = 8192
)

// Append adds v at the end.
func (h *History[T]) Append(v T) {
	last := len(h.pages) - 1
	if last < 0 || len(h.pages[last]) == cap(h.pages[last]) {
		size := historyFirst
		if last >= 0 {
			size = min(2*cap(h.pages[last]), historyPage)
		}
		h.pages = append(h.pages, make([]T, 0, size))
		last++
	}
	h.pages[last] = append(h.pages[last], v)
	h.n++
}

// Len returns the number of entries.
func (h *History[T]) Len() int { return h.n }

// Slice returns every entry in order, in a new slice (for Finish to sort;
// h is left as it was).
func (h *History[T]) Slice() []T {
	out := make([]T, 0, h.n)
	for _, p := range h.pages {
		out = append(out, p...)
	}
	return out
}
