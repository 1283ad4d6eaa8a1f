package report_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"connscope/report"
	"connscope/report/reporttest"
)

// scalingRow matches a row of the field table in docs/SCALING.md:
// | `record` | `json.path` | column |
var scalingRow = regexp.MustCompile("^\\| `([a-z_]+)` \\| `([a-z_.]+)` \\|")

// TestNDJSONCarriesScalingFields checks that the NDJSON stream carries every
// field the database schemas and queries of docs/SCALING.md read, on the
// record type the document names.
func TestNDJSONCarriesScalingFields(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "SCALING.md"))
	if err != nil {
		t.Skipf("docs/SCALING.md not readable: %v", err)
	}
	type field struct{ record, path string }
	var fields []field
	for line := range strings.SplitSeq(string(doc), "\n") {
		if m := scalingRow.FindStringSubmatch(line); m != nil {
			fields = append(fields, field{m[1], m[2]})
		}
	}
	if len(fields) < 10 {
		t.Fatalf("found %d field rows in docs/SCALING.md, want the whole table", len(fields))
	}
	var nd bytes.Buffer
	if err := report.WriteNDJSON(&nd, reporttest.Sample()); err != nil {
		t.Fatal(err)
	}
	byType := map[string][]map[string]any{}
	sc := bufio.NewScanner(&nd)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("bad NDJSON line: %v", err)
		}
		typ, _ := rec["type"].(string)
		byType[typ] = append(byType[typ], rec)
	}
	for _, f := range fields {
		t.Run(f.record+"/"+f.path, func(t *testing.T) {
			recs := byType[f.record]
			if len(recs) == 0 {
				t.Fatalf("no %q records in the sample stream", f.record)
			}
			for _, rec := range recs {
				if _, ok := lookupPath(rec, f.path); ok {
					return
				}
			}
			t.Errorf("no %q record carries %q", f.record, f.path)
		})
	}
}

// lookupPath follows a dotted path through nested JSON objects.
func lookupPath(v any, path string) (any, bool) {
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[k]; !ok {
			return nil, false
		}
	}
	return v, true
}
