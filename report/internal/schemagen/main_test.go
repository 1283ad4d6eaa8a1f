package main

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"connscope/report"
)

// TestSchemaCurrent fails when the committed schema.json differs from what
// the Go types generate now.
func TestSchemaCurrent(t *testing.T) {
	got, err := Generate(os.DirFS("../.."))
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	committed, err := os.ReadFile("../../schema.json")
	if err != nil {
		t.Fatalf("read committed schema: %v", err)
	}
	if !bytes.Equal(got, committed) {
		t.Fatalf("report/schema.json is stale: run go generate ./report")
	}
	if !bytes.Equal(report.Schema(), committed) {
		t.Fatalf("report.Schema() differs from schema.json: rebuild")
	}
}

// TestSchemaShape checks the properties the contract relies on.
func TestSchemaShape(t *testing.T) {
	got, err := Generate(os.DirFS("../.."))
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	var s struct {
		Schema string `json:"$schema"`
		ID     string `json:"$id"`
		Ref    string `json:"$ref"`
		Defs   map[string]struct {
			Required             []string        `json:"required"`
			AdditionalProperties json.RawMessage `json:"additionalProperties"`
			Properties           map[string]struct {
				Description string `json:"description"`
			} `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(got, &s); err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	if s.Schema != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema = %q, want draft 2020-12", s.Schema)
	}
	if s.Ref != "#/$defs/Report" {
		t.Errorf("$ref = %q", s.Ref)
	}
	tests := []struct {
		def      string
		required []string
	}{
		{"Report", []string{"schema_version", "tool", "capture", "summary", "connections", "transactions", "findings", "peers", "dns_lookups"}},
		{"Finding", []string{"kind", "severity", "count", "summary", "evidence", "advice"}},
		{"Transaction", []string{"connection", "index", "method", "target", "request_start", "timings_us", "framing", "truncated", "pipelined"}},
		{"Connection", []string{"id", "client", "server", "start", "end", "duration_us", "protocol", "handshake", "close", "packets", "bytes", "tcp", "findings"}},
	}
	for _, tc := range tests {
		t.Run(tc.def, func(t *testing.T) {
			d, ok := s.Defs[tc.def]
			if !ok {
				t.Fatalf("no $defs/%s", tc.def)
			}
			if string(d.AdditionalProperties) != "false" {
				t.Errorf("additionalProperties = %s, want false", d.AdditionalProperties)
			}
			for _, k := range tc.required {
				found := false
				for _, r := range d.Required {
					found = found || r == k
				}
				if !found {
					t.Errorf("%q not required", k)
				}
			}
			for _, k := range []string{"connection", "transaction"} {
				if tc.def != "Finding" {
					break
				}
				for _, r := range d.Required {
					if r == k {
						t.Errorf("optional %q is required", k)
					}
				}
			}
		})
	}
	if d := s.Defs["Finding"].Properties["summary"].Description; d == "" {
		t.Errorf("field descriptions missing: Finding.summary has none")
	}
}
