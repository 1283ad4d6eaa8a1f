package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"connscope/internal/hostile"
	"connscope/report"
)

func TestParseSize(t *testing.T) {
	cases := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"65536", 65536, true},
		{"64KiB", 64 << 10, true},
		{"64k", 64 << 10, true},
		{"256MiB", 256 << 20, true},
		{"2 GB", 2 << 30, true},
		{"1b", 1, true},
		{"", 0, false},
		{"KiB", 0, false},
		{"12XB", 0, false},
		{"-1", 0, false},
		{"99999999999999999999", 0, false},
		{"9999999999G", 0, false},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			got, err := parseSize(c.in)
			if (err == nil) != c.ok || (c.ok && got != c.want) {
				t.Errorf("parseSize(%q) = %d, %v; want %d ok=%v", c.in, got, err, c.want, c.ok)
			}
		})
	}
}

// TestLimitFlags: each limit flag reaches its stage, hitting it is the
// named anomaly in the report, and bad values are usage errors.
func TestLimitFlags(t *testing.T) {
	dir := t.TempDir()
	write := func(k hostile.Kind, n int) string {
		var b bytes.Buffer
		if err := hostile.Write(&b, k, n); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, string(k)+".pcap")
		if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	syn := write(hostile.SYNFlood, 300)
	heads := write(hostile.EndlessHeaders, 40_000)
	overlap := write(hostile.OverlapFlood, 400)
	cases := []struct {
		name    string
		args    []string
		code    int
		anomaly string
	}{
		{"max_conns", []string{"--max-conns", "10", syn}, ExitOK, "tcp_conn_limit"},
		{"max_peers", []string{"--max-peers", "5", syn}, ExitOK, "analysis_peer_limit"},
		{"max_header_bytes", []string{"--max-header-bytes", "16KiB", heads}, ExitOK, "http_header_too_large"},
		{"max_header_bytes_default_fits", []string{heads}, ExitOK, ""},
		{"max_buffer_per_conn", []string{"--max-buffer-per-conn", "8KiB", overlap}, ExitOK, "tcp_ooo_buffer_limit"},
		{"max_buffer_total", []string{"--max-buffer", "20KiB", overlap}, ExitOK, "tcp_ooo_total_limit"},
		{"max_memory", []string{"--max-memory", "512MiB", syn}, ExitOK, ""},
		{"bad_max_buffer", []string{"--max-buffer", "lots", syn}, ExitUsage, ""},
		{"zero_header_bytes", []string{"--max-header-bytes", "0", syn}, ExitUsage, ""},
		{"bad_max_peers", []string{"--max-peers", "0", syn}, ExitUsage, ""},
		{"bad_max_memory", []string{"--max-memory", "1ZB", syn}, ExitUsage, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := run(t, "", append([]string{"analyze", "--format", "json"}, c.args...)...)
			if code != c.code {
				t.Fatalf("exit %d, want %d; stderr %q", code, c.code, stderr)
			}
			if code != ExitOK {
				return
			}
			var rep report.Report
			if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
				t.Fatal(err)
			}
			if c.anomaly != "" && rep.Capture.Anomalies[c.anomaly] == 0 {
				t.Errorf("anomaly %s not counted: %v", c.anomaly, rep.Capture.Anomalies)
			}
			if c.anomaly == "" && rep.Capture.Anomalies["http_header_too_large"] != 0 {
				t.Errorf("limit hit with the defaults: %v", rep.Capture.Anomalies)
			}
		})
	}
}

// TestWorkersFlag: --workers 1 (one goroutine), 2 (stages) and the default
// write the same JSON and NDJSON; a negative count is a usage error; the
// run is held to the cores asked for and GOMAXPROCS is restored after it.
func TestWorkersFlag(t *testing.T) {
	const capture = "../../testdata/pcaps/wrk_short.pcap.gz"
	for _, format := range []string{"json", "ndjson"} {
		_, want, _ := run(t, "", "analyze", "--format", format, capture)
		if len(want) < 1000 {
			t.Fatalf("%s report of %d bytes", format, len(want))
		}
		for _, w := range []string{"1", "2"} {
			code, got, stderr := run(t, "", "analyze", "--format", format, "--workers", w, capture)
			if code != ExitOK || got != want {
				t.Errorf("--workers %s --format %s: exit %d, same report %v; stderr %q", w, format, code, got == want, stderr)
			}
		}
	}
	if code, _, _ := run(t, "", "analyze", "--workers", "-1", capture); code != ExitUsage {
		t.Errorf("--workers -1: exit %d, want %d", code, ExitUsage)
	}

	prev := runtime.GOMAXPROCS(0)
	l := limitOptions{workers: 1}
	restore, err := l.setRuntime()
	if err != nil {
		t.Fatal(err)
	}
	if got := runtime.GOMAXPROCS(0); got != 1 {
		t.Errorf("GOMAXPROCS %d during a --workers 1 run", got)
	}
	restore()
	if got := runtime.GOMAXPROCS(0); got != prev {
		t.Errorf("GOMAXPROCS %d after the run, was %d", got, prev)
	}
}
