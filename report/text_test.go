package report_test

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"connscope/report"
	"connscope/report/reporttest"
)

func writeText(t *testing.T, r *report.Report, o report.TextOptions) string {
	t.Helper()
	var buf bytes.Buffer
	if err := report.WriteText(&buf, r, o); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// TestTextIsTerminalSafe renders the sample, whose capture strings hold
// ESC sequences, a C1 CSI, a bidi override and invalid UTF-8.
func TestTextIsTerminalSafe(t *testing.T) {
	out := writeText(t, reporttest.Sample(), report.TextOptions{MaxTargetRunes: -1})
	if !utf8.ValidString(out) {
		t.Fatalf("text output is not valid UTF-8")
	}
	for i, r := range out {
		if (r < 0x20 && r != '\n') || r == 0x7f || (r >= 0x80 && r <= 0x9f) || r == 0x202e {
			t.Fatalf("control character %U at byte %d", r, i)
		}
	}
	tests := []struct{ name, want string }{
		{"sni escape", `sni=api.example\x1b[2J.test`},
		{"host crlf and c1", `example.com\r\nX-Injected: \u009b31m`},
		{"target osc bidi invalid", `/upload\x1b]0;pwned\x07?q=\u202eevil\xff`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(out, tc.want) {
				t.Errorf("output lacks %q", tc.want)
			}
		})
	}
}

func TestTextSections(t *testing.T) {
	out := writeText(t, reporttest.Sample(), report.TextOptions{})
	order := []string{"connscope 0.0.0-test report", "FINDINGS  7, 10 occurrences", "  ERROR  http_truncated_body",
		"  WARNING  dns_slow_lookup", "  INFO  tcp_parallel_connections", "PEERS  2",
		"CONNECTIONS THAT MATTER  3 of 3", "TRANSACTIONS  3 of 3"}
	last := -1
	for _, s := range order {
		i := strings.Index(out, s)
		if i < 0 {
			t.Fatalf("output lacks %q", s)
		}
		if i < last {
			t.Errorf("%q out of order", s)
		}
		last = i
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasSuffix(line, " ") {
			t.Errorf("trailing space: %q", line)
		}
	}
}

// bigReport has n connections, each with one transaction and one finding.
func bigReport(n int) *report.Report {
	r := &report.Report{}
	for i := range n {
		id := uint32(i + 1)
		r.Connections = append(r.Connections, report.Connection{ID: id, DurationUS: int64(i), Findings: []int{i}})
		r.Transactions = append(r.Transactions, report.Transaction{Connection: id, Method: "GET", Target: "/"})
		r.Findings = append(r.Findings, report.Finding{Kind: "k", Severity: "info", Connection: &id, Count: 1})
		r.Peers = append(r.Peers, report.Peer{Client: fmt.Sprint(i), Server: "s", Connections: 1})
	}
	return r
}

func TestTextCaps(t *testing.T) {
	tests := []struct {
		name string
		opts report.TextOptions
		want []string
	}{
		{"defaults", report.TextOptions{}, []string{
			"CONNECTIONS THAT MATTER  20 of 30", "TRANSACTIONS  20 of 30", "    ... 20 more", "  ... 10 more",
		}},
		{"custom", report.TextOptions{MaxConnections: 5, MaxTransactions: 2, MaxPeers: 3, MaxFindingsPerKind: 4}, []string{
			"CONNECTIONS THAT MATTER  5 of 30", "TRANSACTIONS  2 of 30", "    ... 26 more", "  ... 27 more",
		}},
		{"unlimited", report.TextOptions{MaxConnections: -1, MaxTransactions: -1, MaxPeers: -1, MaxFindingsPerKind: -1}, []string{
			"CONNECTIONS THAT MATTER  30 of 30", "TRANSACTIONS  30 of 30",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := writeText(t, bigReport(30), tc.opts)
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q", w)
				}
			}
			if tc.name == "unlimited" && strings.Contains(out, "more") {
				t.Errorf("unlimited output was cut")
			}
		})
	}
}

func TestTextTargetCut(t *testing.T) {
	r := bigReport(1)
	r.Transactions[0].Target = "/" + strings.Repeat("é", 100)
	out := writeText(t, r, report.TextOptions{MaxTargetRunes: 10})
	// 10 runes in all: the slash, eight letters and the ellipsis.
	if !strings.Contains(out, " /éééééééé…  ") {
		t.Errorf("target not cut to 10 runes:\n%s", out)
	}
}

func TestTextEmpty(t *testing.T) {
	out := writeText(t, &report.Report{}, report.TextOptions{})
	for _, w := range []string{"FINDINGS  0, 0 occurrences\n  none", "PEERS  0\n  none", "CONNECTIONS THAT MATTER  0 of 0\n  none"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	if strings.Contains(out, "TRANSACTIONS") {
		t.Errorf("transactions section without transactions")
	}
}

// TestTextMissingResponse: a transaction without a response says why, in
// the text report, the HTML waterfall's title and the HAR comment: lost in
// a capture gap (the server answered) or not seen at all; and it shows no
// times it does not have.
func TestTextMissingResponse(t *testing.T) {
	tests := []struct {
		name string
		tx   report.Transaction
		want string
	}{
		{"answered", report.Transaction{Status: 200, Anomalies: []string{"http_response_lost"}}, ""},
		{"none", report.Transaction{Anomalies: []string{"http_body_truncated"}}, "no response"},
		{"lost", report.Transaction{Anomalies: []string{"http_body_truncated", "http_response_lost"}}, "response lost in capture"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.tx.MissingResponse(); got != tc.want {
				t.Fatalf("MissingResponse() = %q, want %q", got, tc.want)
			}
			r := bigReport(1)
			tc.tx.Connection, tc.tx.Method, tc.tx.Target = 1, "GET", "/"
			r.Transactions[0] = tc.tx
			out := writeText(t, r, report.TextOptions{})
			// Without a response, no total or wait time is shown, not 0us.
			line := regexp.MustCompile(`(?m)^  1 +0 +\S+ +GET +(\S+) +(\S+) +(\S+) `).FindStringSubmatch(out)
			if line == nil {
				t.Fatalf("no transaction line:\n%s", out)
			}
			if dashes := line[2] == "-" && line[3] == "-"; dashes != (tc.want != "") {
				t.Errorf("status %s, total %s, wait %s", line[1], line[2], line[3])
			}
			for _, note := range []string{"no response", "response lost in capture"} {
				if got := strings.Contains(out, note); got != (note == tc.want) {
					t.Errorf("text report mentions %q: %v, want %v\n%s", note, got, note == tc.want, out)
				}
			}
			var html bytes.Buffer
			if err := report.WriteHTML(&html, r, report.HTMLOptions{}); err != nil {
				t.Fatal(err)
			}
			if tc.want != "" && !strings.Contains(html.String(), "→ "+tc.want+", send ") {
				t.Errorf("HTML waterfall title lacks %q", tc.want)
			}
			var har bytes.Buffer
			if err := report.WriteHAR(&har, r); err != nil {
				t.Fatal(err)
			}
			comment := `"comment": "` + tc.want + `"`
			if got := strings.Contains(har.String(), `"comment"`); got != (tc.want != "") {
				t.Errorf("HAR has a comment: %v, want %v", got, tc.want != "")
			} else if tc.want != "" && !strings.Contains(har.String(), comment) {
				t.Errorf("HAR lacks %s:\n%s", comment, har.String())
			}
		})
	}
}
