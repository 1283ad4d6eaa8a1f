package timewait

import (
	"testing"

	"connscope/analysis"
	"connscope/flow"
)

// TestConnRow: a conn comes back from its history row as it was, for every
// holder, with and without a SYN, closing before or after it started.
func TestConnRow(t *testing.T) {
	base := flow.Time(1_700_000_000_000_000_000)
	for h := holderUnset; h <= holderOther; h++ {
		for _, syn := range []bool{false, true} {
			for _, d := range []flow.Time{0, 5_000_000, -7} {
				c := conn{id: 42, start: base, closeAt: base + d, port: 65535, hasSYN: syn, holder: h}
				var hist analysis.History
				hist.Append(c.row())
				hist.Each(func(row []int64) {
					if got := connOf(row); got != c {
						t.Errorf("%+v came back as %+v", c, got)
					}
				})
			}
		}
	}
}
