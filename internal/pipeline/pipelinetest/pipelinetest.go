package pipelinetest

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"testing"

	"connscope/analysis"
	"connscope/analysis/peers"
	"connscope/capture"
	"connscope/internal/pipeline"
	"connscope/report"
)

// Dir returns the testdata/pcaps directory of the module.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "testdata", "pcaps")
}

// Captures lists the committed captures by file name, sorted; it skips the
// test when there are none.
func Captures(t testing.TB) []string {
	t.Helper()
	var out []string
	for _, pat := range []string{"*.pcap", "*.pcap.gz", "*.pcapng", "*.pcapng.gz"} {
		m, _ := filepath.Glob(filepath.Join(Dir(), pat))
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

// Run runs the offline pipeline with the peer table and the given
// analysers on one committed capture and returns the report. It skips the
// test when the file is absent.
func Run(t testing.TB, name string, fs ...analysis.Factory) *report.Report {
	t.Helper()
	path := filepath.Join(Dir(), name)
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

// Kinds counts the findings of rep by "kind/severity".
func Kinds(rep *report.Report) map[string]int {
	m := map[string]int{}
	for _, f := range rep.Findings {
		m[f.Kind+"/"+f.Severity]++
	}
	return m
}
