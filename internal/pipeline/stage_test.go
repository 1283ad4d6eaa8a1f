package pipeline

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"connscope/analysis"
	"connscope/capture"
	"connscope/report"
)

// panicky panics on the n-th segment it sees.
type panicky struct{ n int }

func (p *panicky) Name() string                            { return "panicky" }
func (p *panicky) Finish(*report.Report, analysis.Emitter) {}
func (p *panicky) Segment(*analysis.Segment) {
	if p.n--; p.n == 0 {
		panic("analyser failed")
	}
}

// TestStagePanic: an analyser's panic on the analysers' goroutine comes
// out of Run on the caller's goroutine (where a caller's recover sees it,
// as when the analysers run there), with the analyser's stack.
func TestStagePanic(t *testing.T) {
	path := filepath.Join("..", "..", "testdata", "pcaps", "ab_keepalive.pcap")
	for _, n := range []int{1, 50} {
		var got any
		func() {
			defer func() { got = recover() }()
			src, err := capture.OpenFiles([]string{path}, capture.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			cfg := DefaultConfig()
			cfg.Workers = 2 // the stages, also on a machine of one core
			cfg.Analyzers = []analysis.Factory{{Name: "panicky", New: func(analysis.Config) analysis.Analyzer { return &panicky{n: n} }}}
			Run(context.Background(), src, cfg)
		}()
		msg := fmt.Sprint(got)
		if !strings.Contains(msg, "analyser failed") || !strings.Contains(msg, "panicky") {
			t.Fatalf("panic on segment %d: Run gave %q", n, msg)
		}
	}
}
