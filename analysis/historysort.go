package analysis

import (
	"cmp"
	"iter"
	"math"
	"slices"
)

// HistoryKey orders the rows of a History in Sorted: by the first value,
// then by the second.
type HistoryKey func(row []int64) (int64, int64)

// Sorted returns the rows of h in increasing order of key, without
// unpacking them all to sort them: the analysers append a connection's row
// when it is reported, so rows come nearly in the order of their times
// (start, close), each at most a linger or a connection's lifetime behind
// the largest time appended before it. A first pass over the packed rows
// measures how far behind each row comes; those more than window behind
// (long-lived connections, a few) are kept aside, unpacked and sorted; a
// second pass holds the others until no row still to come can precede
// them, so it holds only the rows of a window's span of key: the rows that
// come in key order (nine in ten on captures of short connections) in a
// queue, the others in a heap, the least of the two going first. Rows with
// equal keys come in an order that depends only on h. The row slice passed
// on is reused from row to row.
func (h *History) Sorted(key HistoryKey, window int64) iter.Seq[[]int64] {
	return func(yield func([]int64) bool) { h.eachSorted(key, window, yield) }
}

// eachSorted is Sorted's loop; it returns the most rows it held at once.
func (h *History) eachSorted(key HistoryKey, window int64, yield func([]int64) bool) int {
	if h.n == 0 {
		return 0
	}
	// Pass 1: the late rows, and how far behind the others come.
	var late []keyedRow
	var lateAt []int
	var lag int64
	hi, i := int64(math.MinInt64), 0
	h.Each(func(row []int64) {
		k1, k2 := key(row)
		hi = max(hi, k1)
		switch d := behind(hi, k1); {
		case d > window:
			r := keyedRow{k1: k1, k2: k2}
			copy(r.row[:], row)
			late = append(late, r)
			lateAt = append(lateAt, i)
		case d > lag:
			lag = d
		}
		i++
	})
	slices.SortFunc(late, func(a, b keyedRow) int { return a.compare(&b) })

	// Pass 2: the others through the heap, merged with the late ones.
	out := make([]int64, h.width)
	emit := func(r *keyedRow) bool {
		copy(out, r.row[:h.width])
		return yield(out)
	}
	// upTo passes on the late rows that precede r (all when r is nil).
	upTo := func(r *keyedRow) bool {
		for len(late) > 0 && (r == nil || late[0].compare(r) < 0) {
			if !emit(&late[0]) {
				return false
			}
			late = late[1:]
		}
		return true
	}
	var q rowHeap
	var in rowQueue
	held := 0
	// least returns the first key of the least row held and whether it
	// is the queue's (on equal keys, the queue's goes first). Some row
	// must be held.
	least := func() (k1 int64, inQueue bool) {
		if in.len() == 0 {
			return q.keys.Min().k1, false
		}
		r := in.head()
		if q.Len() > 0 {
			if k := q.keys.Min(); k.k1 < r.k1 || k.k1 == r.k1 && k.k2 < r.k2 {
				return k.k1, false
			}
		}
		return r.k1, true
	}
	// take removes the least row held and returns it (valid until the
	// next push).
	take := func() *keyedRow {
		if _, inQueue := least(); inQueue {
			r := in.head()
			in.pop()
			return r
		}
		return q.pop()
	}
	stopped := false
	hi, i = math.MinInt64, 0
	h.Each(func(row []int64) {
		at := i
		i++
		if stopped {
			return
		}
		if len(lateAt) > 0 && lateAt[0] == at {
			lateAt = lateAt[1:]
			return
		}
		k1, k2 := key(row)
		hi = max(hi, k1)
		if in.accepts(k1, k2) {
			in.push(k1, k2, row)
		} else {
			q.push(k1, k2, row)
		}
		held = max(held, in.len()+q.Len())
		for in.len()+q.Len() > 0 {
			if k1, _ := least(); behind(hi, k1) <= lag {
				break
			}
			r := take()
			if !upTo(r) || !emit(r) {
				stopped = true
				return
			}
		}
	})
	for !stopped && in.len()+q.Len() > 0 {
		r := take()
		if !upTo(r) || !emit(r) {
			stopped = true
		}
	}
	if !stopped {
		upTo(nil)
	}
	return held
}

// rowQueue holds rows that came in key order, first in first out, in a
// ring that doubles when full (so at most twice the most rows held).
type rowQueue struct {
	ring []keyedRow // len is a power of two, or 0
	at   int        // the first row held
	n    int        // rows held
}

func (f *rowQueue) len() int { return f.n }

// accepts reports whether a row of key (k1, k2) keeps the queue in order:
// it is empty, or the key is not less than its last row's.
func (f *rowQueue) accepts(k1, k2 int64) bool {
	if f.n == 0 {
		return true
	}
	l := &f.ring[(f.at+f.n-1)&(len(f.ring)-1)]
	return k1 > l.k1 || k1 == l.k1 && k2 >= l.k2
}

func (f *rowQueue) push(k1, k2 int64, row []int64) {
	if f.n == len(f.ring) {
		ring := make([]keyedRow, max(64, 2*len(f.ring)))
		k := copy(ring, f.ring[f.at:])
		copy(ring[k:], f.ring[:f.at])
		f.ring, f.at = ring, 0
	}
	r := &f.ring[(f.at+f.n)&(len(f.ring)-1)]
	r.k1, r.k2 = k1, k2
	copy(r.row[:], row)
	f.n++
}

func (f *rowQueue) head() *keyedRow { return &f.ring[f.at] }

// pop drops the first row; the pointer head returned stays valid until
// the next push.
func (f *rowQueue) pop() {
	f.at = (f.at + 1) & (len(f.ring) - 1)
	f.n--
}

// behind is hi - k, saturated (keys may be any int64).
func behind(hi, k int64) int64 {
	d := hi - k
	if d < 0 { // wrapped: hi - k > MaxInt64
		return math.MaxInt64
	}
	return d
}

// keyedRow is a row with its key.
type keyedRow struct {
	k1, k2 int64
	row    [MaxHistoryWidth]int64
}

func (r *keyedRow) compare(o *keyedRow) int {
	if c := cmp.Compare(r.k1, o.k1); c != 0 {
		return c
	}
	return cmp.Compare(r.k2, o.k2)
}

// rowHeap holds rows by key: the rows in a slab (freed slots reused),
// their keys and slots in a Heap.
type rowHeap struct {
	rows [][MaxHistoryWidth]int64
	free []int32
	keys Heap[heapKey]
	out  keyedRow
}

// heapKey is a row's key and its slot in the slab.
type heapKey struct {
	k1, k2 int64
	slot   int32
}

// Less orders keys by the first value, then the second.
func (a heapKey) Less(b heapKey) bool { return a.k1 < b.k1 || a.k1 == b.k1 && a.k2 < b.k2 }

func (q *rowHeap) Len() int { return q.keys.Len() }

func (q *rowHeap) push(k1, k2 int64, row []int64) {
	var s int32
	if n := len(q.free); n > 0 {
		s = q.free[n-1]
		q.free = q.free[:n-1]
	} else {
		s = int32(len(q.rows))
		q.rows = append(q.rows, [MaxHistoryWidth]int64{})
	}
	copy(q.rows[s][:], row)
	q.keys.Push(heapKey{k1, k2, s})
}

// pop removes the least row and returns it (valid until the next pop).
func (q *rowHeap) pop() *keyedRow {
	k := q.keys.Pop()
	q.out = keyedRow{k1: k.k1, k2: k.k2, row: q.rows[k.slot]}
	q.free = append(q.free, k.slot)
	return &q.out
}
