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
	times  Queue[flow.Time]
	best   int
	at     flow.Time
}

// Add counts a time.
func (w *WindowPeak) Add(t flow.Time) {
	for w.times.Len() > 0 && t.Sub(w.times.Front()) >= w.Window {
		w.times.Pop()
	}
	w.times.Push(t)
	if n := w.times.Len(); n > w.best {
		w.best, w.at = n, w.times.Front()
	}
}

// Max returns the most times in one window so far.
func (w *WindowPeak) Max() int { return w.best }

// At returns the first time of the first window holding Max times.
func (w *WindowPeak) At() flow.Time { return w.at }
