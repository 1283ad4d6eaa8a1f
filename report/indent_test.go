package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// indentCases are compact JSON texts as encoding/json writes them.
var indentCases = []string{
	`{}`, `[]`, `{"a":[]}`, `{"a":{},"b":[{}]}`, `"x"`, `12`, `null`, `true`,
	`{"a":1,"b":[1,2,{"c":"d"}],"e":{"f":null}}`,
	`{"k:,{}[]":"v\"{,}:[]\\","u":"\u001b[2J"}`,
	`[[[]],[{"a":[[]]}]]`,
	`{"emoji":"☃","esc":"\\\\\""}`,
}

func checkIndent(t *testing.T, src []byte, prefix string) {
	t.Helper()
	var want bytes.Buffer
	if err := json.Indent(&want, src, prefix, "  "); err != nil {
		return // not JSON: outside appendIndented's contract
	}
	if got := appendIndented(nil, src, prefix); !bytes.Equal(got, want.Bytes()) {
		t.Errorf("appendIndented(%q, %q) =\n%s\nwant (json.Indent)\n%s", src, prefix, got, want.Bytes())
	}
	checkCompact(t, want.Bytes())
}

// checkCompact compares appendCompact with json.Compact on valid JSON.
func checkCompact(t *testing.T, src []byte) {
	t.Helper()
	var want bytes.Buffer
	if err := json.Compact(&want, src); err != nil {
		return // not JSON: outside appendCompact's contract
	}
	if got := appendCompact(nil, src); !bytes.Equal(got, want.Bytes()) {
		t.Errorf("appendCompact(%q) = %s, want (json.Compact) %s", src, got, want.Bytes())
	}
}

func TestAppendIndentedMatchesJSONIndent(t *testing.T) {
	for _, c := range indentCases {
		for _, prefix := range []string{"", "    "} {
			checkIndent(t, []byte(c), prefix)
		}
	}
	// Every committed golden report, compacted.
	goldens, _ := filepath.Glob("../testdata/pcaps/*.json")
	if len(goldens) == 0 {
		t.Fatal("no golden reports found under testdata/pcaps")
	}
	for _, g := range goldens {
		b, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, b); err != nil {
			t.Fatalf("%s: %v", g, err)
		}
		checkIndent(t, compact.Bytes(), "  ")
	}
}

func FuzzAppendIndented(f *testing.F) {
	for _, c := range indentCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		// Only compact JSON is in the contract: compact the input first.
		var compact bytes.Buffer
		if json.Compact(&compact, b) != nil {
			return
		}
		checkIndent(t, compact.Bytes(), "    ")
		checkCompact(t, b)
	})
}
