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

// TestCaptures: most lab captures have RTTs of tens of microseconds, under
// the 2 ms floor, so no slow-start finding may fire even where a 16 KiB
// response crosses several flights. The delay-line captures (80 ms RTT) of
// a 2 MiB download, 2 s idle and a second download on the same connection
// must show the restart from both vantages (and the first download, which
// never left slow start); the lossy download must show neither.
func TestCaptures(t *testing.T) {
	want := map[string]map[string]int{
		"slow_start_restart_client.pcap.gz": {"tcp_slow_start_restart/warning": 1, "tcp_slow_start_bound/info": 1},
		"slow_start_restart_server.pcap.gz": {"tcp_slow_start_restart/warning": 1, "tcp_slow_start_bound/info": 1},
	}
	for _, name := range allCaptures(t) {
		t.Run(name, func(t *testing.T) {
			rep := runCapture(t, name, slowstart.Factory())
			got := kinds(rep)
			exp := want[name]
			if len(got) != len(exp) {
				t.Fatalf("got %v, want %v", got, exp)
			}
			for k, n := range exp {
				if got[k] != n {
					t.Errorf("got %v, want %v", got, exp)
				}
			}
			for _, f := range rep.Findings {
				if f.Kind != slowstart.KindRestart {
					continue
				}
				ev := f.Evidence
				after, _ := ev["flight_after"].(int64)
				before, _ := ev["flight_before"].(int64)
				if after == 0 || before < 20*after {
					t.Errorf("restart evidence: after %v, before %v", ev["flight_after"], ev["flight_before"])
				}
				if idle, _ := ev["idle_us"].(int64); idle < 1900000 || idle > 2300000 {
					t.Errorf("idle %v, want about 2 s", ev["idle_us"])
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
