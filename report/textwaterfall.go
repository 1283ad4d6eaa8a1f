package report

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Size of the text waterfall.
const (
	// textWaterfallCols is the width of the time axis in characters.
	textWaterfallCols = 60
	// textWaterfallRows caps the connections drawn (also capped by
	// TextOptions.MaxConnections).
	textWaterfallRows = 10
)

// Phase characters of the text waterfall, in drawing order (later ones
// overwrite earlier ones in a shared column).
const (
	wfCharOpen    = '-'
	wfCharDNS     = 'd'
	wfCharConnect = 'c'
	wfCharSend    = 's'
	wfCharWait    = 'w'
	wfCharReceive = 'r'
)

// waterfall writes a compact waterfall of the most troubled connections:
// one line per connection, in start order, over a shared time axis, with
// the connection's lifetime as '-', its DNS lookup, connect and each
// transaction's send, wait and receive phases as letters, and its close as
// '|' (FIN), 'x' (RST) or '>' (still open).
func (t *textWriter) waterfall() {
	r := t.r
	rank := rankTrouble(r)
	n := min(len(rank), t.o.MaxConnections, textWaterfallRows)
	if n == 0 || !t.hasStart {
		return
	}
	type span struct{ lo, hi int64 }
	rel := func(at string) (int64, bool) {
		tm, ok := ParseTime(at)
		if !ok {
			return 0, false
		}
		return tm.Sub(t.start).Microseconds(), true
	}
	sel := slices.Clone(rank[:n])
	starts := make(map[uint32]int64, n)
	lo, hi := int64(0), int64(0)
	first := true
	see := func(v int64) {
		if first {
			lo, hi, first = v, v, false
			return
		}
		lo, hi = min(lo, v), max(hi, v)
	}
	txs := map[uint32][]*Transaction{}
	for i := range r.Transactions {
		tx := &r.Transactions[i]
		txs[tx.Connection] = append(txs[tx.Connection], tx)
	}
	for _, tr := range sel {
		c := tr.c
		s, ok := rel(c.Start)
		if !ok {
			continue
		}
		starts[c.ID] = s
		see(s)
		if c.DNS != nil && c.DNS.LookupUS > 0 {
			see(s - c.DNS.LookupUS)
		}
		if e, ok := rel(c.End); ok {
			see(e)
		}
		for _, tx := range txs[c.ID] {
			if ts, ok := rel(tx.RequestStart); ok {
				see(ts + tx.TimingsUS.Send + tx.TimingsUS.Wait + tx.TimingsUS.Receive)
			}
		}
	}
	if first {
		return
	}
	slices.SortStableFunc(sel, func(a, b troubled) int {
		if c := cmp.Compare(starts[a.c.ID], starts[b.c.ID]); c != 0 {
			return c
		}
		return cmpUint32(a.c.ID, b.c.ID)
	})
	width := max(hi-lo, 1)
	per := float64(width) / textWaterfallCols
	col := func(us int64) int {
		return min(max(int(float64(us-lo)/per), 0), textWaterfallCols-1)
	}
	fill := func(row []byte, from, dur int64, ch byte) {
		a := col(from)
		b := col(from + max(dur, 0))
		for i := a; i <= b; i++ {
			row[i] = ch
		}
	}
	t.printf("\nWATERFALL  %d of %d connections (most troubled, in start order); one column = %s, from %s\n",
		n, len(rank), FormatMicros(max(int64(per), 1)), t.offset(FormatTime(t.start.UnixNano()+lo*1000)))
	t.printf("  d dns  c connect  s send  w wait  r receive  - open  | fin  x rst  > open at end\n")
	idw := 1
	for _, tr := range sel {
		idw = max(idw, len(fmt.Sprint(tr.c.ID)))
	}
	for _, tr := range sel {
		c := tr.c
		row := []byte(strings.Repeat(" ", textWaterfallCols))
		s, ok := starts[c.ID]
		if ok {
			e, okE := rel(c.End)
			if !okE || e < s {
				e = s
			}
			fill(row, s, e-s, wfCharOpen)
			if c.DNS != nil && c.DNS.LookupUS > 0 {
				fill(row, s-c.DNS.LookupUS, c.DNS.LookupUS, wfCharDNS)
			}
			if c.Handshake.RTTUS > 0 {
				fill(row, s, c.Handshake.RTTUS, wfCharConnect)
			}
			for _, tx := range txs[c.ID] {
				ts, ok := rel(tx.RequestStart)
				if !ok {
					continue
				}
				tm := tx.TimingsUS
				if tm.Send > 0 || (tm.Wait == 0 && tm.Receive == 0) {
					fill(row, ts, tm.Send, wfCharSend)
				}
				if tm.Wait > 0 {
					fill(row, ts+tm.Send, tm.Wait, wfCharWait)
				}
				if tm.Receive > 0 {
					fill(row, ts+tm.Send+tm.Wait, tm.Receive, wfCharReceive)
				}
			}
			end := byte('>')
			switch c.Close.Kind {
			case "fin":
				end = '|'
			case "rst":
				end = 'x'
			}
			if okE {
				row[col(e)] = end
			}
		}
		notes := escapeJoin(tr.kinds, ", ")
		if notes == "" {
			notes = FormatMicros(c.DurationUS)
		}
		t.printf("  %*d [%s] %s\n", idw, c.ID, row, notes)
	}
}
