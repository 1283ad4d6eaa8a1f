package analysis

import (
	"time"

	"connscope/flow"
)

// WindowPeak finds the most times falling in any window of length Window
// (half-open: a time Window after another is outside its window), given
// the times in increasing order (Add), and where the first such window
// starts. It keeps the times of one window.
type WindowPeak struct {
	Window time.Duration
	times  []flow.Time
	head   int
	best   int
	at     flow.Time
}

// Add counts a time.
func (w *WindowPeak) Add(t flow.Time) {
	for w.head < len(w.times) && t.Sub(w.times[w.head]) >= w.Window {
		w.head++
	}
	if w.head > 0 && w.head >= len(w.times)/2 {
		w.times = append(w.times[:0], w.times[w.head:]...)
		w.head = 0
	}
	w.times = append(w.times, t)
	if n := len(w.times) - w.head; n > w.best {
		w.best, w.at = n, w.times[w.head]
	}
}

// Max returns the most times in one window so far.
func (w *WindowPeak) Max() int { return w.best }

// At returns the first time of the first window holding Max times.
func (w *WindowPeak) At() flow.Time { return w.at }
