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
// connections costs a few bytes. The zero value is ready; the first Append
// fixes the width.
type History struct {
	width int
	n     int
	prev  [MaxHistoryWidth]int64
	pages [][]byte
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
		size := historyFirst
		if last >= 0 {
			size = min(2*cap(h.pages[last]), historyPage)
		}
		size = max(size, h.width*binary.MaxVarintLen64)
		h.pages = append(h.pages, make([]byte, 0, size))
		last++
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

// Each calls fn with every row in order. The row slice is reused from call
// to call.
func (h *History) Each(fn func(row []int64)) {
	var cur [MaxHistoryWidth]int64
	row := cur[:h.width]
	for _, p := range h.pages {
		for len(p) > 0 {
			for i := range row {
				u, n := binary.Uvarint(p)
				p = p[n:]
				row[i] += int64(u>>1) ^ -int64(u&1)
			}
			fn(row)
		}
	}
}

// Bytes returns the bytes the rows take in their pages (for tests and
// measurements).
func (h *History) Bytes() int {
	n := 0
	for _, p := range h.pages {
		n += len(p)
	}
	return n
}
