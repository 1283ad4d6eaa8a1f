package reset_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"connscope/analysis"
	"connscope/analysis/peers"
	"connscope/analysis/reset"
	"connscope/capture"
	"connscope/internal/pipeline"
	"connscope/report"
)

// TestCaptures: refused is a refusal and not a reset; rst_unread is a reset
// with unread data by the server (its window had closed: the upload sat
// unread in its buffer); in idle_close_race the server resets the five
// connections whose late request reached it after its idle close (four after
// its FIN, one as it closed); graceful captures have nothing.
func TestCaptures(t *testing.T) {
	tests := []struct {
		file string
		want map[string]int
	}{
		{"refused.pcap", map[string]int{"tcp_connection_refused/warning": 1}},
		{"rst_unread.pcap.gz", map[string]int{"tcp_reset/warning": 1}},
		{"idle_close_race.pcap", map[string]int{"tcp_reset/warning": 5}},
		{"curl_reuse.pcap", map[string]int{}},
		{"ab_close.pcap", map[string]int{}},
		{"nagle_on.pcap", map[string]int{}},
		{"port_churn.pcap.gz", map[string]int{}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			rep := runCapture(t, tc.file, reset.Factory())
			got := kinds(rep)
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for k, n := range tc.want {
				if got[k] != n {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
			for _, f := range rep.Findings {
				if f.Kind == reset.KindReset && (f.Evidence["rst_by"] != "server" || f.Evidence["class"] != reset.ClassUnreadData) {
					t.Errorf("reset evidence %v", f.Evidence)
				}
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
