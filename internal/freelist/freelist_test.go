package freelist

import (
	"slices"
	"testing"
)

func TestTakeGive(t *testing.T) {
	var l List[*int]
	if x, ok := l.Take(); ok || x != nil {
		t.Fatalf("empty list gave %v, %v", x, ok)
	}
	a, b := new(int), new(int)
	l.Give(a)
	l.Give(b)
	if x, _ := l.Take(); x != b {
		t.Errorf("Take did not return the last value given")
	}
	if x, _ := l.Take(); x != a {
		t.Errorf("Take did not return the first value given second")
	}
	if _, ok := l.Take(); ok {
		t.Errorf("Take found a value in a drained list")
	}
}

func TestCap(t *testing.T) {
	var l List[int]
	for i := range DefaultMax + 5 {
		if kept := l.Give(i); kept != (i < DefaultMax) {
			t.Fatalf("Give(%d) kept=%v with %d held", i, kept, l.Len())
		}
	}
	if l.Len() != DefaultMax {
		t.Errorf("holds %d, want DefaultMax %d", l.Len(), DefaultMax)
	}
	s := List[int]{Max: 3}
	for i := range 10 {
		if s.Full() != (i >= 3) {
			t.Errorf("Max 3 list holding %d: Full() = %v", s.Len(), s.Full())
		}
		s.Give(i)
	}
	if s.Len() != 3 {
		t.Errorf("Max 3 list holds %d", s.Len())
	}
}

// held returns the values l holds, oldest first.
func held(l *List[int]) []int { return slices.Clone(l.free) }

// TestTrimAfterLull: a lull leaves values behind that steady demand never
// draws on; each period drops half of them, the oldest first, until the
// list holds no more than the demand.
func TestTrimAfterLull(t *testing.T) {
	var l List[int]
	for i := range 1000 {
		l.Give(i) // the lull: 1000 released values
	}
	// Steady demand: take 10, give 10 back, so the list never goes below 990.
	cycle := func() {
		var got [10]int
		for i := range got {
			got[i], _ = l.Take()
		}
		for i := len(got) - 1; i >= 0; i-- {
			l.Give(got[i])
		}
	}
	// The first period began with the list empty: its trim drops nothing.
	for range Period/10 + 1 {
		cycle()
	}
	if l.Len() != 1000 {
		t.Fatalf("after the first trim the list holds %d, want 1000", l.Len())
	}
	// The second period never went below 990: its trim drops half of them,
	// 495, the oldest values (0..494).
	for range Period / 10 {
		cycle()
	}
	h := held(&l)
	if len(h) != 505 {
		t.Fatalf("after the second trim the list holds %d, want 505", len(h))
	}
	if h[0] != 495 || h[len(h)-1] != 999 {
		t.Errorf("after the second trim the list holds %d..%d, want the newest 495..999", h[0], h[len(h)-1])
	}
	// It keeps halving the unused part, never below the 10 drawn on.
	for range 20 * Period / 10 {
		cycle()
	}
	if n := l.Len(); n < 10 || n > 20 {
		t.Errorf("after 20 periods of a demand of 10 the list holds %d, want 10..20", n)
	}
}

// TestTrimKeepsWhatIsUsed: a list drained in every period keeps all it
// holds, however many periods pass.
func TestTrimKeepsWhatIsUsed(t *testing.T) {
	var l List[int]
	for i := range 500 {
		l.Give(i)
	}
	for range 4 * Period / 500 {
		var got []int
		for range 500 {
			x, ok := l.Take()
			if !ok {
				t.Fatalf("drained early: %d held", l.Len())
			}
			got = append(got, x)
		}
		for _, x := range got {
			l.Give(x)
		}
	}
	if l.Len() != 500 {
		t.Errorf("list drained every period holds %d, want all 500", l.Len())
	}
}
