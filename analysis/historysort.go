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
// second pass puts the others through a heap that lets a row go as soon
// as no row still to come can precede it, so it holds only the rows of a
// window's span of key. Rows with equal keys come in an order that depends
// only on h. The row slice passed on is reused from row to row.
func (h *History) Sorted(key HistoryKey, window int64) iter.Seq[[]int64] {
	return func(yield func([]int64) bool) { h.eachSorted(key, window, yield) }
}

// eachSorted is Sorted's loop; it returns the most rows the heap held.
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
		q.push(k1, k2, row)
		for q.Len() > 0 && behind(hi, q.keys.Min().k1) > lag {
			r := q.pop()
			if !upTo(r) || !emit(r) {
				stopped = true
				return
			}
		}
	})
	for !stopped && q.Len() > 0 {
		r := q.pop()
		if !upTo(r) || !emit(r) {
			stopped = true
		}
	}
	if !stopped {
		upTo(nil)
	}
	return len(q.rows)
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
