package analysis

import (
	"iter"
	"math/bits"
	"slices"

	"connscope/flow"
)

// connPageBits sets the ids per ConnMap page (128). A page costs its 128
// values plus 32 bytes (a bit per id, a count and a mark): 1152 bytes with the
// allocator's rounding for a pointer value, 3200 for a 24-byte one. Pages
// are kept for the newest ids and for old ids only where they are dense
// (see ConnMap), so the page size sets what the newest ids cost, and the
// page index (8 bytes per 128 ids), not what a connection left open
// behind them costs.
const connPageBits = 7

const connPageSize = 1 << connPageBits

// connFarMax is the most values an old page (see ConnMap) holds when its
// values move to the map's far table. A far value costs a Go map entry,
// 25 to 45 bytes for a pointer value and about twice that for a 24-byte
// one, so eight of them cost a third of the page they leave or less; a
// page is cheaper than the map only when a fifth to a half of its ids
// hold a value. Connections left open while the ids run on are rare (on
// a capture of 256 000 short connections with 2 % of their closes
// dropped, a few hundred to 1300 at a time), well under one per page, so
// eight catches nearly every page they would pin; a page
// with more left holds a group of long-lived connections opened together,
// which keep their two-load lookups at about 14 value slots each at most.
const connFarMax = 8

// ConnMap maps connection ids to an analyser's per-connection values. It
// replaces a Go map for the state of open connections: ids are handed out
// in order of first packet, so the open connections' ids are dense near
// the newest one, and a table of pages of 128 ids finds a value with two
// indexed loads instead of a hash probe into a table of tens of thousands
// of entries (on captures of short connections the hash maps' probes were
// a tenth of the CPU, most of it cache misses).
//
// Memory follows the open connections. Let top be the highest page index
// that has had a page; indexes below top-1 are old. Put makes a page only
// for an index of top-1 or more, so the newest ids are always in pages; a
// Put to an old id whose page is gone writes to far, a Go map. A Put that
// makes a page above top is a page start, one per 128 ids as they run on.
// An old page left with 1 to connFarMax (8) values, by a Delete or by
// becoming old, moves its values to far at the second page start after
// (128 to 256 ids later) if it still holds 1 to 8 then: a page whose
// connections close in id order empties before that, without putting its
// last values through the hash map. A page is freed when its last value
// leaves, and the last page freed is kept for the next new page. So the
// map costs:
//   - at most the pages of top-1 and top;
//   - a page per old index holding more than 8 values, or left with
//     fewer within the last two page starts;
//   - a map entry (25 to 45 bytes for a pointer value) per other value of
//     an old id, in a table of at most four times the entries it holds
//     (a Go map never shrinks its table, so far is made anew when it
//     falls to a quarter of the most it held, and dropped when empty);
//   - one spare page, and 8 bytes per 128 ids for the page index, from
//     the oldest page kept to the newest (the old indexes without a page
//     at its start are dropped at each page start), not from the first
//     id.
//
// A connection left open while the ids run on costs a map entry, not a
// page, in each map that holds it.
//
// Get, Put and Delete of an id whose page exists find it with two indexed
// loads; far is consulted, with a hash probe, only when the page does not
// exist and far is not empty. All walks the values in id order (it sorts
// far's ids once per walk), which makes Finish deterministic. The zero
// value is ready.
type ConnMap[V any] struct {
	// pages[i] is the page of index base+i; the pages below base, old and
	// gone, are dropped from the index at each page start.
	pages []*connPage[V]
	base  int
	// spare is the last page freed, kept for the next new page: a map
	// that holds one value at a time would otherwise allocate a page per
	// Put. An empty page's values and bits are all zero (Delete and
	// moveFar zero them), so it is reused as it is; its listed mark is of
	// an earlier page start than any it can be listed in again.
	spare *connPage[V]
	// far holds the values of old ids that have no page. A page is only
	// made for an index of at least top-1 and top never decreases, so far
	// holds no id whose page exists: an id's value is in its page if the
	// page exists, else in far.
	far map[flow.ConnID]V
	// farPeak is the most values far has held since it was made.
	farPeak int
	// sparse[0] lists the indexes of the old pages left with at most
	// connFarMax values since the last page start, sparse[1] those listed
	// between the two page starts before; the next page start moves the
	// pages in sparse[1] that still hold 1 to connFarMax values to far. A
	// page is listed once per page start at most (connPage.listed), so
	// the lists hold at most the old pages, however often the values of
	// one page go up and down.
	sparse [2][]int
	// starts counts the page starts.
	starts int
	n      int
}

