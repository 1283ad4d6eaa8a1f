package tui

import (
	"context"
	"fmt"
	"time"

	"github.com/gdamore/tcell/v2"

	"connscope/report"
)

// DefaultRefresh is the redraw period when Options.Refresh is zero.
const DefaultRefresh = 300 * time.Millisecond

// Options configure Run.
type Options struct {
	// Mode is shown in the status line (live or replay) until the snapshot
	// channel is closed.
	Mode Mode
	// Refresh is how often a new snapshot is drawn; snapshots arriving
	// faster are coalesced. Zero means DefaultRefresh.
	Refresh time.Duration
}

// NewUpdates returns a snapshot channel for Run: capacity 1, to be fed with
// Offer.
func NewUpdates() chan *report.Report { return make(chan *report.Report, 1) }

// Offer hands rep to the UI without blocking: when the channel (of capacity
// 1, from NewUpdates) still holds an older snapshot the UI has not taken,
// that one is dropped and rep takes its place, so the UI always gets the
// latest. Offer must be called from a single producer goroutine, and rep
// must not be modified afterwards. It reports whether rep was queued (false
// only if a concurrent receiver emptied and another sender refilled the
// channel in between, which a single producer rules out).
func Offer(ch chan *report.Report, rep *report.Report) bool {
	select {
	case ch <- rep:
		return true
	default:
	}
	select {
	case <-ch: // drop the stale snapshot
	default:
	}
	select {
	case ch <- rep:
		return true
	default:
		return false
	}
}

// Run shows snapshots from updates on screen until the user quits (q or
// Ctrl-C) or ctx is cancelled, and returns nil then. It initialises the
// screen and finalises it before returning; it is the only goroutine that
// draws on it.
//
// Run never blocks the producer: it takes snapshots as they come and
// redraws on a ticker (Options.Refresh) when one arrived since the last
// draw, and at once on a key or resize. The producer sends with Offer
// (latest wins) and closes updates when no more snapshots will come; the
// UI then says "done" and keeps showing the last snapshot until the user
// quits. A nil updates channel is allowed and never delivers.
func Run(ctx context.Context, screen tcell.Screen, updates <-chan *report.Report, opts Options) error {
	if err := screen.Init(); err != nil {
		return fmt.Errorf("tui: initialise terminal: %w", err)
	}
	defer screen.Fini()
	if opts.Refresh <= 0 {
		opts.Refresh = DefaultRefresh
	}
	events := make(chan tcell.Event, 32)
	quit := make(chan struct{})
	defer close(quit)
	go screen.ChannelEvents(events, quit)

	m := newModel(opts.Mode)
	ticker := time.NewTicker(opts.Refresh)
	defer ticker.Stop()
	draw(screen, m)
	dirty := false
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-events:
			if !ok {
				return nil
			}
			switch ev := ev.(type) {
			case *tcell.EventResize:
				screen.Sync()
			case *tcell.EventKey:
				if m.handleKey(ev) {
					return nil
				}
			default:
				continue
			}
			draw(screen, m)
			dirty = false
		case rep, ok := <-updates:
			if !ok {
				updates = nil
				m.setDone()
			} else if rep != nil {
				m.setSnapshot(rep)
			}
			dirty = true
		case <-ticker.C:
			if dirty {
				draw(screen, m)
				dirty = false
			}
		}
	}
}
