package cli

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"connscope/capture"
)

// fakeClock returns a clock the test advances.
func fakeClock() (now func() time.Time, advance func(time.Duration)) {
	t := time.Unix(1_700_000_000, 0)
	return func() time.Time { return t }, func(d time.Duration) { t = t.Add(d) }
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestProgressLine(t *testing.T) {
	plain := writeFile(t, "a.pcap", make([]byte, 1<<20))
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(make([]byte, 4096))
	zw.Close()
	zipped := writeFile(t, "a.pcap.gz", gz.Bytes())
	for _, tc := range []struct {
		name  string
		files []string
		st    capture.Stats
		el    time.Duration
		want  []string
	}{
		{"pcap_half", []string{plain}, capture.Stats{Packets: 16384, Bytes: 1<<19 - 16384*16, Formats: []string{"pcap"}}, 2 * time.Second,
			[]string{"512.0 KiB / 1.0 MiB (50%)", "8.2k packets/s", "ETA 2s"}},
		{"pcapng_overhead", []string{plain}, capture.Stats{Packets: 1024, Bytes: 1<<20 - 1024*34, Formats: []string{"pcapng"}}, time.Second,
			[]string{"(100%)", "ETA 0s"}},
		{"gzip_no_total", []string{zipped}, capture.Stats{Packets: 3_000_000, Bytes: 300 << 20, Formats: []string{"pcap"}}, 2 * time.Second,
			[]string{"300.0 MiB read", "3000000 packets", "1.50M packets/s"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now, _ := fakeClock()
			p := newProgress(io.Discard, tc.files, now)
			got := p.line(tc.st, tc.el)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("line %q lacks %q", got, w)
				}
			}
			if tc.files[0] == zipped && strings.Contains(got, "ETA") {
				t.Errorf("gzip line %q shows an ETA", got)
			}
		})
	}
}

func TestProgressTick(t *testing.T) {
	file := writeFile(t, "a.pcap", make([]byte, 1000))
	for _, tc := range []struct {
		name      string
		steps     []time.Duration // advance before each non-final tick
		wantDrawn int
	}{
		{"short_run_silent", []time.Duration{100 * time.Millisecond, 500 * time.Millisecond}, 0},
		{"long_run_drawn", []time.Duration{900 * time.Millisecond, 200 * time.Millisecond, 100 * time.Millisecond, 300 * time.Millisecond}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now, advance := fakeClock()
			var out bytes.Buffer
			st := capture.Stats{Packets: 10, Bytes: 500, Formats: []string{"pcap"}}
			p := newProgress(&out, []string{file}, now)
			for _, d := range tc.steps {
				advance(d)
				p.tick(st, false)
			}
			if got := strings.Count(out.String(), "connscope:"); got != tc.wantDrawn {
				t.Errorf("drawn %d times, want %d: %q", got, tc.wantDrawn, out.String())
			}
			before := out.Len()
			p.tick(st, true)
			erased := out.Len() > before
			if erased != (tc.wantDrawn > 0) {
				t.Errorf("final tick erased=%v, want %v", erased, tc.wantDrawn > 0)
			}
		})
	}
}

func TestProgressHookOff(t *testing.T) {
	file := writeFile(t, "a.pcap", make([]byte, 10))
	tty, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	for _, tc := range []struct {
		name   string
		off    bool
		stderr io.Writer
		files  []string
	}{
		{"no_progress_flag", true, tty, []string{file}},
		{"stderr_pipe_or_buffer", false, &bytes.Buffer{}, []string{file}},
		{"stdin_input", false, tty, []string{"-"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := &progressOptions{off: tc.off}
			if o.hook(tc.files, tc.stderr) != nil {
				t.Error("progress enabled")
			}
		})
	}
	// A character device with the flag unset and a file input does get a hook.
	if (&progressOptions{}).hook([]string{file}, tty) == nil {
		t.Error("no progress on a character device")
	}
}

func TestAnalyzeNoProgressInPipes(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := Main([]string{"analyze", "--format", "json", filepath.Join("..", "..", "testdata", "pcaps", "curl_reuse.pcap")}, nil, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr not empty when not a terminal: %q", stderr.String())
	}
	if code := Main([]string{"analyze", "--no-progress", "--format", "json", "-o", filepath.Join(t.TempDir(), "r.json"),
		filepath.Join("..", "..", "testdata", "pcaps", "curl_reuse.pcap")}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("--no-progress: exit %d: %s", code, stderr.String())
	}
}

func TestOutputToDeviceKeepsDevice(t *testing.T) {
	st, err := os.Stat(os.DevNull)
	if err != nil || st.Mode()&os.ModeCharDevice == 0 {
		t.Skip("no character device /dev/null here")
	}
	var stdout, stderr bytes.Buffer
	if code := Main([]string{"analyze", "--format", "json", "-o", os.DevNull,
		filepath.Join("..", "..", "testdata", "pcaps", "curl_reuse.pcap")}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	st, err = os.Stat(os.DevNull)
	if err != nil || st.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("-o %s replaced the device: mode %v, err %v", os.DevNull, st.Mode(), err)
	}
}
