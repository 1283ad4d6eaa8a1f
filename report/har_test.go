package report

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
)

// TestHARStructure checks the members HAR 1.2 requires
// (http://www.softwareishard.com/blog/har-12-spec/) on a small report.
func TestHARStructure(t *testing.T) {
	connect := int64(12_000)
	r := &Report{
		Tool:        Tool{Name: "connscope", Version: "1.2.3"},
		Connections: []Connection{{ID: 7, Server: "[2001:db8::1]:8080"}, {ID: 4, Server: "192.0.2.1:80"}},
		Transactions: []Transaction{
			{Connection: 7, Index: 0, Method: "GET", Target: "/late", RequestVersion: "HTTP/1.1",
				RequestStart: FormatTime(2e9), TimingsUS: Timings{Send: 1, Wait: 2, Receive: 3}},
			{Connection: 4, Index: 0, Method: "POST", Target: "/early?a=1", Host: "h.test", RequestVersion: "HTTP/1.0",
				Status: 201, Reason: "Created", ResponseVersion: "HTTP/1.0", RequestStart: FormatTime(1e9),
				TimingsUS:        Timings{Connect: &connect, Send: 1_000, Wait: 20_000, Receive: 500},
				RequestBodyBytes: 10, ResponseBodyBytes: 20},
		},
	}
	var buf bytes.Buffer
	if err := WriteHAR(&buf, r); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("HAR does not parse: %v", err)
	}
	log := doc["log"].(map[string]any)
	if log["version"] != "1.2" {
		t.Errorf("log.version = %v", log["version"])
	}
	if c := log["creator"].(map[string]any); c["name"] != "connscope" || c["version"] != "1.2.3" {
		t.Errorf("creator = %v", c)
	}
	entries := log["entries"].([]any)
	if len(entries) != 2 {
		t.Fatalf("%d entries, want 2", len(entries))
	}
	required := map[string][]string{
		"entry":    {"startedDateTime", "time", "request", "response", "cache", "timings"},
		"request":  {"method", "url", "httpVersion", "cookies", "headers", "queryString", "headersSize", "bodySize"},
		"response": {"status", "statusText", "httpVersion", "cookies", "headers", "content", "redirectURL", "headersSize", "bodySize"},
		"content":  {"size", "mimeType"},
		"timings":  {"send", "wait", "receive"},
	}
	for i, e := range entries {
		e := e.(map[string]any)
		objs := map[string]map[string]any{
			"entry": e, "request": e["request"].(map[string]any), "response": e["response"].(map[string]any),
			"timings": e["timings"].(map[string]any),
		}
		objs["content"] = objs["response"]["content"].(map[string]any)
		for name, keys := range required {
			for _, k := range keys {
				if _, ok := objs[name][k]; !ok {
					t.Errorf("entry %d: %s lacks %q", i, name, k)
				}
			}
		}
		// time is the sum of the timings that are not -1.
		var sum float64
		for _, v := range objs["timings"] {
			if f := v.(float64); f >= 0 {
				sum += f
			}
		}
		if e["time"].(float64) != sum {
			t.Errorf("entry %d: time %v, timings sum %v", i, e["time"], sum)
		}
	}
	tests := []struct {
		name    string
		entry   int
		path    []string
		want    any
		wantArr []any
	}{
		{name: "ordered by start", entry: 0, path: []string{"connection"}, want: "4"},
		{name: "url from Host", entry: 0, path: []string{"request", "url"}, want: "http://h.test/early?a=1"},
		{name: "url from server", entry: 1, path: []string{"request", "url"}, want: "http://[2001:db8::1]:8080/late"},
		{name: "connect ms", entry: 0, path: []string{"timings", "connect"}, want: 12.0},
		{name: "connect unknown", entry: 1, path: []string{"timings", "connect"}, want: -1.0},
		{name: "ssl unknown", entry: 0, path: []string{"timings", "ssl"}, want: -1.0},
		{name: "v4 server ip", entry: 0, path: []string{"serverIPAddress"}, want: "192.0.2.1"},
		{name: "v6 server ip", entry: 1, path: []string{"serverIPAddress"}, want: "2001:db8::1"},
		{name: "no response status", entry: 1, path: []string{"response", "status"}, want: 0.0},
		{name: "request body", entry: 0, path: []string{"request", "bodySize"}, want: 10.0},
		{name: "content size", entry: 0, path: []string{"response", "content", "size"}, want: 20.0},
		{name: "time ms", entry: 0, path: []string{"time"}, want: 33.5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var v any = entries[tc.entry]
			for _, p := range tc.path {
				v = v.(map[string]any)[p]
			}
			if v != tc.want {
				t.Errorf("%v = %#v, want %#v", tc.path, v, tc.want)
			}
		})
	}
}

func TestHARURL(t *testing.T) {
	tests := []struct {
		name, method, target, host, server, want string
	}{
		{"origin form with host", "GET", "/x?y", "a.test", "192.0.2.1:80", "http://a.test/x?y"},
		{"origin form without host", "GET", "/x", "", "192.0.2.1:80", "http://192.0.2.1:80/x"},
		{"absolute form", "GET", "http://b.test/p", "a.test", "", "http://b.test/p"},
		{"absolute form upper case", "GET", "HTTPS://b.test/p", "", "", "HTTPS://b.test/p"},
		{"authority form", "CONNECT", "b.test:443", "b.test:443", "", "http://b.test:443"},
		{"asterisk form", "OPTIONS", "*", "a.test", "", "http://a.test/*"},
		{"nothing known", "GET", "/x", "", "", "/x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tx := &Transaction{Method: tc.method, Target: tc.target, Host: tc.host}
			if got := harURL(tx, tc.server); got != tc.want {
				t.Errorf("harURL = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestHARQuery(t *testing.T) {
	tests := []struct {
		name, target string
		want         []harNV
	}{
		{"none", "/p", []harNV{}},
		{"order kept", "/p?b=2&a=1&b=3", []harNV{{"b", "2"}, {"a", "1"}, {"b", "3"}}},
		{"decoded", "/p?q=a%20b+c", []harNV{{"q", "a b c"}}},
		{"bad escape kept", "/p?q=%zz", []harNV{{"q", "%zz"}}},
		{"empty parts and fragment", "/p?&k&=v#frag", []harNV{{"k", ""}, {"", "v"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := harQuery(tc.target); !slices.Equal(got, tc.want) {
				t.Errorf("harQuery(%q) = %v, want %v", tc.target, got, tc.want)
			}
		})
	}
}
