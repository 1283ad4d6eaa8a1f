package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"connscope/report"

	"github.com/spf13/cobra"
)

func run(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

const refused = "../../testdata/pcaps/refused.pcap"

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	notCapture := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notCapture, []byte("Hello, this is not a capture\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		args    []string
		code    int
		errLike string
	}{
		{"ok_text", []string{"analyze", refused}, ExitOK, ""},
		{"ok_json", []string{"analyze", "--format", "json", refused}, ExitOK, ""},
		{"no_args", []string{"analyze"}, ExitUsage, "requires at least 1 arg"},
		{"unknown_flag", []string{"analyze", "--bogus", refused}, ExitUsage, "unknown flag"},
		{"unknown_command", []string{"analyse-this"}, ExitUsage, "unknown command"},
		{"bad_format", []string{"analyze", "--format", "xml", refused}, ExitUsage, "unknown --format"},
		{"bad_port_range", []string{"analyze", "--port-range", "9-1", refused}, ExitUsage, "bad --port-range"},
		{"missing_file", []string{"analyze", filepath.Join(dir, "nope.pcap")}, ExitError, "nope.pcap"},
		{"not_a_capture", []string{"analyze", notCapture}, ExitError, "notes.txt"},
		{"explain_unknown", []string{"explain", "no_such_kind"}, ExitUsage, "unknown finding kind"},
		{"set_unknown", []string{"analyze", "--set", "nagle.bogus=1", refused}, ExitUsage, `unknown parameter "nagle.bogus"`},
		{"set_bad_value", []string{"analyze", "--set", "nagle.epsilon=5", refused}, ExitUsage, "nagle.epsilon: want a positive duration"},
		{"set_no_value", []string{"analyze", "--set", "nagle.epsilon", refused}, ExitUsage, "want NAME=VALUE"},
		{"set_ok", []string{"analyze", "--set", "nagle.epsilon=5ms", "--set", "polling.min_polls=3", refused}, ExitOK, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := run(t, "", c.args...)
			if code != c.code {
				t.Errorf("exit code %d, want %d (stderr %q)", code, c.code, stderr)
			}
			if c.errLike != "" && !strings.Contains(stderr, c.errLike) {
				t.Errorf("stderr %q does not mention %q", stderr, c.errLike)
			}
			if c.code != ExitOK && strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("error is not one line: %q", stderr)
			}
		})
	}
}

func TestAnalyzeJSONFromStdinAndFile(t *testing.T) {
	data, err := os.ReadFile(refused)
	if err != nil {
		t.Fatal(err)
	}
	code, out, stderr := run(t, string(data), "analyze", "--format", "json", "-")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep report.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Summary.TCPConnections != 1 || len(rep.Connections) != 1 || !rep.Connections[0].Close.Refused {
		t.Errorf("stdin report: %d connections, want 1 refused", rep.Summary.TCPConnections)
	}
	if got := rep.Capture.Sources; len(got) != 1 || got[0] != "-" {
		t.Errorf("sources %v, want [-]", got)
	}

	outFile := filepath.Join(t.TempDir(), "r.json")
	code, out, stderr = run(t, "", "analyze", "--format", "json", "-o", outFile, refused)
	if code != ExitOK || out != "" {
		t.Fatalf("exit %d, stdout %q, stderr %s", code, out, stderr)
	}
	written, err := os.ReadFile(outFile)
	if err != nil {
		t.Fatal(err)
	}
	var rep2 report.Report
	if err := json.Unmarshal(written, &rep2); err != nil {
		t.Fatal(err)
	}
	if rep2.Summary.TCPConnections != 1 {
		t.Errorf("file report: %d connections", rep2.Summary.TCPConnections)
	}
	entries, _ := os.ReadDir(filepath.Dir(outFile))
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

// TestDemoShowsEverySection: the embedded demo capture produces every
// section of the text report and a report with connections, transactions,
// findings and peers.
func TestDemoShowsEverySection(t *testing.T) {
	code, out, stderr := run(t, "", "demo")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, section := range []string{"FINDINGS", "PEERS", "CONNECTIONS THAT MATTER", "TRANSACTIONS"} {
		if !strings.Contains(out, section) {
			t.Errorf("demo text report has no %s section", section)
		}
	}
	code, out, _ = run(t, "", "demo", "--format", "json")
	if code != ExitOK {
		t.Fatal(code)
	}
	var rep report.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Connections) < 10 || len(rep.Transactions) < 10 || len(rep.Findings) < 3 || len(rep.Peers) < 1 {
		t.Errorf("demo report too thin: %d connections, %d transactions, %d findings, %d peers",
			len(rep.Connections), len(rep.Transactions), len(rep.Findings), len(rep.Peers))
	}
}

