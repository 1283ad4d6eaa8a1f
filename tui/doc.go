// Package tui is the live terminal UI of connscope: a sortable, filterable
// connection table over report snapshots, with a findings pane, a status
// line, a per-connection detail view and a help screen, drawn with
// tcell/v2.
//
// Inputs: a tcell.Screen and a channel of *report.Report snapshots. Each
// snapshot is immutable: the UI only reads it, and the producer must not
// change a report after sending it. Output: drawing on the screen, nothing
// else.
//
// Concurrency: Run owns the screen and is the only goroutine that draws on
// it; tcell's own event goroutine feeds it key and resize events. The
// producer hands snapshots over a channel of capacity 1 with Offer, a
// non-blocking latest-wins send, so a slow UI never blocks the pipeline and
// a skipped snapshot costs nothing (the next one supersedes it). Closing the
// channel tells the UI that no more snapshots will come (status "done").
//
// Buffer ownership: the UI keeps pointers into the latest snapshot (rows
// hold *report.Connection) and drops them when a newer one arrives; it never
// modifies a snapshot.
//
// Terminal safety: every string that came from a capture goes through
// report.Escape before it is drawn, so no control character, bidi override
// or invalid UTF-8 from the wire reaches the terminal.
//
// Layout and state are kept apart from drawing: Rows, StatusText,
// DetailLines, FindingLines, HelpLines and WrapLines turn a snapshot into
// text and are tested directly; the model type holds the view state and
// handles keys without a screen; draw renders a model on a screen.
//
// Limits: the table and the detail view scroll; the findings pane shows
// what fits and says how many more there are. Redraws are coalesced on a
// ticker (Options.Refresh, 300 ms by default), not done per snapshot, and a
// snapshot is indexed only when it is about to be drawn, so snapshots that
// arrive faster than the screen redraws cost nothing. Cell texts are made
// only for the rows on screen; a filter's search text is built on the first
// keystroke. The filter is capped at 256 bytes.
package tui
