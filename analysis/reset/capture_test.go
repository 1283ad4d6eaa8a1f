package reset_test

import (
	"testing"

	"connscope/analysis/reset"
	"connscope/internal/pipeline/pipelinetest"
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
			rep := pipelinetest.Run(t, tc.file, reset.Factory())
			got := pipelinetest.Kinds(rep)
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