func TestExplainListsEveryKind(t *testing.T) {
	code, out, _ := run(t, "", "explain")
	if code != ExitOK {
		t.Fatal(code)
	}
	for _, kind := range []string{"http_connection_not_reused", "tcp_nagle_delayed_ack_stall", "tcp_time_wait_churn", "tcp_reset"} {
		if !strings.Contains(out, kind) {
			t.Errorf("explain list lacks %s", kind)
		}
		code, text, _ := run(t, "", "explain", kind)
		if code != ExitOK || len(strings.Fields(text)) < 30 {
			t.Errorf("explain %s: exit %d, %d words", kind, code, len(strings.Fields(text)))
		}
	}
}

func TestSchemaAndVersion(t *testing.T) {
	code, out, _ := run(t, "", "schema")
	if code != ExitOK || !json.Valid([]byte(out)) {
		t.Fatalf("schema: exit %d, valid JSON %v", code, json.Valid([]byte(out)))
	}
	code, out, _ = run(t, "", "version")
	if code != ExitOK || !strings.HasPrefix(out, "connscope ") {
		t.Errorf("version: %d %q", code, out)
	}
	code, out, _ = run(t, "", "completion", "bash")
	if code != ExitOK || !strings.Contains(out, "connscope") {
		t.Errorf("completion bash: exit %d", code)
	}
}

// analyzeInto runs analyze --format json with args and decodes the report
// into v.
func analyzeInto(t *testing.T, v any, args ...string) {
	t.Helper()
	code, out, stderr := run(t, "", append([]string{"analyze", "--format", "json"}, args...)...)
	if code != ExitOK {
		t.Fatalf("analyze %v: exit %d: %s", args, code, stderr)
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatal(err)
	}
}

// TestSetThreshold: --set reaches the detector. nagle_on has Nagle stalls
// whose delayed ACKs wait about 40 ms; with the least delayed-ACK delay
// raised above that, none is a stall.
func TestSetThreshold(t *testing.T) {
	const capture = "../../testdata/pcaps/nagle_on.pcap"
	stalls := func(args ...string) int {
		t.Helper()
		var rep struct {
			Findings []struct{ Kind string } `json:"findings"`
		}
		analyzeInto(t, &rep, append(args, capture)...)
		n := 0
		for _, f := range rep.Findings {
			if f.Kind == "tcp_nagle_delayed_ack_stall" {
				n++
			}
		}
		return n
	}
	if n := stalls(); n == 0 {
		t.Fatal("no Nagle stall finding with the default thresholds")
	}
	if n := stalls("--set", "nagle.min_ack_delay=400ms"); n != 0 {
		t.Errorf("%d Nagle stall findings with nagle.min_ack_delay=400ms, want 0", n)
	}
	_, list, _ := run(t, "", "explain", "--params")
	for _, want := range []string{"nagle.min_ack_delay", "20ms", "polling.min_polls", "keepalive.hang_timeout"} {
		if !strings.Contains(list, want) {
			t.Errorf("explain --params lacks %q", want)
		}
	}
}

// TestCloseLinger: --close-linger reaches the tracker. Without a linger a
// closed connection leaves at once, so the last ACK of each wrk
// connection starts a connection of its own (the reason for the default).
func TestCloseLinger(t *testing.T) {
	const capture = "../../testdata/pcaps/wrk_short.pcap.gz"
	conns := func(args ...string) int {
		t.Helper()
		var rep struct {
			Summary struct {
				TCPConnections int `json:"tcp_connections"`
			} `json:"summary"`
		}
		analyzeInto(t, &rep, append(args, capture)...)
		return rep.Summary.TCPConnections
	}
	def, short, none := conns(), conns("--close-linger", "100ms"), conns("--close-linger", "0")
	if def != 193 || short != def {
		t.Errorf("%d connections by default and %d with a 100 ms linger, want 193 both", def, short)
	}
	if none <= def {
		t.Errorf("%d connections without a linger, want more than %d (late ACKs)", none, def)
	}
}

// TestQuietLingerFlag: --quiet-linger reaches the tracker, 0 meaning none.
func TestQuietLingerFlag(t *testing.T) {
	for _, c := range []struct {
		args []string
		want time.Duration
	}{
		{nil, time.Second},
		{[]string{"--quiet-linger", "250ms"}, 250 * time.Millisecond},
		{[]string{"--quiet-linger", "0"}, -1},
	} {
		o := &analyzeOptions{}
		cmd := &cobra.Command{Use: "x"}
		o.register(cmd)
		if err := cmd.Flags().Parse(c.args); err != nil {
			t.Fatal(err)
		}
		cfg, err := o.config()
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Tracker.QuietLinger != c.want {
			t.Errorf("%v: QuietLinger %v, want %v", c.args, cfg.Tracker.QuietLinger, c.want)
		}
	}
}
