package analysis

import (
	"encoding/binary"
	"time"
)

// MaxHistoryWidth is the most fields a History row holds.
const MaxHistoryWidth = 8

// History is an append-only list of an analyser's per-connection rows (one
// per closed connection of a peer, kept until Finish), each a fixed number
// of int64 fields. It stores every field as the zigzag varint of its
// difference from the same field of the row before: times, ids and ports of
// successive connections are close, so a row of six fields takes about a
// dozen bytes instead of the 48 of its struct. These histories are what
// grows with a capture's length, one row per connection; they are kept in
// pages whose sizes double from historyFirst to historyPage bytes, so an
// append never copies what is already stored and a peer with a few
// connections costs a few bytes. Each page starts from zero (its first row
// is stored whole). The zero value is ready; the first Append fixes the
// width.
//
// With a Store, each full page of historyPage bytes leaves the heap for
// the Store and the rows are read back from it: the heap then holds the
// History's first, smaller pages, the page being filled and a reference
// per stored page (8 bytes per some 5000 rows).
type History struct {
	// Store, when set before the first Append, keeps the full pages.
	Store PageStore

	width   int
	n       int
	prev    [MaxHistoryWidth]int64
	pages   [][]byte
	stored  []int64 // Store's references of the pages between pages[:len(pages)-1] and the last
	inStore int     // the bytes of those pages
}

// PageStore keeps the full pages of Histories out of the heap until their
// rows are read (the pipeline's writes them to a temporary file). Put is
// called from the analysers' goroutine; Load may be called from several
// goroutines at once (Engine.Finish prepares analysers concurrently).
type PageStore interface {
	// Put stores a copy of page (its caller reuses the slice) and returns
	// the page's reference.
	Put(page []byte) int64
	// Load appends the page stored as ref to dst. When the page cannot be
	// read it returns dst unchanged (its rows are missing from the
	// History) and the store keeps the error for its owner to report.
	Load(dst []byte, ref int64) []byte
}

// LateRows is the window the analysers give History.Sorted for their rows
// of times in nanoseconds: a row more than this behind the latest time
// appended before it (a connection that lived longer, or waited out the
// full close linger while later ones were reported after the quiet one)
// is kept aside unpacked; the others are ordered within a heap that spans
// at most this much time.
const LateRows = int64(2 * time.Second)

// Page sizes of History, in bytes.
const (
	historyFirst = 64
	historyPage  = 64 << 10
)

// Append adds one row. Every row of a History has the same number of
// fields, at most MaxHistoryWidth; Append panics otherwise.
func (h *History) Append(row ...int64) {
	if h.n == 0 && h.width == 0 {
		if len(row) == 0 || len(row) > MaxHistoryWidth {
			panic("analysis: History row width out of range")
		}
		h.width = len(row)
	}
	if len(row) != h.width {
		panic("analysis: History rows of different widths")
	}
	last := len(h.pages) - 1
	if last < 0 || cap(h.pages[last])-len(h.pages[last]) < h.width*binary.MaxVarintLen64 {
		if last >= 0 && h.Store != nil && cap(h.pages[last]) >= historyPage {
			// The full page goes to the Store; its slice takes the next.
			h.stored = append(h.stored, h.Store.Put(h.pages[last]))
			h.inStore += len(h.pages[last])
			h.pages[last] = h.pages[last][:0]
		} else {
			size := historyFirst
			if last >= 0 {
				size = min(2*cap(h.pages[last]), historyPage)
			}
			size = max(size, h.width*binary.MaxVarintLen64)
			h.pages = append(h.pages, make([]byte, 0, size))
			last++
		}
		h.prev = [MaxHistoryWidth]int64{}
	}
	p := h.pages[last]
	for i, v := range row {
		d := v - h.prev[i] // wraps; Each's sum wraps back
		p = binary.AppendUvarint(p, uint64(d<<1^d>>63))
		h.prev[i] = v
	}
	h.pages[last] = p
	h.n++
}

// Len returns the number of rows.
func (h *History) Len() int { return h.n }

// Each calls fn with every row in order (the rows of a page its Store
// could not load are missing). The row slice is reused from call to call.
func (h *History) Each(fn func(row []int64)) {
	var cur [MaxHistoryWidth]int64
	row := cur[:h.width]
	var buf []byte
	last := len(h.pages) - 1
	for i, p := range h.pages {
		if i == last {
			for _, ref := range h.stored {
				buf = h.Store.Load(buf[:0], ref)
				eachRow(buf, row, fn)
			}
		}
		eachRow(p, row, fn)
	}
}

// eachRow calls fn with every row of one page, decoded into row.
func eachRow(p []byte, row []int64, fn func(row []int64)) {
	clear(row)
	for len(p) > 0 {
		for i := range row {
			u, n := binary.Uvarint(p)
			if n <= 0 {
				return // only a damaged page ends inside a row
			}
			p = p[n:]
			row[i] += int64(u>>1) ^ -int64(u&1)
		}
		fn(row)
	}
}

// Bytes returns the bytes the rows take in their pages, in the heap and
// in the Store (for tests and measurements).
func (h *History) Bytes() int {
	n := h.inStore
	for _, p := range h.pages {
		n += len(p)
	}
	return n
}

// HeapBytes returns the bytes of the pages held in the heap.
func (h *History) HeapBytes() int {
	n := 0
	for _, p := range h.pages {
		n += cap(p)
	}
	return n
}
