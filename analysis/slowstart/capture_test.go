package slowstart_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"connscope/analysis"
	"connscope/analysis/peers"
	"connscope/analysis/slowstart"
	"connscope/capture"
	"connscope/internal/pipeline"
	"connscope/report"
)

// TestCaptures: the lab captures have RTTs of tens of microseconds, under
// the 2 ms floor, so no slow-start finding may fire even where a 16 KiB
// response crosses several flights.
func TestCaptures(t *testing.T) {
	for _, name := range allCaptures(t) {
		t.Run(name, func(t *testing.T) {
			if rep := runCapture(t, name, slowstart.Factory()); len(rep.Findings) != 0 {
				t.Fatalf("got %v: %+v", kinds(rep), rep.Findings[0])
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
