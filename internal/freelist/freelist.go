package freelist

// Period is the number of Take calls between two trims.
const Period = 8192

// List is a stack of released values with a cap and the trimming above.
// The zero value holds no more than DefaultMax values; set Max before use
// for another cap.
type List[E any] struct {
	// Max caps the values kept; 0 means DefaultMax.
	Max   int
	free  []E
	low   int // fewest values held since the last trim
	takes int // Take calls since the last trim
}

// DefaultMax is the cap of a List whose Max is 0.
const DefaultMax = 1024

// Take returns the most recently released value, or false when none is
// held.
func (l *List[E]) Take() (E, bool) {
	if l.takes++; l.takes >= Period {
		l.trim()
	}
	var zero E
	n := len(l.free)
	if n == 0 {
		return zero, false // low is 0 already, since the trim or the Take that emptied the list
	}
	x := l.free[n-1]
	l.free[n-1] = zero
	l.free = l.free[:n-1]
	l.low = min(l.low, n-1)
	return x, true
}

// Give keeps x for a later Take, unless the list is full; it reports
// whether x was kept.
func (l *List[E]) Give(x E) bool {
	if l.Full() {
		return false
	}
	l.free = append(l.free, x)
	return true
}

// Full reports whether the list holds its cap, so that Give would drop
// its value: a caller can skip resetting a value that would not be kept.
func (l *List[E]) Full() bool {
	max := l.Max
	if max <= 0 {
		max = DefaultMax
	}
	return len(l.free) >= max
}

// Len is the number of values held.
func (l *List[E]) Len() int { return len(l.free) }

// trim drops half of the fewest values held since the last trim, oldest
// first: none of them was needed during the period.
func (l *List[E]) trim() {
	if drop := l.low / 2; drop > 0 {
		n := copy(l.free, l.free[drop:])
		clear(l.free[n:])
		l.free = l.free[:n]
	}
	l.takes, l.low = 0, len(l.free)
}
