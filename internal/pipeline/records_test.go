package pipeline

import (
	"math/rand/v2"
	"sort"
	"testing"

	"connscope/report"
)

// TestSortRecords checks the key sort and one-move permutation against
// sort.SliceStable on lists with repeated keys, including sorted, reversed
// and nearly sorted ones.
func TestSortRecords(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 300 {
		n := rng.IntN(200)
		rep := &report.Report{}
		for i := range n {
			id := uint32(rng.IntN(n/2 + 1))
			switch trial % 3 {
			case 1:
				id = uint32(i)
			case 2:
				id = uint32(n - i)
			}
			if trial%5 == 0 && i > 0 && rng.IntN(4) == 0 {
				id = uint32(i - 1) // nearly sorted
			}
			rep.Connections = append(rep.Connections, report.Connection{ID: id, Client: string(rune('a' + i%26))})
			rep.Transactions = append(rep.Transactions, report.Transaction{Connection: id, Index: rng.IntN(3), Target: string(rune('A' + i%26))})
		}
		want := &report.Report{
			Connections:  append([]report.Connection(nil), rep.Connections...),
			Transactions: append([]report.Transaction(nil), rep.Transactions...),
		}
		sort.SliceStable(want.Connections, func(i, j int) bool { return want.Connections[i].ID < want.Connections[j].ID })
		sort.SliceStable(want.Transactions, func(i, j int) bool {
			a, b := &want.Transactions[i], &want.Transactions[j]
			if a.Connection != b.Connection {
				return a.Connection < b.Connection
			}
			return a.Index < b.Index
		})
		sortRecords(rep)
		for i := range want.Connections {
			if g, w := rep.Connections[i], want.Connections[i]; g.ID != w.ID || g.Client != w.Client {
				t.Fatalf("trial %d: connection %d = %d/%s, want %d/%s", trial, i, g.ID, g.Client, w.ID, w.Client)
			}
		}
		for i := range want.Transactions {
			g, w := &rep.Transactions[i], &want.Transactions[i]
			if g.Connection != w.Connection || g.Index != w.Index || g.Target != w.Target {
				t.Fatalf("trial %d: transaction %d = %d/%d/%s, want %d/%d/%s", trial, i, g.Connection, g.Index, g.Target, w.Connection, w.Index, w.Target)
			}
		}
	}
}
