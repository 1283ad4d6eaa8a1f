package analysis

import (
	"iter"

	"connscope/flow"
)

// connPageBits sets the ids per ConnMap page (128). A connection that
// stays open while the ids run on (its close was not captured, or it is
// long-lived) keeps its page: small pages keep that cost small, a few
// hundred bytes per such connection and map, where pages of 1024 ids
// kept 8 KB each and grew with the capture.
const connPageBits = 7

const connPageSize = 1 << connPageBits

// ConnMap maps connection ids to an analyser's per-connection values. It
// replaces a Go map for the state of open connections: ids are handed out
// in order of first packet, so the open connections' ids are dense near
// the newest one, and a table of pages of 128 ids finds a value with two
// indexed loads instead of a hash probe into a table of tens of thousands
// of entries (on captures of short connections the hash maps' probes were
// a tenth of the CPU, most of it cache misses). A page is freed when its
// last value is deleted, so memory follows the open connections: at most
// one page per 128 ids that still has an open connection, plus 8 bytes
// per 128 ids for the page index. All walks the values in id order,
// which makes Finish deterministic without sorting. The zero value is
// ready.
type ConnMap[V any] struct {
	pages []*connPage[V]
	// spare is the last page freed, kept for the next new page: a map
	// that holds one value at a time would otherwise allocate a page per
	// Put. An empty page is all zero (Delete zeroes the value), so it is
	// reused as it is.
	spare *connPage[V]
	n     int
}

type connPage[V any] struct {
	v   [connPageSize]V
	has [connPageSize / 64]uint64
	n   int
}

// Len returns the number of values.
func (m *ConnMap[V]) Len() int { return m.n }

// Get returns the value of id and whether there is one.
func (m *ConnMap[V]) Get(id flow.ConnID) (V, bool) {
	pi, i := int(id>>connPageBits), int(id&(connPageSize-1))
	if pi < len(m.pages) {
		if p := m.pages[pi]; p != nil && p.has[i>>6]&(1<<(i&63)) != 0 {
			return p.v[i], true
		}
	}
	var zero V
	return zero, false
}

// Put sets the value of id.
func (m *ConnMap[V]) Put(id flow.ConnID, v V) {
	pi, i := int(id>>connPageBits), int(id&(connPageSize-1))
	if pi >= len(m.pages) {
		m.pages = append(m.pages, make([]*connPage[V], pi+1-len(m.pages))...)
	}
	p := m.pages[pi]
	if p == nil {
		p, m.spare = m.spare, nil
		if p == nil {
			p = &connPage[V]{}
		}
		m.pages[pi] = p
	}
	if p.has[i>>6]&(1<<(i&63)) == 0 {
		p.has[i>>6] |= 1 << (i & 63)
		p.n++
		m.n++
	}
	p.v[i] = v
}

// Delete removes the value of id, if any.
func (m *ConnMap[V]) Delete(id flow.ConnID) {
	pi, i := int(id>>connPageBits), int(id&(connPageSize-1))
	if pi >= len(m.pages) {
		return
	}
	p := m.pages[pi]
	if p == nil || p.has[i>>6]&(1<<(i&63)) == 0 {
		return
	}
	p.has[i>>6] &^= 1 << (i & 63)
	var zero V
	p.v[i] = zero
	p.n--
	m.n--
	if p.n == 0 {
		m.pages[pi] = nil
		m.spare = p
	}
}

// All yields every id and value in increasing id order. The loop body may
// delete the id it was given.
func (m *ConnMap[V]) All() iter.Seq2[flow.ConnID, V] {
	return func(yield func(flow.ConnID, V) bool) {
		for pi := 0; pi < len(m.pages); pi++ {
			for i := 0; i < connPageSize; i++ {
				p := m.pages[pi]
				if p == nil {
					break
				}
				if p.has[i>>6]&(1<<(i&63)) == 0 {
					continue
				}
				if !yield(flow.ConnID(pi<<connPageBits|i), p.v[i]) {
					return
				}
			}
		}
	}
}

// Clear removes every value.
func (m *ConnMap[V]) Clear() {
	*m = ConnMap[V]{}
}
