package slowstart_test

import (
	"testing"

	"connscope/analysis/slowstart"
	"connscope/internal/pipeline/pipelinetest"
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
	for _, name := range pipelinetest.Captures(t) {
		t.Run(name, func(t *testing.T) {
			rep := pipelinetest.Run(t, name, slowstart.Factory())
			got := pipelinetest.Kinds(rep)
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
