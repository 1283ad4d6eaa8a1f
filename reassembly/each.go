package reassembly

import (
	"cmp"
	"slices"
)

// EachOpen calls fn for every connection the tracker holds that has been
// announced with ConnOpened (open, or closed and still lingering), in
// ConnID order, so that a caller can describe the state so far (a live
// snapshot). fn must not retain c after it returns nor call the Tracker.
// EachOpen changes nothing.
func (t *Tracker) EachOpen(fn func(c *Conn)) {
	conns := make([]*Conn, 0, len(t.table))
	for _, c := range t.table {
		if c.t.opened {
			conns = append(conns, c)
		}
	}
	slices.SortFunc(conns, func(a, b *Conn) int { return cmp.Compare(a.ID, b.ID) })
	for _, c := range conns {
		fn(c)
	}
}

// Closing reports whether c has closed (FIN both ways or a reset) and is
// only lingering in the table before ConnClosed.
func (c *Conn) Closing() bool { return c.t.closed }

// Stream returns what the Sink's ConnOpened returned for c (nil before the
// connection is opened, or when it returned nil).
func (c *Conn) Stream() Stream { return c.t.stream }
