package nagle_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"connscope/analysis"
	"connscope/analysis/nagle"
	"connscope/analysis/peers"
	"connscope/capture"
	"connscope/internal/pipeline"
	"connscope/report"
)

// TestCaptures: the lab's Nagle pair (client side, Go client writing headers
// and body separately, Go net/http server delaying its ACK ≈ 43 ms).
func TestCaptures(t *testing.T) {
	t.Run("nagle_on: requests 2..6 stall", func(t *testing.T) {
		rep := runCapture(t, "nagle_on.pcap", nagle.Factory())
		if len(rep.Findings) != 1 {
			t.Fatalf("got %d findings, want 1: %v", len(rep.Findings), kinds(rep))
		}
		f := rep.Findings[0]
		if f.Kind != nagle.KindStall || f.Severity != report.SeverityWarning || f.Count != 5 {
			t.Fatalf("got %s %s count %d, want 5 stalls", f.Kind, f.Severity, f.Count)
		}
		if f.Evidence["ack_delay_class"] != "linux_like" || f.Evidence["small_seg_len"] != 64 || f.Evidence["held_seg_len"] != 100 {
			t.Fatalf("evidence %v", f.Evidence)
		}
		if w := f.Evidence["stall_worst_us"].(int64); w < 35000 || w > 60000 {
			t.Fatalf("worst stall %d µs, want ≈ 43 ms", w)
		}
	})
	for _, name := range allCaptures(t) {
		if name == "nagle_on.pcap" {
			continue
		}
		t.Run(name+": no stall", func(t *testing.T) {
			if rep := runCapture(t, name, nagle.Factory()); len(rep.Findings) != 0 {
				t.Fatalf("got %v", kinds(rep))
			}
		})
	}
}

// runCapture runs the pipeline with the peer table and the given analysers
// on one committed lab capture (client-side vantage, veth, no delay or loss;
// testdata/pcaps/README.md). It skips when the file is absent.
func runCapture(t *testing.T, name string, fs ...analysis.Factory) *report.Report {
	t.Helper()
	path := filepath.Join("..", "..", "testdata", "pcaps", name)
	if _, err := os.Stat(path); err != nil {
		t.Skipf("capture %s not present: %v", name, err)
	}
	src, err := capture.OpenFiles([]string{path}, capture.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	cfg := pipeline.DefaultConfig()
	cfg.Analyzers = append([]analysis.Factory{peers.Factory()}, fs...)
	rep, err := pipeline.Run(context.Background(), src, cfg)
	if err != nil {
		t.Fatalf("run %s: %v", name, err)
	}
	return rep
}

// kinds counts the findings of rep by "kind/severity".
func kinds(rep *report.Report) map[string]int {
	m := map[string]int{}
	for _, f := range rep.Findings {
		m[f.Kind+"/"+f.Severity]++
	}
	return m
}

// allCaptures lists the committed captures.
func allCaptures(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, pat := range []string{"*.pcap", "*.pcap.gz", "*.pcapng", "*.pcapng.gz"} {
		m, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "pcaps", pat))
		for _, p := range m {
			out = append(out, filepath.Base(p))
		}
	}
	sort.Strings(out)
	if len(out) == 0 {
		t.Skip("no captures in testdata/pcaps")
	}
	return out
}
