package timewait_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"connscope/analysis"
	"connscope/analysis/peers"
	"connscope/analysis/timewait"
	"connscope/capture"
	"connscope/internal/pipeline"
	"connscope/report"
)

// TestCaptures: port_churn (3000 connections from a 300-port range, client
// closes first, tcp_tw_reuse=1) must show all three kinds; captures whose
// server closes first or that open few connections must show none.
func TestCaptures(t *testing.T) {
	t.Run("port_churn", func(t *testing.T) {
		rep := runCapture(t, "port_churn.pcap.gz", timewait.Factory())
		got := kinds(rep)
		for _, k := range []string{"tcp_time_wait_churn/error", "tcp_port_exhaustion_risk/error", "tcp_time_wait_reuse/warning"} {
			if got[k] != 1 {
				t.Fatalf("%s: got %v", k, got)
			}
		}
		for _, f := range rep.Findings {
			if f.Evidence["range_source"] != "observed" || f.Evidence["range_ports"] != 300 {
				t.Errorf("%s: range %v %v, want the observed 300 ports", f.Kind, f.Evidence["range_source"], f.Evidence["range_ports"])
			}
			if f.Kind == timewait.KindReuse {
				if f.Count != 2700 || f.Evidence["time_wait_holder"] != "client" {
					t.Errorf("reuse count %d holder %v", f.Count, f.Evidence["time_wait_holder"])
				}
				if us := f.Evidence["min_reuse_interval_us"].(int64); us < 1000000 || us > 1200000 {
					t.Errorf("min reuse interval %d µs, want just over 1 s (tcp_tw_reuse)", us)
				}
			}
		}
		if len(rep.Peers) != 1 || rep.Peers[0].TimeWaitPeak != 300 || rep.Peers[0].TimeWaitReuse != 2700 {
			t.Fatalf("peer row %+v", rep.Peers)
		}
	})
	for _, name := range []string{"ab_close.pcap", "ab_keepalive.pcap", "curl_http10.pcap", "parallel6.pcap.gz", "wrk_short.pcap.gz", "idle_close_race.pcap", "refused.pcap"} {
		t.Run(name+": no finding", func(t *testing.T) {
			if rep := runCapture(t, name, timewait.Factory()); len(rep.Findings) != 0 {
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
