package nagle_test

import (
	"testing"

	"connscope/analysis/nagle"
	"connscope/internal/pipeline/pipelinetest"
	"connscope/report"
)

// TestCaptures: the lab's Nagle pair (client side, Go client writing headers
// and body separately, Go net/http server delaying its ACK ≈ 43 ms).
func TestCaptures(t *testing.T) {
	t.Run("nagle_on: requests 2..6 stall", func(t *testing.T) {
		rep := pipelinetest.Run(t, "nagle_on.pcap", nagle.Factory())
		if len(rep.Findings) != 1 {
			t.Fatalf("got %d findings, want 1: %v", len(rep.Findings), pipelinetest.Kinds(rep))
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
	for _, name := range pipelinetest.Captures(t) {
		if name == "nagle_on.pcap" {
			continue
		}
		t.Run(name+": no stall", func(t *testing.T) {
			if rep := pipelinetest.Run(t, name, nagle.Factory()); len(rep.Findings) != 0 {
				t.Fatalf("got %v", pipelinetest.Kinds(rep))
			}
		})
	}
}