type connPage[V any] struct {
	v   [connPageSize]V
	has [connPageSize / 64]uint64
	n   int
	// listed is the page start (ConnMap.starts) since which the page is
	// in sparse[0], if it is that one.
	listed int
}

// Len returns the number of values.
func (m *ConnMap[V]) Len() int { return m.n }

// Get returns the value of id and whether there is one.
func (m *ConnMap[V]) Get(id flow.ConnID) (v V, ok bool) {
	pi, i := int(id>>connPageBits)-m.base, int(id&(connPageSize-1))
	if uint(pi) < uint(len(m.pages)) {
		if p := m.pages[pi]; p != nil {
			// A page's slots without a value hold the zero value.
			return p.v[i], p.has[i>>6]&(1<<(i&63)) != 0
		}
	}
	if len(m.far) > 0 {
		v, ok = m.far[id]
	}
	return v, ok
}

// Put sets the value of id.
func (m *ConnMap[V]) Put(id flow.ConnID, v V) {
	pi, i := int(id>>connPageBits)-m.base, int(id&(connPageSize-1))
	if uint(pi) < uint(len(m.pages)) {
		if p := m.pages[pi]; p != nil {
			if p.has[i>>6]&(1<<(i&63)) == 0 {
				p.has[i>>6] |= 1 << (i & 63)
				p.n++
				m.n++
			}
			p.v[i] = v
			return
		}
	}
	m.putNoPage(id, v)
}

// putNoPage sets the value of an id that has no page: in far if the id is
// old, else in a new page.
func (m *ConnMap[V]) putNoPage(id flow.ConnID, v V) {
	pi, i := int(id>>connPageBits), int(id&(connPageSize-1))
	top := m.top()
	if pi < top-1 {
		if m.far == nil {
			m.far = make(map[flow.ConnID]V)
		}
		n := len(m.far)
		m.far[id] = v
		m.n += len(m.far) - n
		m.farPeak = max(m.farPeak, len(m.far))
		return
	}
	if pi > top {
		m.startPage(pi)
	}
	if rel := pi - m.base; rel >= len(m.pages) {
		m.pages = append(m.pages, make([]*connPage[V], rel+1-len(m.pages))...)
	}
	p := m.spare
	m.spare = nil
	if p == nil {
		p = &connPage[V]{}
	}
	m.pages[pi-m.base] = p
	p.has[i>>6] |= 1 << (i & 63)
	p.n++
	m.n++
	p.v[i] = v
}

// startPage makes top, higher than m.top(), the highest page index: it
// moves the pages listed in sparse[1] that still hold 1 to connFarMax
// values to far, lists the pages that become old holding at most
// connFarMax values, and drops the old indexes without a page from the
// start of the page index.
func (m *ConnMap[V]) startPage(top int) {
	for _, pi := range m.sparse[1] {
		if p := m.page(pi); p != nil && p.n <= connFarMax {
			m.moveFar(pi, p)
		}
	}
	m.sparse[0], m.sparse[1] = m.sparse[1][:0], m.sparse[0]
	m.starts++
	for pi := max(m.top()-1, 0); pi < top-1; pi++ {
		if p := m.page(pi); p != nil && p.n <= connFarMax {
			m.list(pi, p)
		}
	}
	k := 0
	for k < len(m.pages) && m.pages[k] == nil && m.base+k < top-1 {
		k++
	}
	m.pages, m.base = m.pages[k:], m.base+k
}

// top is the highest page index that has had a page (-1 before the
// first): the page index ends there, as it is extended to each new page
// and only its start is ever cut.
func (m *ConnMap[V]) top() int { return m.base + len(m.pages) - 1 }

// page returns the page of index pi, or nil.
func (m *ConnMap[V]) page(pi int) *connPage[V] {
	if rel := pi - m.base; uint(rel) < uint(len(m.pages)) {
		return m.pages[rel]
	}
	return nil
}

// list puts old page pi, p, in sparse[0] unless it is there already.
func (m *ConnMap[V]) list(pi int, p *connPage[V]) {
	if p.listed != m.starts {
		p.listed = m.starts
		m.sparse[0] = append(m.sparse[0], pi)
	}
}

