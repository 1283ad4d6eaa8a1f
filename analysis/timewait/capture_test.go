package timewait_test

import (
	"testing"

	"connscope/analysis/timewait"
	"connscope/internal/pipeline/pipelinetest"
)

// TestCaptures: port_churn (3000 connections from a 300-port range, client
// closes first, tcp_tw_reuse=1) must show all three kinds; captures whose
// server closes first or that open few connections must show none.
func TestCaptures(t *testing.T) {
	t.Run("port_churn", func(t *testing.T) {
		rep := pipelinetest.Run(t, "port_churn.pcap.gz", timewait.Factory())
		got := pipelinetest.Kinds(rep)
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
			if rep := pipelinetest.Run(t, name, timewait.Factory()); len(rep.Findings) != 0 {
				t.Fatalf("got %v", pipelinetest.Kinds(rep))
			}
		})
	}
}
