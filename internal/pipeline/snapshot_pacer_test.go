package pipeline

import (
	"testing"
	"time"
)

// TestSnapshotPacer: a quick snapshot leaves the period as it is; a slow
// one spaces the next so that building snapshots takes a tenth of the time.
func TestSnapshotPacer(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ms := time.Millisecond
	tests := []struct {
		took time.Duration
		next time.Duration // after t0, the start of the snapshot
	}{
		{0, 500 * ms},
		{10 * ms, 500 * ms},
		{50 * ms, 500 * ms}, // 50 + 9·50 = 500: exactly a tenth
		{100 * ms, 1000 * ms},
		{2 * time.Second, 20 * time.Second},
	}
	for _, tc := range tests {
		p := snapshotPacer{every: 500 * ms}
		if !p.due(t0) {
			t.Fatalf("a new pacer has a snapshot due")
		}
		p.took(t0, t0.Add(tc.took))
		if got := p.next.Sub(t0); got != tc.next {
			t.Errorf("snapshot of %v: next after %v, want %v", tc.took, got, tc.next)
		}
		if p.due(t0.Add(tc.next-ms)) || !p.due(t0.Add(tc.next)) {
			t.Errorf("snapshot of %v: due before %v or not at it", tc.took, tc.next)
		}
	}
}
