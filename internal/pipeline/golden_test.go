package pipeline_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"connscope/capture"
	"connscope/internal/pipeline"
	"connscope/report"
	"connscope/report/reporttest"
)

var update = flag.Bool("update", false, "rewrite the golden reports in testdata/pcaps")

// captures lists the committed test captures.
func captures(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, pat := range []string{"*.pcap", "*.pcapng", "*.pcap.gz", "*.pcapng.gz"} {
		m, err := filepath.Glob(filepath.Join("..", "..", "testdata", "pcaps", pat))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m...)
	}
	sort.Strings(out)
	if len(out) == 0 {
		t.Fatal("no captures in testdata/pcaps")
	}
	return out
}

func goldenName(path string) string {
	base := path
	for _, ext := range []string{".gz", ".pcapng", ".pcap"} {
		base = strings.TrimSuffix(base, ext)
	}
	return base + ".golden.json"
}

// analyze runs the offline pipeline on one file and renders JSON.
func analyze(t *testing.T, path string) []byte {
	t.Helper()
	js, _ := analyzeWith(t, path, pipeline.RecordLogConfig{}, 2)
	return js
}

// analyzeWith runs the offline pipeline on one file with the given record
// log settings and Config.Workers, and renders JSON and text (with NDJSON
// appended).
func analyzeWith(t *testing.T, path string, rl pipeline.RecordLogConfig, workers int) (js, text []byte) {
	t.Helper()
	src, err := capture.OpenFiles([]string{path}, capture.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	cfg := pipeline.DefaultConfig()
	cfg.RecordLog = rl
	cfg.Workers = workers
	rep, err := pipeline.Run(context.Background(), src, cfg)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	defer rep.Deferred.Close()
	var buf, tbuf bytes.Buffer
	if err := report.WriteJSON(&buf, rep); err != nil {
		t.Fatal(err)
	}
	if err := report.WriteText(&tbuf, rep, report.TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := report.WriteNDJSON(&tbuf, rep); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), tbuf.Bytes()
}

// TestGolden runs every committed capture through the pipeline and compares
// the JSON report with its golden file (go test ./internal/pipeline -run
// Golden -update rewrites them). Each capture is analysed four times: in
// stages (Workers 2, as analyze runs on this many cores or more) and on
// one goroutine (Workers 1), each with the records in the report's lists
// and in a record log that spills to a file every few kilobytes; all must
// give identical JSON, text and NDJSON. Every report validates against
// the schema.
func TestGolden(t *testing.T) {
	for _, path := range captures(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			got, text := analyzeWith(t, path, pipeline.RecordLogConfig{}, 2)
			for _, workers := range []int{2, 1} {
				for _, log := range []bool{false, true} {
					if workers == 2 && !log {
						continue // got, text
					}
					js, txt := analyzeWith(t, path, pipeline.RecordLogConfig{On: log, Memory: 4096, Dir: t.TempDir()}, workers)
					if !bytes.Equal(got, js) {
						t.Fatalf("the run with Workers %d, record log %v gave different JSON", workers, log)
					}
					if !bytes.Equal(text, txt) {
						t.Fatalf("the run with Workers %d, record log %v gave a different text or NDJSON report", workers, log)
					}
				}
			}
			reporttest.Validate(t, got)
			golden := goldenName(path)
			if len(got) > bigGolden {
				// Large reports are kept gzip-compressed.
				golden += ".gz"
			}
			if *update {
				if err := writeGolden(golden, got); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := readGolden(golden)
			if err != nil {
				t.Fatalf("missing golden (run with -update): %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("report differs from %s (run with -update and review the diff)", golden)
			}
		})
	}
}

// bigGolden is the report size above which a golden file is stored
// gzip-compressed.
const bigGolden = 1 << 20

func writeGolden(path string, data []byte) error {
	if !strings.HasSuffix(path, ".gz") {
		return os.WriteFile(path, data, 0o644)
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if _, err := zw.Write(data); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

func readGolden(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil || !strings.HasSuffix(path, ".gz") {
		return data, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}
