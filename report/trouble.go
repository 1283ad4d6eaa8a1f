package report

import (
	"cmp"
	"slices"
)

// troubled is one connection with what ranks it among the troubled ones.
type troubled struct {
	c *Connection
	// worst is the best (lowest) severityRank of its findings, 4 without.
	worst int
	// findings sums the counts of its findings.
	findings int
	// retrans counts retransmitted segments in both directions.
	retrans uint64
	// stalls counts gaps of 20 ms or more in its series (0 without one).
	stalls int
	// kinds are its distinct finding kinds, sorted.
	kinds []string
}

// stallGapUS is the gap between consecutive packets of a series counted as
// a stall (the Linux delayed-ACK minimum is 40 ms).
const stallGapUS = 20_000

// rankTrouble returns r's connections most troubled first: by worst finding
// severity, then finding occurrences, retransmissions and other TCP
// trouble, series stalls, duration, and the lower id. r must be normalised.
func rankTrouble(r *Report) []troubled {
	out := make([]troubled, len(r.Connections))
	byConn := connFindings(r)
	for i := range r.Connections {
		c := &r.Connections[i]
		t := troubled{c: c, worst: 4, retrans: retrans(c)}
		for _, fi := range byConn[c.ID] {
			if fi < 0 || fi >= len(r.Findings) {
				continue
			}
			f := &r.Findings[fi]
			t.worst = min(t.worst, severityRank(f.Severity))
			t.findings += max(f.Count, 1)
			if !slices.Contains(t.kinds, f.Kind) {
				t.kinds = append(t.kinds, f.Kind)
			}
		}
		slices.Sort(t.kinds)
		tcp := &c.TCP
		t.retrans += tcp.OutOfOrder.ClientToServer + tcp.OutOfOrder.ServerToClient +
			tcp.ZeroWindowEvents.ClientToServer + tcp.ZeroWindowEvents.ServerToClient
		if c.Close.Kind == "rst" {
			t.retrans++
		}
		if s := c.Series; s != nil {
			for k := 1; k < len(s.Points); k++ {
				if s.Points[k].TRelUS-s.Points[k-1].TRelUS >= stallGapUS {
					t.stalls++
				}
			}
		}
		out[i] = t
	}
	slices.SortStableFunc(out, func(a, b troubled) int {
		if c := cmp.Compare(a.worst, b.worst); c != 0 {
			return c
		}
		if c := cmp.Compare(b.findings, a.findings); c != 0 {
			return c
		}
		if c := cmp.Compare(b.retrans, a.retrans); c != 0 {
			return c
		}
		if c := cmp.Compare(b.stalls, a.stalls); c != 0 {
			return c
		}
		if c := cmp.Compare(b.c.DurationUS, a.c.DurationUS); c != 0 {
			return c
		}
		return cmpUint32(a.c.ID, b.c.ID)
	})
	return out
}

// connFindings returns the indexes of each connection's findings: those its
// record links and those that name it, sorted and without repeats.
func connFindings(r *Report) map[uint32][]int {
	out := map[uint32][]int{}
	for i := range r.Connections {
		c := &r.Connections[i]
		for _, fi := range c.Findings {
			if fi >= 0 && fi < len(r.Findings) {
				out[c.ID] = append(out[c.ID], fi)
			}
		}
	}
	for i := range r.Findings {
		if id := r.Findings[i].Connection; id != nil {
			out[*id] = append(out[*id], i)
		}
	}
	for id, l := range out {
		slices.Sort(l)
		out[id] = slices.Compact(l)
	}
	return out
}
