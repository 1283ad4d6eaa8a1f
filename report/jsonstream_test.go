package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// referenceJSON is the document encoding/json writes for r, with the
// characters it leaves raw that could drive a terminal escaped
// (appendTerminalSafe): the format writeJSONStream must reproduce byte for
// byte.
func referenceJSON(t *testing.T, r *Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		t.Fatal(err)
	}
	return appendTerminalSafe(nil, buf.Bytes())
}

// streamCases are reports covering empty lists, omitempty fields, HTML
// characters, nested objects and every top-level list.
func streamCases() map[string]*Report {
	id := uint32(2)
	tx := 0
	full := &Report{
		Tool:    Tool{Name: "connscope", Version: "<dev & test>"},
		Capture: Capture{Sources: []string{"a.pcap"}, Packets: 9, Anomalies: map[string]uint64{"b": 1, "a": 2}},
		Connections: []Connection{
			{ID: 2, Client: "10.0.0.1:40000", Server: "[2001:db8::1]:80", Findings: []int{0},
				HTTP: &ConnHTTP{Requests: 2}, Anomalies: map[string]int{"x": 1}},
			{ID: 1, Client: "10.0.0.2:40001", Server: "10.0.0.9:443"},
		},
		Transactions: []Transaction{{Connection: 2, Index: 0, Method: "GET", Target: "/a?b=<c>&d\u009b2J\u202eé", Findings: []int{0}}},
		Findings: []Finding{{Kind: "tcp_reset", Severity: "warning", Connection: &id, Transaction: &tx,
			Evidence: map[string]any{"z": 1.5, "a": "x<y", "n": []int{1, 2}}}},
		Peers:       []Peer{{Client: "10.0.0.1", Server: "10.0.0.9:443", ConnectionRatePerS: 0.25}},
		DNSLookups:  []DNSLookup{{Name: "web.test", Type: "A", Answers: []string{"192.0.2.2"}}},
		Interrupted: true,
	}
	long := &Report{}
	for i := range 5*elemBatch + 7 { // several batches for the parallel encoder, a short last one
		long.Connections = append(long.Connections, Connection{ID: uint32(i + 1), Client: "10.0.0.1:" + strconv.Itoa(1024+i), Findings: []int{}})
		long.Transactions = append(long.Transactions, Transaction{Connection: uint32(i + 1), Target: "/" + strings.Repeat("x", i%50)})
	}
	return map[string]*Report{
		"long_lists":      long,
		"empty":           {},
		"full":            full,
		"not_interrupted": func() *Report { c := *full; c.Interrupted = false; return &c }(),
	}
}

func TestWriteJSONStreamMatchesEncodingJSON(t *testing.T) {
	if !streamable {
		t.Fatal("Report is not streamable: a field needs encoding/json's general path")
	}
	for name, r := range streamCases() {
		t.Run(name, func(t *testing.T) {
			n := normalized(r)
			want := referenceJSON(t, n)
			var got bytes.Buffer
			if err := writeJSONStream(&got, n); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("stream output differs from encoding/json:\n got: %s\nwant: %s", got.Bytes(), want)
			}
			var direct bytes.Buffer
			if err := WriteJSON(&direct, r); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(direct.Bytes(), want) {
				t.Errorf("WriteJSON differs from encoding/json of the normalised report")
			}
		})
	}
}

func TestIsNormalized(t *testing.T) {
	nan := math.NaN()
	for name, r := range streamCases() {
		t.Run(name+"/after_normalize", func(t *testing.T) {
			n := normalized(r)
			if !isNormalized(n) {
				t.Error("isNormalized is false on a normalised report")
			}
		})
	}
	// Each mutation breaks one rule Normalize enforces.
	mutations := []struct {
		name string
		mut  func(r *Report)
	}{
		{"connections_unsorted", func(r *Report) { r.Connections[0].ID, r.Connections[1].ID = 9, 3 }},
		{"connection_findings_nil", func(r *Report) { r.Connections[0].Findings = nil }},
		{"connection_findings_unsorted", func(r *Report) { r.Connections[0].Findings = []int{2, 1} }},
		{"transactions_unsorted", func(r *Report) {
			r.Transactions = append(r.Transactions, Transaction{Connection: 1})
		}},
		{"finding_count_zero", func(r *Report) { r.Findings[0].Count = 0 }},
		{"finding_nan", func(r *Report) { r.Findings[0].Evidence = map[string]any{"x": nan} }},
		{"finding_evidence_nil", func(r *Report) { r.Findings[0].Evidence = nil }},
		{"peer_nan", func(r *Report) { r.Peers[0].ConnectionRatePerS = nan }},
		{"peers_unsorted", func(r *Report) { r.Peers = append(r.Peers, Peer{Client: "0.0.0.0"}) }},
		{"dns_answers_nil", func(r *Report) { r.DNSLookups[0].Answers = nil }},
		{"schema_version_empty", func(r *Report) { r.SchemaVersion = "" }},
		{"anomalies_nil", func(r *Report) { r.Capture.Anomalies = nil }},
		{"summary_findings_nil", func(r *Report) { r.Summary.Findings = nil }},
	}
	for _, m := range mutations {
		t.Run(m.name, func(t *testing.T) {
			r := normalized(streamCases()["full"])
			m.mut(r)
			if isNormalized(r) {
				t.Fatal("isNormalized is true for a report Normalize would change")
			}
			c := normalized(r)
			if reflect.DeepEqual(c, r) {
				t.Fatal("mutation does not change the normalised form (bad test case)")
			}
		})
	}
}

// TestAppendTerminalSafe: the characters Escape hides from a terminal are
// written as \u escapes, everything else (other non-ASCII text included)
// is kept, and a JSON parser reads the same string.
func TestAppendTerminalSafe(t *testing.T) {
	in := "a\u009bb\u202ec\u2066d\u061ce\u200ff é☃\u2028"
	raw, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	got := appendTerminalSafe(nil, raw)
	want := `"a\u009bb\u202ec\u2066d\u061ce\u200ff é☃\u2028"`
	if string(got) != want {
		t.Errorf("appendTerminalSafe = %s, want %s", got, want)
	}
	var back string
	if err := json.Unmarshal(got, &back); err != nil || back != in {
		t.Errorf("decoded %q (%v), want %q", back, err, in)
	}
}

// TestWriteElementsError: an element that cannot be encoded stops the
// parallel list writer with that error, and every goroutine ends.
func TestWriteElementsError(t *testing.T) {
	for _, bad := range []int{0, 3*elemBatch + 1, 9*elemBatch - 1} {
		peers := make([]Peer, 9*elemBatch)
		peers[bad].ConnectionRatePerS = math.NaN()
		bw := bufio.NewWriter(io.Discard)
		var e elemEncoder
		err := writeElements(bw, reflect.ValueOf(peers), &e)
		if err == nil || !strings.Contains(err.Error(), "NaN") {
			t.Errorf("bad element %d: err = %v, want the NaN encoding error", bad, err)
		}
	}
}
