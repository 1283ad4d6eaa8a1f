package reporttest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"connscope/report"
)

var (
	compileOnce sync.Once
	compiled    map[string]*jsonschema.Schema // "" is the report; else a $defs name
	compileErr  error
)

// defs lists the $defs that NDJSON records are checked against.
var defs = []string{"Connection", "Transaction", "Finding", "Peer", "DNSLookup", "Summary", "Capture", "Tool"}

func schemas() (map[string]*jsonschema.Schema, error) {
	compileOnce.Do(func() {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(report.Schema()))
		if err != nil {
			compileErr = fmt.Errorf("parse report schema: %w", err)
			return
		}
		// File the schema under its own $id so its references resolve.
		schemaURL := "urn:connscope:report-schema"
		if m, ok := doc.(map[string]any); ok {
			if id, ok := m["$id"].(string); ok && id != "" {
				schemaURL = id
			}
		}
		c := jsonschema.NewCompiler()
		if err := c.AddResource(schemaURL, doc); err != nil {
			compileErr = fmt.Errorf("add report schema: %w", err)
			return
		}
		m := map[string]*jsonschema.Schema{}
		if m[""], err = c.Compile(schemaURL); err != nil {
			compileErr = fmt.Errorf("compile report schema: %w", err)
			return
		}
		for _, d := range defs {
			if m[d], err = c.Compile(schemaURL + "#/$defs/" + d); err != nil {
				compileErr = fmt.Errorf("compile report schema $defs/%s: %w", d, err)
				return
			}
		}
		compiled = m
	})
	return compiled, compileErr
}

// ValidateBytes checks one JSON report (as written by report.WriteJSON)
// against the report schema.
func ValidateBytes(jsonBytes []byte) error {
	s, err := schemas()
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(jsonBytes))
	if err != nil {
		return fmt.Errorf("report is not JSON: %w", err)
	}
	if err := s[""].Validate(inst); err != nil {
		return fmt.Errorf("report does not match its schema: %w", err)
	}
	return nil
}

// Validate fails t unless jsonBytes is a JSON report that satisfies the
// report schema.
func Validate(t testing.TB, jsonBytes []byte) {
	t.Helper()
	if err := ValidateBytes(jsonBytes); err != nil {
		t.Fatal(err)
	}
}

// ValidateNDJSONBytes checks NDJSON output (report.WriteNDJSON or
// report.NDJSONStream): every line is one JSON object whose "type" names a
// record type and whose other fields satisfy the schema of that object in
// the JSON report. A summary record's capture and tool are checked against
// their own schemas.
func ValidateNDJSONBytes(data []byte) error {
	s, err := schemas()
	if err != nil {
		return err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 64<<20)
	line := 0
	for sc.Scan() {
		line++
		var rec map[string]json.RawMessage
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return fmt.Errorf("ndjson line %d is not a JSON object: %w", line, err)
		}
		var typ string
		if err := json.Unmarshal(rec["type"], &typ); err != nil {
			return fmt.Errorf("ndjson line %d: bad or missing type: %w", line, err)
		}
		delete(rec, "type")
		checks := map[string]any{}
		switch typ {
		case report.RecordConnection:
			checks["Connection"] = rec
		case report.RecordTransaction:
			checks["Transaction"] = rec
		case report.RecordFinding:
			checks["Finding"] = rec
		case report.RecordPeer:
			checks["Peer"] = rec
		case report.RecordDNSLookup:
			rec["type"] = rec["query_type"]
			delete(rec, "query_type")
			checks["DNSLookup"] = rec
		case report.RecordSummary:
			checks["Capture"] = rec["capture"]
			checks["Tool"] = rec["tool"]
			for _, k := range []string{"capture", "tool", "schema_version", "interrupted"} {
				delete(rec, k)
			}
			checks["Summary"] = rec
		default:
			return fmt.Errorf("ndjson line %d: unknown type %q", line, typ)
		}
		for _, def := range defs {
			v, ok := checks[def]
			if !ok {
				continue
			}
			b, err := json.Marshal(v)
			if err != nil {
				return fmt.Errorf("ndjson line %d: %w", line, err)
			}
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
			if err != nil {
				return fmt.Errorf("ndjson line %d: %w", line, err)
			}
			if err := s[def].Validate(inst); err != nil {
				return fmt.Errorf("ndjson line %d (%s) does not match $defs/%s: %w", line, typ, def, err)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read ndjson: %w", err)
	}
	return nil
}

// ValidateNDJSON fails t unless data is NDJSON report output whose records
// satisfy the report schema (see ValidateNDJSONBytes).
func ValidateNDJSON(t testing.TB, data []byte) {
	t.Helper()
	if err := ValidateNDJSONBytes(data); err != nil {
		t.Fatal(err)
	}
}
