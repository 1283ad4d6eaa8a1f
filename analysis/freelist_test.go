package analysis

import "testing"

func TestFreeList(t *testing.T) {
	type state struct {
		n    int
		tags []string
	}
	var l FreeList[state]
	a := l.Get()
	a.n, a.tags = 7, []string{"kept"}
	handed := a.tags
	l.Put(a)
	if handed[0] != "kept" {
		t.Errorf("Put cleared data handed out through a slice: %q", handed)
	}
	b := l.Get()
	if b != a {
		t.Errorf("Get did not reuse the released state")
	}
	if b.n != 0 || b.tags != nil {
		t.Errorf("reused state not zeroed: %+v", *b)
	}
	if c := l.Get(); c == b {
		t.Errorf("Get handed out a state that is in use")
	}
	for i := 0; i < FreeListCap+10; i++ {
		l.Put(&state{})
	}
	if l.free.Len() != FreeListCap {
		t.Errorf("free list holds %d states, want the cap %d", l.free.Len(), FreeListCap)
	}
	l.Put(nil)
	if l.free.Len() != FreeListCap {
		t.Errorf("Put(nil) changed the free list")
	}
}
