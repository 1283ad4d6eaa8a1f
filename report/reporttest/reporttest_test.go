package reporttest

import (
	"bytes"
	"strings"
	"testing"

	"connscope/report"
)

func TestSampleValidates(t *testing.T) {
	var js, nd bytes.Buffer
	if err := report.WriteJSON(&js, Sample()); err != nil {
		t.Fatal(err)
	}
	if err := report.WriteNDJSON(&nd, Sample()); err != nil {
		t.Fatal(err)
	}
	Validate(t, js.Bytes())
	ValidateNDJSON(t, nd.Bytes())
}

func TestValidateRejects(t *testing.T) {
	tests := []struct {
		name   string
		ndjson bool
		in     string
		errHas string
	}{
		{"not json", false, "{", "not JSON"},
		{"empty object", false, "{}", "schema"},
		{"ndjson unknown type", true, `{"type":"packet"}`, "unknown type"},
		{"ndjson missing type", true, `{"id":1}`, "type"},
		{"ndjson bad connection", true, `{"type":"connection","id":"one"}`, "Connection"},
		{"ndjson not object", true, `[1]`, "not a JSON object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.ndjson {
				err = ValidateNDJSONBytes([]byte(tc.in))
			} else {
				err = ValidateBytes([]byte(tc.in))
			}
			if err == nil || !strings.Contains(err.Error(), tc.errHas) {
				t.Errorf("err = %v, want one mentioning %q", err, tc.errHas)
			}
		})
	}
}
