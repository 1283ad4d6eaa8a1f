// Package freelist keeps released per-connection states for reuse, as many
// as recent demand needs.
//
// A capture of short connections opens and closes thousands of connections
// a second, and the number held at once follows the connection rate of the
// last second or so (each is held through its linger after the close). Reusing the states of closed
// connections takes that churn off the garbage collector. A plain capped
// list, though, keeps the states of its deepest trough for the rest of the
// run: a lull of a second leaves thousands of released states behind, live
// to the collector, which then lets the heap grow to twice them. A List
// forgets what was not drawn on: every Period takes it drops half of the
// fewest states it held during the period (the oldest first), so the states
// a lull left behind are gone after a few periods while the ones reused
// every period stay. It depends only on the order of calls, never on time.
package freelist
