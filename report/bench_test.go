package report_test

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"connscope/report"
)

// benchReport is a report of n connections with two transactions and one
// finding each.
func benchReport(n int) *report.Report {
	r := &report.Report{}
	for i := range n {
		id := uint32(n - i)
		r.Connections = append(r.Connections, report.Connection{
			ID: id, Client: fmt.Sprintf("10.0.%d.%d:%d", i/250%250, i%250, 40000+i%20000), Server: "192.0.2.1:80",
			Start: report.FormatTime(int64(i) * 1e6), End: report.FormatTime(int64(i)*1e6 + 5e8),
			DurationUS: 500_000, Findings: []int{i},
		})
		for k := range 2 {
			r.Transactions = append(r.Transactions, report.Transaction{
				Connection: id, Index: k, Method: "GET", Target: "/api/v1/items?page=" + fmt.Sprint(k),
				Host: "example.test", RequestStart: report.FormatTime(int64(i)*1e6 + int64(k)*1e5),
			})
		}
		r.Findings = append(r.Findings, report.Finding{Kind: "tcp_reset", Severity: "warning", Connection: &id,
			Count: 1, Evidence: map[string]any{"bytes": i}})
	}
	return r
}

func BenchmarkWriters(b *testing.B) {
	r := benchReport(10_000)
	for _, w := range []struct {
		name string
		f    func(io.Writer) error
	}{
		{"json", func(w io.Writer) error { return report.WriteJSON(w, r) }},
		{"ndjson", func(w io.Writer) error { return report.WriteNDJSON(w, r) }},
		{"har", func(w io.Writer) error { return report.WriteHAR(w, r) }},
		{"text", func(w io.Writer) error { return report.WriteText(w, r, report.TextOptions{}) }},
	} {
		b.Run(w.name+"/10k_conns", func(b *testing.B) {
			for b.Loop() {
				if err := w.f(io.Discard); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkEscape(b *testing.B) {
	clean := strings.Repeat("GET /a/b?c=d ", 10)
	dirty := strings.Repeat("GET /a\x1b[2J?\u009b ", 10)
	b.Run("clean", func(b *testing.B) {
		for b.Loop() {
			_ = report.Escape(clean)
		}
	})
	b.Run("dirty", func(b *testing.B) {
		for b.Loop() {
			_ = report.Escape(dirty)
		}
	})
}

// BenchmarkRecordLog adds the records of 10 000 connections to a record
// log that spills (1 MiB in memory), links the findings and writes the
// report as JSON and as NDJSON from the log. benchReport's ids descend, so
// the log is read back against the order it was written: its worst case.
func BenchmarkRecordLog(b *testing.B) {
	src := benchReport(10_000)
	for _, format := range []string{"json", "ndjson"} {
		b.Run(format+"/10k_conns", func(b *testing.B) {
			dir := b.TempDir()
			for b.Loop() {
				r := *src
				r.Connections, r.Transactions = nil, nil
				r.Deferred = report.NewRecordLog(1<<20, dir)
				tx := 0
				for i := range src.Connections {
					c := src.Connections[i]
					c.Findings = nil
					txs := make([]report.Transaction, 0, 2)
					for ; tx < len(src.Transactions) && src.Transactions[tx].Connection == c.ID; tx++ {
						txs = append(txs, src.Transactions[tx])
					}
					if err := r.Deferred.Add(&c, txs); err != nil {
						b.Fatal(err)
					}
				}
				r.LinkFindings()
				var err error
				if format == "json" {
					err = report.WriteJSON(io.Discard, &r)
				} else {
					err = report.WriteNDJSON(io.Discard, &r)
				}
				if err != nil {
					b.Fatal(err)
				}
				r.Deferred.Close()
			}
		})
	}
}
