package analysis

import "connscope/internal/freelist"

// FreeListCap is the most released states a FreeList keeps for reuse: a
// burst of closes does not keep its peak allocation alive afterwards.
const FreeListCap = freelist.DefaultMax

// FreeList recycles an analyser's per-connection states. A capture of
// short connections opens and closes tens of thousands of them per second;
// reusing the struct of a closed connection instead of allocating a new one
// takes that churn off the garbage collector. Put zeroes the state, so a
// reused one is indistinguishable from a new one; a state type with a
// Recycle method is reset by that method instead, which may keep the
// capacity of small internal buffers (and nothing else). The zero value is
// ready.
//
// Whoever calls Put must hold the only reference to x: nothing (a
// finding, a map, another state) may point into it afterwards. Fields that
// are slices or maps are dropped by the zeroing, not cleared, so data
// already handed out through them stays intact.
//
// It keeps no more than recent demand needs (see package freelist): the
// states a lull of connections leaves behind are let go.
type FreeList[T any] struct {
	free freelist.List[*T]
}

// Get returns a zeroed state, reused when one is free.
func (l *FreeList[T]) Get() *T {
	if x, ok := l.free.Take(); ok {
		return x
	}
	return new(T)
}

// Recycler is a state that knows how to reset itself for reuse.
type Recycler interface{ Recycle() }

// Put resets x (Recycle, or zeroing) and keeps it for a later Get (up to
// FreeListCap states).
func (l *FreeList[T]) Put(x *T) {
	if x == nil {
		return
	}
	if r, ok := any(x).(Recycler); ok {
		r.Recycle()
	} else {
		var zero T
		*x = zero
	}
	l.free.Give(x)
}
