package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"connscope/internal/hostile"
	"connscope/internal/pcapgen"
	"connscope/report"
	"connscope/report/reporttest"
)

// packetsPerExchange is the number of packets of one smallCapture
// connection: handshake, request, response, FIN, FIN, ACK.
const packetsPerExchange = 8

// smallCapture returns a capture of n HTTP exchanges, each on its own
// connection.
func smallCapture(t *testing.T, n int) []byte {
	t.Helper()
	w := pcapgen.New(pcapgen.Options{Format: pcapgen.PcapMicro, Link: pcapgen.Ethernet})
	now := time.Unix(1700000000, 0)
	for i := range n {
		c := pcapgen.NewConn(w, netip.AddrPortFrom(netip.MustParseAddr("192.0.2.1"), uint16(30000+i)), netip.MustParseAddrPort("192.0.2.2:80"), now)
		c.Handshake()
		c.ClientSend([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
		c.ServerSend([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
		c.Close()
		now = c.Now
	}
	return w.Bytes()
}

// listDir returns the names in dir, sorted.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// TestWriteFileAtomic: a writer that fails part-way leaves neither a
// partial report nor a temporary file, and an existing report is kept
// intact; a successful write replaces it whole.
func TestWriteFileAtomic(t *testing.T) {
	boom := errors.New("disk full")
	cases := []struct {
		name     string
		existing string // content already at the path ("" none)
		write    func(w io.Writer) error
		wantErr  bool
		want     string // content at the path afterwards ("" none)
	}{
		{"fail_midway_new_file", "", func(w io.Writer) error { io.WriteString(w, `{"partial":`); return boom }, true, ""},
		{"fail_midway_keeps_old", "old report\n", func(w io.Writer) error { io.WriteString(w, `{"partial":`); return boom }, true, "old report\n"},
		{"fail_before_writing", "", func(io.Writer) error { return boom }, true, ""},
		{"success_replaces", "old report\n", func(w io.Writer) error { _, err := io.WriteString(w, "new report\n"); return err }, false, "new report\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "report.json")
			if c.existing != "" {
				if err := os.WriteFile(path, []byte(c.existing), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			err := writeFileAtomic(path, c.write)
			if (err != nil) != c.wantErr {
				t.Fatalf("err = %v, want error %v", err, c.wantErr)
			}
			if err != nil && (!errors.Is(err, boom) || !strings.Contains(err.Error(), "report.json")) {
				t.Errorf("error %q should wrap the cause and name the file", err)
			}
			got, rerr := os.ReadFile(path)
			switch {
			case c.want == "" && rerr == nil:
				t.Errorf("a file was left at the path: %q", got)
			case c.want != "" && string(got) != c.want:
				t.Errorf("path holds %q, want %q", got, c.want)
			}
			names := listDir(t, dir)
			for _, n := range names {
				if n != "report.json" {
					t.Errorf("temporary file left behind: %s", n)
				}
			}
		})
	}
}

// TestOutputFileEndToEnd: -o into a directory that does not exist fails
// with exit code 1 and leaves nothing; -o into a good path writes the
// whole report and no temporary file.
func TestOutputFileEndToEnd(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.pcap")
	if err := os.WriteFile(in, smallCapture(t, 3), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out", "report.json")
	if code, _, stderr := run(t, "", "analyze", "--format", "json", "-o", out, in); code != ExitError || !strings.Contains(stderr, "report.json") {
		t.Errorf("missing directory: exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(filepath.Dir(out)); !os.IsNotExist(err) {
		t.Errorf("output directory created: %v", err)
	}
	out = filepath.Join(dir, "report.json")
	if code, _, stderr := run(t, "", "analyze", "--format", "json", "-o", out, in); code != ExitOK {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	reporttest.Validate(t, b)
	if names := listDir(t, dir); len(names) != 2 {
		t.Errorf("directory holds %v, want the input and the report", names)
	}
}

// TestTruncatedAndCorruptCaptures: a capture cut in the middle of a record
// still gives a complete report with capture_truncated_file and exit code
// 0; a record whose header is corrupt (a 4 GiB length) ends the read with
// exit code 1, after the report of the packets before it was written.
func TestTruncatedAndCorruptCaptures(t *testing.T) {
	dir := t.TempDir()
	full := smallCapture(t, 3)
	var corrupt bytes.Buffer
	if err := hostile.Write(&corrupt, hostile.PcapHugeRecord, 0); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		data    []byte
		code    int
		anomaly string
		packets uint64
	}{
		{"cut_in_record", full[:len(full)-10], ExitOK, "capture_truncated_file", 3*packetsPerExchange - 1},
		{"cut_in_record_header", full[:len(full)-60], ExitOK, "capture_truncated_file", 3*packetsPerExchange - 1},
		{"corrupt_record_length", corrupt.Bytes(), ExitError, "", 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := filepath.Join(dir, c.name+".pcap")
			if err := os.WriteFile(in, c.data, 0o644); err != nil {
				t.Fatal(err)
			}
			code, stdout, stderr := run(t, "", "analyze", "--format", "json", in)
			if code != c.code {
				t.Fatalf("exit %d, want %d; stderr %q", code, c.code, stderr)
			}
			if code != ExitOK && (strings.Count(strings.TrimSpace(stderr), "\n") != 0 || !strings.Contains(stderr, c.name)) {
				t.Errorf("error %q: want one line naming the file", stderr)
			}
			reporttest.Validate(t, []byte(stdout))
			var rep report.Report
			if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
				t.Fatal(err)
			}
			if c.anomaly != "" && rep.Capture.Anomalies[c.anomaly] == 0 {
				t.Errorf("anomaly %s not counted: %v", c.anomaly, rep.Capture.Anomalies)
			}
			if c.packets != 0 && rep.Capture.Packets != c.packets {
				t.Errorf("%d packets in the report, want %d", rep.Capture.Packets, c.packets)
			}
		})
	}
}

// buildBinary builds cmd/connscope into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "connscope")
	cmd := exec.Command("go", "build", "-o", bin, "connscope/cmd/connscope")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestSignalWritesReport runs the built binary and signals it part-way:
// on a stdin pipe that stays open with no more data (the blocked read is
// stopped), and on a large capture file written to -o. Each run must exit
// with code 0 within a few seconds and leave a complete, valid report
// marked "interrupted": true.
func TestSignalWritesReport(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	big := filepath.Join(dir, "big.pcap")
	bigOnce := func() {
		if _, err := os.Stat(big); err == nil {
			return
		}
		f, err := os.Create(big)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		// About 12 s of work on one core: long enough to be signalled.
		if err := hostile.Write(f, hostile.SYNFlood, 600_000); err != nil {
			t.Fatal(err)
		}
	}
	head := smallCapture(t, 5)
	cases := []struct {
		name  string
		sig   syscall.Signal
		stdin bool // feed head through a pipe that stays open
		args  []string
	}{
		{"sigint_stdin_pipe", syscall.SIGINT, true, []string{"analyze", "--format", "json", "-"}},
		{"sigterm_stdin_pipe", syscall.SIGTERM, true, []string{"analyze", "--format", "json", "-"}},
		{"sigint_large_file_to_output", syscall.SIGINT, false, []string{"analyze", "--format", "json", "-o", filepath.Join(dir, "out.json"), big}},
		{"sigterm_large_file_stdout", syscall.SIGTERM, false, []string{"analyze", "--format", "json", big}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !c.stdin {
				bigOnce()
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, c.args...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			var (
				pw  io.WriteCloser
				err error
			)
			if c.stdin {
				if pw, err = cmd.StdinPipe(); err != nil {
					t.Fatal(err)
				}
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			if c.stdin {
				if _, err := pw.Write(head); err != nil {
					t.Fatal(err)
				}
				defer pw.Close() // only after the process is gone
			}
			time.Sleep(700 * time.Millisecond)
			sent := time.Now()
			if err := cmd.Process.Signal(c.sig); err != nil {
				t.Fatalf("signal: %v (the run ended before it)", err)
			}
			err = cmd.Wait()
			if ctx.Err() != nil {
				t.Fatalf("no exit within the deadline after %v", c.sig)
			}
			if err != nil {
				t.Fatalf("exit: %v; stderr %q", err, stderr.String())
			}
			t.Logf("exited %v after the signal", time.Since(sent).Round(time.Millisecond))
			out := stdout.Bytes()
			for i, a := range c.args {
				if a == "-o" {
					if out, err = os.ReadFile(c.args[i+1]); err != nil {
						t.Fatal(err)
					}
				}
			}
			reporttest.Validate(t, out)
			var rep report.Report
			if err := json.Unmarshal(out, &rep); err != nil {
				t.Fatal(err)
			}
			if !rep.Interrupted {
				t.Errorf("report not marked interrupted (%d packets read)", rep.Capture.Packets)
			}
			if c.stdin && rep.Capture.Packets != 5*packetsPerExchange {
				t.Errorf("%d packets in the report, want the %d written", rep.Capture.Packets, 5*packetsPerExchange)
			}
			if !strings.Contains(stderr.String(), "interrupted") {
				t.Errorf("stderr %q does not say the run was interrupted", stderr.String())
			}
		})
	}
}
