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
	js, _ := analyzeWith(t, path, pipeline.RecordLogConfig{}, false)
	return js
}

// analyzeWith runs the offline pipeline on one file with the given record
// log settings, the analysers on the pipeline's goroutine when inline, and
// renders JSON and text (with NDJSON appended).
func analyzeWith(t *testing.T, path string, rl pipeline.RecordLogConfig, inline bool) (js, text []byte) {
	t.Helper()
	src, err := capture.OpenFiles([]string{path}, capture.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	cfg := pipeline.DefaultConfig()
	cfg.RecordLog = rl
	cfg.InlineAnalysis = inline
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
// Golden -update rewrites them). Each capture is analysed three times: with
// the analysers on their own goroutine (as analyze runs by default), on the
// pipeline's, and on their own with the records in a record log that
// spills to a file every few kilobytes; all must give identical JSON, text
// and NDJSON. Every report validates against the schema.
func TestGolden(t *testing.T) {
	for _, path := range captures(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			got, text := analyzeWith(t, path, pipeline.RecordLogConfig{}, false)
			inline, textInline := analyzeWith(t, path, pipeline.RecordLogConfig{}, true)
			if !bytes.Equal(got, inline) || !bytes.Equal(text, textInline) {
				t.Fatal("the run with the analysers on the pipeline's goroutine gave a different report")
			}
			again, textAgain := analyzeWith(t, path, pipeline.RecordLogConfig{On: true, Memory: 4096, Dir: t.TempDir()}, false)
			if !bytes.Equal(got, again) {
				t.Fatal("the run with a record log gave different JSON")
			}
			if !bytes.Equal(text, textAgain) {
				t.Fatal("the run with a record log gave a different text or NDJSON report")
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
