package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// TestNDJSONStreamFindingsAfterEarlyConnection: a connection streamed when
// it closed, before findings existed, still gets its findings at End, once.
func TestNDJSONStreamFindingsAfterEarlyConnection(t *testing.T) {
	id := uint32(7)
	rep := &Report{
		Connections: []Connection{{ID: id, Client: "192.0.2.1:1", Server: "192.0.2.2:80"}},
		Findings: []Finding{{Kind: "tcp_reset", Severity: SeverityWarning, Connection: &id, Count: 1, Summary: "reset"},
			{Kind: "tcp_parallel_connections", Severity: SeverityWarning, Count: 1, Summary: "peer"}},
	}
	var buf bytes.Buffer
	s := NewNDJSONStream(&buf)
	if err := s.Connection(&rep.Connections[0], nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.End(rep); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var rec struct {
			Type string `json:"type"`
			Kind string `json:"kind"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		if rec.Type == RecordFinding {
			kinds = append(kinds, rec.Kind)
		}
	}
	if len(kinds) != 2 || kinds[0] != "tcp_reset" || kinds[1] != "tcp_parallel_connections" {
		t.Errorf("findings written: %v", kinds)
	}
}
