package report

import (
	"bytes"
	"encoding/json"
	"fmt"
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

// TestNDJSONStreamFindingsOfConnectionNotHeld: a live run lets go of old
// records after streaming them; End still writes their findings, once.
func TestNDJSONStreamFindingsOfConnectionNotHeld(t *testing.T) {
	gone, kept := uint32(3), uint32(9)
	streamed := Connection{ID: gone, Client: "192.0.2.1:1", Server: "192.0.2.2:80"}
	rep := &Report{
		Connections: []Connection{{ID: kept, Client: "192.0.2.1:2", Server: "192.0.2.2:80"}},
		Findings: []Finding{
			{Kind: "tcp_reset", Severity: SeverityWarning, Connection: &gone, Count: 1, Summary: "reset of a record let go"},
			{Kind: "tcp_reset", Severity: SeverityWarning, Connection: &kept, Count: 1, Summary: "reset of a record kept"},
		},
	}
	var buf bytes.Buffer
	s := NewNDJSONStream(&buf)
	for _, c := range []*Connection{&streamed, &rep.Connections[0]} {
		if err := s.Connection(c, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.End(rep); err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var rec struct {
			Type    string `json:"type"`
			ID      uint32 `json:"id"`
			Summary string `json:"summary"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		switch rec.Type {
		case RecordConnection:
			count[fmt.Sprint("connection ", rec.ID)]++
		case RecordFinding:
			count[rec.Summary]++
		}
	}
	for _, k := range []string{"connection 3", "connection 9", "reset of a record let go", "reset of a record kept"} {
		if count[k] != 1 {
			t.Errorf("%q written %d times, want once (all: %v)", k, count[k], count)
		}
	}
}
