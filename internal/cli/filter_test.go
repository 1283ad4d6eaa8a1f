package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// reportCounts is the part of the JSON report the filter tests look at.
type reportCounts struct {
	Capture struct {
		Packets uint64 `json:"packets"`
		Decoded uint64 `json:"decoded_packets"`
	} `json:"capture"`
	Connections []json.RawMessage `json:"connections"`
}

func analyzeJSON(t *testing.T, args ...string) reportCounts {
	t.Helper()
	var r reportCounts
	analyzeInto(t, &r, args...)
	return r
}

// TestAnalyzeFilter: refused.pcap holds one SYN to port 9 and its RST.
func TestAnalyzeFilter(t *testing.T) {
	dir := t.TempDir()
	port9 := filepath.Join(dir, "port9.ddd")
	// tcpdump -y EN10MB -ddd 'tcp dst port 9' (tcpdump 4.99.3): keeps the
	// SYN only.
	ddd := "16\n40 0 0 12\n21 0 4 34525\n48 0 0 20\n21 0 11 6\n40 0 0 56\n21 8 9 9\n21 0 8 2048\n48 0 0 23\n21 0 6 6\n40 0 0 20\n69 4 0 8191\n177 0 0 14\n72 0 0 16\n21 0 1 9\n6 0 0 262144\n6 0 0 0\n"
	if err := os.WriteFile(port9, []byte(ddd), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name             string
		args             []string
		conns            int
		decoded, packets uint64
	}{
		{"no filter", nil, 1, 2, 2},
		{"port 9 keeps the connection", []string{"-f", "tcp port 9"}, 1, 2, 2},
		{"port 1 keeps none", []string{"-f", "tcp port 1"}, 0, 0, 2},
		{"long flag", []string{"--filter", "udp"}, 0, 0, 2},
		{"bpf file", []string{"--bpf-file", port9}, 1, 1, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := analyzeJSON(t, append(tc.args, refused)...)
			if len(r.Connections) != tc.conns || r.Capture.Decoded != tc.decoded || r.Capture.Packets != tc.packets {
				t.Fatalf("connections %d, decoded %d, packets %d; want %d, %d, %d",
					len(r.Connections), r.Capture.Decoded, r.Capture.Packets, tc.conns, tc.decoded, tc.packets)
			}
		})
	}
}

// TestAnalyzeFilterDDDMatchesTcpdump checks the embedded -ddd text against
// the tcpdump on this machine, when there is one.
func TestAnalyzeFilterDDDMatchesTcpdump(t *testing.T) {
	tcpdump, err := exec.LookPath("tcpdump")
	if err != nil {
		t.Skip("tcpdump not installed")
	}
	out, err := exec.Command(tcpdump, "-y", "EN10MB", "-ddd", "tcp dst port 9").Output()
	if err != nil {
		t.Skip("tcpdump cannot compile offline here")
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "p.ddd")
	if err := os.WriteFile(p, out, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := analyzeJSON(t, "--bpf-file", p, refused); r.Capture.Decoded != 1 {
		t.Fatalf("tcpdump's program kept %d packets, want 1", r.Capture.Decoded)
	}
}

func TestAnalyzeFilterErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.ddd")
	if err := os.WriteFile(bad, []byte("2\n6 0 0 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unsupported primitive", []string{"analyze", "-f", "gateway foo", refused}, ExitUsage, `bad --filter: filter: unsupported primitive "gateway" at offset 0`},
		{"syntax", []string{"analyze", "-f", "tcp port", refused}, ExitUsage, "where a value was expected"},
		{"both flags", []string{"analyze", "-f", "tcp", "--bpf-file", bad, refused}, ExitUsage, "if any flags in the group [filter bpf-file]"},
		{"bad ddd", []string{"analyze", "--bpf-file", bad, refused}, ExitError, "its first line says 2"},
		{"missing ddd", []string{"analyze", "--bpf-file", filepath.Join(dir, "none"), refused}, ExitError, "--bpf-file"},
		{"demo filter checked", []string{"demo", "-f", "ether host 1"}, ExitUsage, `unsupported primitive "ether"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := run(t, "", tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d mentioning %q", code, stderr, tc.code, tc.want)
			}
		})
	}
}
