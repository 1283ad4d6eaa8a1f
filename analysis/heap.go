package analysis

// Ordered is a value that a Heap orders by its Less method.
type Ordered[T any] interface {
	Less(T) bool
}

// Heap is a binary min-heap: Pop returns the least value by Less. The
// analysers judging per-peer histories in order of time keep what is
// still to come (closes, ends of intervals) in one. The zero value is
// ready.
type Heap[T Ordered[T]] struct {
	items []T
}

// Len returns the number of values.
func (h *Heap[T]) Len() int { return len(h.items) }

// Min returns the least value; the heap must not be empty.
func (h *Heap[T]) Min() T { return h.items[0] }

// Push adds x.
func (h *Heap[T]) Push(x T) {
	h.items = append(h.items, x)
	q := h.items
	for i := len(q) - 1; i > 0; {
		p := (i - 1) / 2
		if !q[i].Less(q[p]) {
			break
		}
		q[i], q[p] = q[p], q[i]
		i = p
	}
}

// Pop removes and returns the least value; the heap must not be empty.
func (h *Heap[T]) Pop() T {
	q := h.items
	x := q[0]
	n := len(q) - 1
	q[0] = q[n]
	var zero T
	q[n] = zero
	q = q[:n]
	for i := 0; ; {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && q[r].Less(q[l]) {
			m = r
		}
		if !q[m].Less(q[i]) {
			break
		}
		q[i], q[m] = q[m], q[i]
		i = m
	}
	h.items = q
	return x
}

// Queue is a first-in first-out list in a slice that it compacts as it
// empties, so a long run of pushes and pops keeps only what is queued.
// The zero value is ready.
type Queue[T any] struct {
	items []T
	head  int
}

// Len returns the number of values queued.
func (q *Queue[T]) Len() int { return len(q.items) - q.head }

// Front returns the oldest value; the queue must not be empty.
func (q *Queue[T]) Front() T { return q.items[q.head] }

// Push adds x at the back.
func (q *Queue[T]) Push(x T) {
	if q.head > 0 && q.head >= len(q.items)/2 {
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items, q.head = q.items[:n], 0
	}
	q.items = append(q.items, x)
}

// Pop removes and returns the oldest value; the queue must not be empty.
func (q *Queue[T]) Pop() T {
	x := q.items[q.head]
	q.head++
	return x
}
