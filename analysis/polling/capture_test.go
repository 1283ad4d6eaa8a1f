package polling_test

import (
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"connscope/analysis/polling"
	"connscope/internal/pipeline/pipelinetest"
	"connscope/report"
)

func run(t *testing.T, name string) *report.Report {
	t.Helper()
	return pipelinetest.Run(t, name, polling.Factory())
}

// TestCaptures checks the lab captures made for these rules
// (testdata/pcaps/README.md: http_polling, http_long_polling, sse_stream)
// and that nothing fires on the other committed captures.
func TestCaptures(t *testing.T) {
	want := map[string]map[string]float64{
		"http_polling.pcap":      {polling.KindPolling: 6},
		"http_long_polling.pcap": {polling.KindLongPolling: 3},
		"sse_stream.pcap":        {polling.KindStreaming: 1},
	}
	m, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "pcaps", "*.pcap*"))
	if len(m) == 0 {
		t.Skip("no captures in testdata/pcaps")
	}
	sort.Strings(m)
	for _, p := range m {
		name := filepath.Base(p)
		if strings.HasPrefix(name, "port_churn") {
			continue // 3000 connections: slow, and covered by the rule tables
		}
		t.Run(name, func(t *testing.T) {
			rep := run(t, name)
			got := map[string]float64{}
			for _, f := range rep.Findings {
				got[f.Kind] += float64(f.Count)
			}
			w := want[name]
			if len(got) != len(w) {
				t.Fatalf("findings %v, want %v", got, w)
			}
			for k, n := range w {
				if got[k] != n {
					t.Errorf("%s count %v, want %v", k, got[k], n)
				}
			}
			for _, f := range rep.Findings {
				switch f.Kind {
				case polling.KindPolling:
					if f.Evidence["conn_per_poll"] != 1.0 || f.Evidence["cv"].(float64) >= 0.2 {
						t.Errorf("polling evidence %v", f.Evidence)
					}
				case polling.KindLongPolling:
					if h := f.Evidence["hold_ms_p50"].(float64); h < 5900 || h > 6500 || f.Evidence["empty_fraction"] != 1.0 {
						t.Errorf("long-polling evidence %v", f.Evidence)
					}
				case polling.KindStreaming:
					if f.Evidence["type"] != "sse" || f.DurationUS < 30_000_000 {
						t.Errorf("streaming finding %+v", f)
					}
				}
			}
		})
	}
}
