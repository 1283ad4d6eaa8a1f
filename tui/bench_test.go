package tui

import (
	"fmt"
	"testing"

	"github.com/gdamore/tcell/v2"

	"connscope/report"
)

// bigReport is a snapshot of n HTTP connections with two requests each.
func bigReport(n int) *report.Report {
	rep := fixture()
	rep.Connections = make([]report.Connection, n)
	rep.Transactions = make([]report.Transaction, 0, 2*n)
	for i := range rep.Connections {
		id := uint32(i + 1)
		rep.Connections[i] = report.Connection{
			ID: id, Transport: "tcp", Protocol: "http/1.1",
			Client:  fmt.Sprintf("10.%d.%d.%d:%d", i>>16&255, i>>8&255, i&255, 32768+i%28000),
			Server:  "192.0.2.2:80",
			Close:   report.Close{Kind: "fin", Initiator: "client"},
			HTTP:    &report.ConnHTTP{Requests: 2},
			TCP:     report.ConnTCP{RTTUS: &report.RTT{P50: int64(i % 5000), Samples: 1}},
			Payload: report.DirCounts{ClientToServer: uint64(i), ServerToClient: uint64(3 * i)},
		}
		for k := 0; k < 2; k++ {
			rep.Transactions = append(rep.Transactions, report.Transaction{Connection: id, Index: k, Method: "GET", Target: fmt.Sprintf("/item/%d", i)})
		}
	}
	return rep
}

// BenchmarkSnapshot is the per-snapshot cost: index a 100k-connection
// report and list it sorted by RTT.
func BenchmarkSnapshot(b *testing.B) {
	rep := bigReport(100_000)
	b.ReportAllocs()
	for b.Loop() {
		ix := newIndex(rep)
		_ = ix.filtered("", Sort{Col: ColRTT, Desc: true})
	}
}

// BenchmarkFilter is the cost of one keystroke in the filter box on a
// 100k-connection snapshot.
func BenchmarkFilter(b *testing.B) {
	ix := newIndex(bigReport(100_000))
	b.ReportAllocs()
	for b.Loop() {
		_ = ix.filtered("/item/999", Sort{})
	}
}

// BenchmarkDraw is one redraw of a 200×50 screen over a 100k-connection
// snapshot whose rows are already built.
func BenchmarkDraw(b *testing.B) {
	scr := tcell.NewSimulationScreen("UTF-8")
	if err := scr.Init(); err != nil {
		b.Fatal(err)
	}
	defer scr.Fini()
	scr.SetSize(200, 50)
	m := newModel(ModeLive)
	m.setSnapshot(bigReport(100_000))
	draw(scr, m)
	b.ReportAllocs()
	for b.Loop() {
		draw(scr, m)
	}
}