// moveFar moves the values of page pi, p, to far and frees the page.
func (m *ConnMap[V]) moveFar(pi int, p *connPage[V]) {
	if m.far == nil {
		m.far = make(map[flow.ConnID]V, p.n)
	}
	base := flow.ConnID(pi) << connPageBits
	var zero V
	for w := range p.has {
		for b := p.has[w]; b != 0; b &= b - 1 {
			i := w<<6 | bits.TrailingZeros64(b)
			m.far[base|flow.ConnID(i)] = p.v[i]
			p.v[i] = zero
		}
		p.has[w] = 0
	}
	m.farPeak = max(m.farPeak, len(m.far))
	p.n = 0
	m.pages[pi-m.base] = nil
	m.spare = p
}

// Delete removes the value of id, if any.
func (m *ConnMap[V]) Delete(id flow.ConnID) {
	rel, i := int(id>>connPageBits)-m.base, int(id&(connPageSize-1))
	if uint(rel) < uint(len(m.pages)) {
		if p := m.pages[rel]; p != nil {
			if p.has[i>>6]&(1<<(i&63)) == 0 {
				return
			}
			p.has[i>>6] &^= 1 << (i & 63)
			var zero V
			p.v[i] = zero
			p.n--
			m.n--
			if p.n <= connFarMax {
				m.shrunk(m.base+rel, p)
			}
			return
		}
	}
	if len(m.far) > 0 {
		m.deleteFar(id)
	}
}

// shrunk follows a Delete that left page pi, p, with at most connFarMax
// values: it frees the page if it is empty, or lists it in sparse if it
// is old and has just come down to connFarMax.
func (m *ConnMap[V]) shrunk(pi int, p *connPage[V]) {
	if p.n == 0 {
		m.pages[pi-m.base] = nil
		m.spare = p
	} else if p.n == connFarMax && pi < m.top()-1 {
		m.list(pi, p)
	}
}

// farShrinkMin is the fewest values far must have held before it is made
// anew at a quarter of them: a smaller table costs less than copying it.
const farShrinkMin = 64

// deleteFar removes the value of id from far, if any. A Go map keeps the
// table of the most entries it has held, so when far holds a quarter of
// that it is copied into a table of its size (each copy follows at least
// three deletes per value copied), and an empty far is dropped.
func (m *ConnMap[V]) deleteFar(id flow.ConnID) {
	n := len(m.far)
	delete(m.far, id)
	m.n -= n - len(m.far)
	switch l := len(m.far); {
	case l == 0:
		m.far, m.farPeak = nil, 0
	case l < n && m.farPeak >= farShrinkMin && l <= m.farPeak/4:
		// Not maps.Clone: it copies the table as it is.
		far := make(map[flow.ConnID]V, l)
		for k, v := range m.far {
			far[k] = v
		}
		m.far, m.farPeak = far, l
	}
}

// All yields every id and value in increasing id order. The loop body may
// delete the id it was given.
func (m *ConnMap[V]) All() iter.Seq2[flow.ConnID, V] {
	return func(yield func(flow.ConnID, V) bool) {
		// far's ids, sorted, are merged with the pages' walk; no page
		// holds any of them, and only a Put moves values to far. The body
		// may have deleted a far value by the time its id is reached.
		var far []flow.ConnID
		if len(m.far) > 0 {
			far = make([]flow.ConnID, 0, len(m.far))
			for id := range m.far {
				far = append(far, id)
			}
			slices.Sort(far)
		}
		k := 0
		for pi := 0; pi < len(m.pages); pi++ {
			p := m.pages[pi]
			if p == nil {
				continue
			}
			base := flow.ConnID(m.base+pi) << connPageBits
			for ; k < len(far) && far[k] < base; k++ {
				if v, ok := m.far[far[k]]; ok && !yield(far[k], v) {
					return
				}
			}
			// A Delete in the body clears the id's bit, and all of them
			// if it frees the page.
			for w := range p.has {
				for b := p.has[w]; b != 0; b &= b - 1 {
					if p.has[w]&(b&-b) == 0 {
						continue
					}
					i := w<<6 | bits.TrailingZeros64(b)
					if !yield(base|flow.ConnID(i), p.v[i]) {
						return
					}
				}
			}
		}
		for ; k < len(far); k++ {
			if v, ok := m.far[far[k]]; ok && !yield(far[k], v) {
				return
			}
		}
	}
}

// Clear removes every value.
func (m *ConnMap[V]) Clear() {
	*m = ConnMap[V]{}
}
