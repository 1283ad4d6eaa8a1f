package pipeline_test

import (
	"path/filepath"
	"slices"
	"testing"

	"connscope/httpdecode"
	"connscope/internal/corpus"
)

// TestLostResponsesCorpus runs captures whose responses were lost to the
// capture. Zeek's trace holds 1000 sequential GETs on one connection with
// one response missing (Zeek itself pairs FIFO and reports
// HTTP_excessive_pipelining once 100 requests pile up); Suricata's holds
// three requests whose second response is lost in a gap. In both the
// client waits for each response, so nothing is pipelined and exactly one
// request is reported with its response lost.
func TestLostResponsesCorpus(t *testing.T) {
	dir := corpus.Dir(t)
	for _, c := range []struct {
		trace              string
		requests, answered int
	}{
		{"zeek/traces/http/1000-requests-one-dropped-response.pcap.gz", 1000, 999},
		{"suricata-verify/http-gap-beyond-body/input.pcap", 3, 2},
	} {
		t.Run(c.trace, func(t *testing.T) {
			rep := runFile(t, filepath.Join(dir, c.trace))
			if s := rep.Summary; s.HTTPRequests != c.requests || s.PipelinedRequests != 0 {
				t.Errorf("requests %d, pipelined %d; want %d, 0", s.HTTPRequests, s.PipelinedRequests, c.requests)
			}
			lost, answered := 0, 0
			for _, tx := range rep.Transactions {
				if slices.Contains(tx.Anomalies, httpdecode.AnomalyResponseLost) {
					lost++
				}
				if tx.Status != 0 {
					answered++
				}
			}
			if lost != 1 || answered != c.answered {
				t.Errorf("responses lost %d, answered requests %d; want 1, %d", lost, answered, c.answered)
			}
		})
	}
}
