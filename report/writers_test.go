package report_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"connscope/report"
	"connscope/report/reporttest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// writers are the renderers under test, by golden file name.
var writers = []struct {
	golden string
	write  func(w *bytes.Buffer, r *report.Report) error
}{
	{"sample.json", func(w *bytes.Buffer, r *report.Report) error { return report.WriteJSON(w, r) }},
	{"sample.ndjson", func(w *bytes.Buffer, r *report.Report) error { return report.WriteNDJSON(w, r) }},
	{"sample.har", func(w *bytes.Buffer, r *report.Report) error { return report.WriteHAR(w, r) }},
	{"sample.txt", func(w *bytes.Buffer, r *report.Report) error {
		return report.WriteText(w, r, report.TextOptions{})
	}},
}

func render(t *testing.T, i int, r *report.Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := writers[i].write(&buf, r); err != nil {
		t.Fatalf("%s: %v", writers[i].golden, err)
	}
	return buf.Bytes()
}

func TestGolden(t *testing.T) {
	for i, w := range writers {
		t.Run(w.golden, func(t *testing.T) {
			got := render(t, i, reporttest.Sample())
			path := filepath.Join("testdata", w.golden)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden (run go test ./report -update): %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("output differs from %s (run go test ./report -update and review the diff)", path)
			}
		})
	}
}

// shuffled returns the sample with every reorderable list reversed:
// normalisation must make the output independent of producer order.
func shuffled() *report.Report {
	r := reporttest.Sample()
	slices.Reverse(r.Connections)
	slices.Reverse(r.Transactions)
	slices.Reverse(r.Peers)
	slices.Reverse(r.DNSLookups)
	return r
}

func TestDeterministic(t *testing.T) {
	for i, w := range writers {
		t.Run(w.golden, func(t *testing.T) {
			first := render(t, i, reporttest.Sample())
			if again := render(t, i, reporttest.Sample()); !bytes.Equal(first, again) {
				t.Errorf("two writes of the same report differ")
			}
			if other := render(t, i, shuffled()); !bytes.Equal(first, other) {
				t.Errorf("output depends on the order of the report's lists")
			}
		})
	}
}

func TestWritersDoNotModifyInput(t *testing.T) {
	for i, w := range writers {
		t.Run(w.golden, func(t *testing.T) {
			r := reporttest.Sample()
			render(t, i, r)
			if !reflect.DeepEqual(r, reporttest.Sample()) {
				t.Errorf("writer modified its input report")
			}
		})
	}
}

func TestJSONValidates(t *testing.T) {
	tests := []struct {
		name string
		r    *report.Report
	}{
		{"sample", reporttest.Sample()},
		{"empty", &report.Report{}},
		{"nil", nil},
		{"interrupted", func() *report.Report { r := reporttest.Sample(); r.Interrupted = true; return r }()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := report.WriteJSON(&buf, tc.r); err != nil {
				t.Fatal(err)
			}
			reporttest.Validate(t, buf.Bytes())
			// The sample's evidence holds one deliberate null; nothing else may.
			nulls := bytes.Count(buf.Bytes(), []byte("null"))
			if tc.r != nil && len(tc.r.Findings) > 0 {
				nulls--
			}
			if nulls != 0 {
				t.Errorf("null in output:\n%s", buf.Bytes())
			}
			if !bytes.HasSuffix(buf.Bytes(), []byte("}\n")) || !bytes.HasPrefix(buf.Bytes(), []byte("{\n  \"schema_version\": \"1\"")) {
				t.Errorf("unexpected framing: %.80q", buf.Bytes())
			}
		})
	}
}

// TestSchemaRejects shows the schema is strict enough to catch drift.
func TestSchemaRejects(t *testing.T) {
	var buf bytes.Buffer
	if err := report.WriteJSON(&buf, reporttest.Sample()); err != nil {
		t.Fatal(err)
	}
	good := buf.String()
	tests := []struct {
		name, old, new string
	}{
		{"unknown key", `"schema_version": "1"`, `"schema_version": "1", "extra": 1`},
		{"null list", `"peers": [`, `"peers": null, "x": [`},
		{"bad severity", `"severity": "warning"`, `"severity": "fatal"`},
		{"string count", `"count": 4`, `"count": "4"`},
		{"missing required", `"advice": "Send Content-Length`, `"advise": "Send Content-Length`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bad := strings.Replace(good, tc.old, tc.new, 1)
			if bad == good {
				t.Fatalf("sample has no %q", tc.old)
			}
			if err := reporttest.ValidateBytes([]byte(bad)); err == nil {
				t.Errorf("schema accepted a report with %s", tc.name)
			}
		})
	}
}

