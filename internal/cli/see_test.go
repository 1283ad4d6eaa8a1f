package cli

import (
	"encoding/json"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"connscope/capture"
	"connscope/report"
)

// labCapture returns the path of a committed lab capture, skipping when it
// is absent.
func labCapture(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join("..", "..", "testdata", "pcaps", name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("capture %s not present: %v", name, err)
	}
	return p
}

// TestAnnotate writes annotated pcapng copies of two lab captures and reads
// them back: every record is kept, and tshark sees one comment on each
// packet a finding points at.
func TestAnnotate(t *testing.T) {
	tests := []struct {
		name     string
		file     string
		kind     string
		tcpLen   string // tcp.len of the commented packet
		commPkts int
	}{
		// The first stall's 64-byte header segment (testdata/pcaps/README.md).
		{"nagle stall", "nagle_on.pcap", "tcp_nagle_delayed_ack_stall", "64", 1},
		// The server's FIN that ends the 100-byte body after 5 bytes.
		{"truncated body", "truncated_cl.pcap", "http_truncated_body", "0", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := labCapture(t, tc.file)
			dir := t.TempDir()
			out := filepath.Join(dir, "out.pcapng")
			js := filepath.Join(dir, "r.json")
			code, _, stderr := run(t, "", "analyze", "--format", "json", "-o", js, "--annotate", out, in)
			if code != ExitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if !strings.Contains(stderr, "annotated ") {
				t.Errorf("stderr lacks the annotation note: %q", stderr)
			}
			var rep report.Report
			b, err := os.ReadFile(js)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &rep); err != nil {
				t.Fatal(err)
			}
			// Every record is copied.
			a, b2 := countRecords(t, in), countRecords(t, out)
			if a != b2 || a == 0 {
				t.Fatalf("annotated file has %d records, input %d", b2, a)
			}
			tshark, err := exec.LookPath("tshark")
			if err != nil {
				t.Skip("tshark not installed")
			}
			cmd := exec.Command(tshark, "-r", out, "-Y", "frame.comment", "-T", "fields", "-E", "separator=|", "-e", "tcp.len", "-e", "frame.comment")
			res, err := cmd.Output()
			if err != nil {
				t.Fatalf("tshark: %v", err)
			}
			lines := strings.Split(strings.TrimSpace(string(res)), "\n")
			if len(lines) != tc.commPkts {
				t.Fatalf("tshark shows %d commented packets, want %d:\n%s", len(lines), tc.commPkts, res)
			}
			f := strings.SplitN(lines[0], "|", 2)
			if len(f) != 2 || f[0] != tc.tcpLen || !strings.HasPrefix(f[1], "connscope: "+tc.kind+": ") {
				t.Errorf("commented packet: %q, want tcp.len %s and a %s comment", lines[0], tc.tcpLen, tc.kind)
			}
			for _, fd := range rep.Findings {
				if fd.Kind == tc.kind && !strings.Contains(f[len(f)-1], fd.Summary) {
					t.Errorf("comment %q lacks the summary %q", f[len(f)-1], fd.Summary)
				}
			}
		})
	}
}

func countRecords(t *testing.T, path string) int {
	t.Helper()
	src, err := capture.OpenFiles([]string{path}, capture.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	for {
		if _, err := src.Next(); err != nil {
			break
		}
	}
	return int(src.Stats().Packets)
}

func TestAnnotateRefusesStdin(t *testing.T) {
	code, _, stderr := run(t, "", "analyze", "--annotate", filepath.Join(t.TempDir(), "x.pcapng"), "-")
	if code != ExitUsage || !strings.Contains(stderr, "standard input") {
		t.Fatalf("exit %d, stderr %q; want a usage error about standard input", code, stderr)
	}
}

func TestHTMLFormat(t *testing.T) {
	in := labCapture(t, "nagle_on.pcap")
	code, out, stderr := run(t, "", "analyze", "--format", "html", in)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"<!DOCTYPE html>", `id="graph-1"`, `class="band stall"`, "tcp_nagle_delayed_ack_stall"} {
		if !strings.Contains(out, want) {
			t.Errorf("html lacks %q", want)
		}
	}
	code, _, stderr = run(t, "", "analyze", "--format", "html", "--max-graphs", "0", in)
	if code != ExitUsage {
		t.Errorf("--max-graphs 0: exit %d (%s), want usage", code, stderr)
	}
}

// TestHTMLScreenshot renders HTML reports of a capture with many
// connections and of one with stalls in headless Chromium through
// scripts/html-screenshot.sh and checks the screenshots are not blank.
// It skips without Chromium and in -short mode (a render takes seconds).
func TestHTMLScreenshot(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	found := false
	for _, b := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if _, err := exec.LookPath(b); err == nil {
			found = true
		}
	}
	if !found && os.Getenv("CHROMIUM") == "" {
		t.Skip("chromium not installed")
	}
	script, err := filepath.Abs(filepath.Join("..", "..", "scripts", "html-screenshot.sh"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"parallel6.pcap.gz", "nagle_on.pcap"} {
		t.Run(name, func(t *testing.T) {
			in := labCapture(t, name)
			dir := t.TempDir()
			page := filepath.Join(dir, "report.html")
			if code, _, stderr := run(t, "", "analyze", "--format", "html", "-o", page, in); code != ExitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			shot := filepath.Join(dir, "shot.png")
			if out, err := exec.Command(script, page, shot, "1400,2000").CombinedOutput(); err != nil {
				t.Fatalf("%s: %v\n%s", script, err, out)
			}
			f, err := os.Open(shot)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			img, err := png.Decode(f)
			if err != nil {
				t.Fatalf("decode screenshot: %v", err)
			}
			bd := img.Bounds()
			if bd.Dx() != 1400 || bd.Dy() != 2000 {
				t.Fatalf("screenshot is %v, want 1400x2000", bd)
			}
			colours := map[uint32]bool{}
			nonWhite := 0
			for y := bd.Min.Y; y < bd.Max.Y; y += 2 {
				for x := bd.Min.X; x < bd.Max.X; x += 2 {
					r, g, b, _ := img.At(x, y).RGBA()
					colours[(r>>11)<<10|(g>>11)<<5|b>>11] = true
					if r < 0xf000 || g < 0xf000 || b < 0xf000 {
						nonWhite++
					}
				}
			}
			total := (bd.Dx() / 2) * (bd.Dy() / 2)
			// Text, phase bars and graph lines give dozens of colours and a
			// few percent of non-white pixels; a blank or error page does not.
			if len(colours) < 24 || nonWhite < total/50 {
				t.Errorf("screenshot looks blank: %d colours, %d of %d sampled pixels not white", len(colours), nonWhite, total)
			}
		})
	}
}