func TestJSONShape(t *testing.T) {
	var buf bytes.Buffer
	if err := report.WriteJSON(&buf, reporttest.Sample()); err != nil {
		t.Fatal(err)
	}
	var got report.Report
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	var ids []uint32
	for _, c := range got.Connections {
		ids = append(ids, c.ID)
	}
	if !slices.Equal(ids, []uint32{1, 2, 3}) {
		t.Errorf("connection ids %v, want sorted", ids)
	}
	if got.Connections[0].Findings == nil || got.Findings[3].Evidence == nil {
		t.Errorf("nil list or map survived as null")
	}
	if got.Findings[1].Count != 1 {
		t.Errorf("count 0 not raised to 1: %d", got.Findings[1].Count)
	}
	if !bytes.Contains(buf.Bytes(), []byte(`"target": "/b?x=1&y=%20z"`)) {
		t.Errorf("HTML escaping not disabled")
	}
}

func TestNDJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := report.WriteNDJSON(&buf, reporttest.Sample()); err != nil {
		t.Fatal(err)
	}
	var types []string
	for i, line := range strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("line %d does not parse: %v", i+1, err)
		}
		typ, _ := rec["type"].(string)
		types = append(types, typ)
		if typ == report.RecordSummary {
			if _, ok := rec["capture"].(map[string]any); !ok {
				t.Errorf("summary record without capture object")
			}
		}
	}
	want := []string{
		"connection", "transaction", "transaction", "finding", // conn 1
		"connection", "transaction", "finding", "finding", "finding", // conn 2
		"connection", "finding", // conn 3
		"finding", "finding", // peer and capture findings
		"peer", "peer", "dns_lookup", "dns_lookup", "summary",
	}
	if !slices.Equal(types, want) {
		t.Errorf("record types\n got %v\nwant %v", types, want)
	}
	reporttest.ValidateNDJSON(t, buf.Bytes())
}

// TestNDJSONStream checks that streaming connections as they close and
// then ending gives each record once and the same records as WriteNDJSON.
func TestNDJSONStream(t *testing.T) {
	r := reporttest.Sample()
	var whole bytes.Buffer
	if err := report.WriteNDJSON(&whole, r); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	s := report.NewNDJSONStream(&buf)
	// Connection 2 closes first; its findings are passed by the caller.
	c2 := r.Connections[0]
	if err := s.Connection(&c2, r.Transactions[2:3], r.Findings[0:3]); err != nil {
		t.Fatal(err)
	}
	if err := s.End(r); err != nil {
		t.Fatal(err)
	}
	if err := s.End(r); err == nil {
		t.Errorf("second End succeeded")
	}
	if err := s.Connection(&c2, nil, nil); err == nil {
		t.Errorf("Connection after End succeeded")
	}
	lines := func(b []byte) []string {
		l := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		slices.Sort(l)
		return l
	}
	if got, want := lines(buf.Bytes()), lines(whole.Bytes()); !slices.Equal(got, want) {
		t.Errorf("stream records differ from WriteNDJSON records:\n%s", buf.Bytes())
	}
	if !strings.HasPrefix(buf.String(), `{"type":"connection","id":2,`) {
		t.Errorf("streamed connection not written first: %.60s", buf.String())
	}
	reporttest.ValidateNDJSON(t, buf.Bytes())
}

type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.n == 0 {
		return 0, errors.New("disk full")
	}
	f.n--
	return len(p), nil
}

func TestWriteErrors(t *testing.T) {
	r := reporttest.Sample()
	tests := []struct {
		name  string
		write func(w *failWriter) error
	}{
		{"json", func(w *failWriter) error { return report.WriteJSON(w, r) }},
		{"ndjson", func(w *failWriter) error { return report.WriteNDJSON(w, r) }},
		{"har", func(w *failWriter) error { return report.WriteHAR(w, r) }},
		{"text", func(w *failWriter) error { return report.WriteText(w, r, report.TextOptions{}) }},
		{"stream sticky", func(w *failWriter) error {
			s := report.NewNDJSONStream(w)
			c := r.Connections[0]
			_ = s.Connection(&c, nil, nil)
			return s.End(r)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.write(&failWriter{})
			if err == nil || !strings.Contains(err.Error(), "disk full") {
				t.Errorf("err = %v, want wrapped write error", err)
			}
		})
	}
}

// TestJSONWritersTerminalSafe: the sample's capture strings hold a C1 CSI
// and a bidi override; no JSON writer lets them through raw (they are
// \u escapes a JSON parser reads back unchanged).
func TestJSONWritersTerminalSafe(t *testing.T) {
	for i, w := range writers {
		if w.golden == "sample.txt" {
			continue
		}
		out := string(render(t, i, reporttest.Sample()))
		for j, r := range out {
			if (r >= 0x80 && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
				t.Errorf("%s: raw %U at byte %d", w.golden, r, j)
				break
			}
		}
		if !strings.Contains(out, `\u009b31m`) || !strings.Contains(out, `\u202eevil`) {
			t.Errorf("%s: the sample's CSI and bidi override are not escaped", w.golden)
		}
	}
}
