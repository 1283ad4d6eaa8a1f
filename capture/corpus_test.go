package capture_test

import (
	"bufio"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"connscope/capture"
	"connscope/internal/corpus"
)

type manifestRow struct {
	file, linkType string
	packets        int // -1 when unknown
}

func readManifest(t *testing.T, dir string) []manifestRow {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "MANIFEST.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []manifestRow
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for first := true; sc.Scan(); first = false {
		if first {
			continue
		}
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 7 || cols[5] == "-" {
			continue
		}
		n, err := strconv.Atoi(cols[6])
		if err != nil {
			n = -1
		}
		rows = append(rows, manifestRow{file: cols[0], linkType: cols[5], packets: n})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// expectedRefusals lists the libpcap files libpcap refuses
// (libpcap/EXPECTED_ERRORS.tsv); we refuse the same ones, including
// pcap-invalid-version-2.pcap, which Wireshark accepts.
func expectedRefusals(t *testing.T, dir string) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "libpcap", "EXPECTED_ERRORS.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]bool{}
	for i, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		cols := strings.SplitN(line, "\t", 2)
		if i == 0 || len(cols) < 2 || strings.HasPrefix(cols[1], "opens normally") {
			continue
		}
		m["libpcap/"+cols[0]] = true
	}
	return m
}

// drain reads s to the end and returns the error that ended it (nil at
// io.EOF).
func drain(s capture.Source) error {
	for {
		p, err := s.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if len(p.Payload) > p.PayloadLen {
			return errors.New("payload longer than PayloadLen")
		}
	}
}

const corpusFileTimeLimit = 20 * time.Second

// TestCorpus opens every capture listed in the corpus manifest and reads it
// to the end. Checks:
//   - files libpcap refuses are refused with an error naming the file;
//   - every other capture opens (link types we do not decode are counted,
//     not refused) and reads to the end without a decode panic, within a
//     time bound;
//   - where the file read cleanly (no read error, no truncation), the record
//     count equals the manifest's capinfos packet count.
func TestCorpus(t *testing.T) {
	dir := corpus.Dir(t)
	rows := readManifest(t, dir)
	refuse := expectedRefusals(t, dir)
	var opened, refused, readErrors int
	var records, decoded uint64
	reasons := map[string]int{}
	anomalies := map[string]uint64{}
	linkTypes := map[string]int{}
	for _, row := range rows {
		t.Run(row.file, func(t *testing.T) {
			path := filepath.Join(dir, row.file)
			start := time.Now()
			src, err := capture.OpenFiles([]string{path}, capture.Options{})
			if err != nil {
				refused++
				reason := err.Error()
				if i := strings.LastIndex(reason, `": `); i >= 0 {
					reason = reason[i+3:]
				}
				reason = regexp.MustCompile(`[0-9]+`).ReplaceAllString(reason, "N")
				reasons[reason]++
				if !strings.Contains(err.Error(), filepath.Base(path)) || strings.Contains(err.Error(), "\n") {
					t.Errorf("error %q: want one line naming the file", err)
				}
				if !refuse[row.file] && row.linkType != "unreadable" {
					t.Errorf("refused a readable capture: %v", err)
				}
				return
			}
			defer src.Close()
			opened++
			if refuse[row.file] {
				t.Errorf("opened a file libpcap refuses")
			}
			rerr := drain(src)
			st := src.Stats()
			records += st.Packets
			decoded += st.Decoded
			for k, v := range st.Anomalies {
				anomalies[k] += v
			}
			for _, l := range st.LinkTypes {
				linkTypes[l]++
			}
			if d := time.Since(start); d > corpusFileTimeLimit {
				t.Errorf("took %v, limit %v", d, corpusFileTimeLimit)
			}
			if st.Anomalies[capture.AnomalyDecodePanic] != 0 {
				t.Errorf("decode panics: %d", st.Anomalies[capture.AnomalyDecodePanic])
			}
			if rerr != nil {
				readErrors++
				t.Logf("read error after %d records: %v", st.Packets, rerr)
				return
			}
			if st.Anomalies[capture.AnomalyCaptureTruncatedFile] == 0 && row.packets >= 0 && int(st.Packets) != row.packets {
				t.Errorf("read %d records, manifest says %d", st.Packets, row.packets)
			}
		})
	}
	keys := make([]string, 0, len(reasons))
	for k := range reasons {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	t.Logf("corpus: %d captures opened, %d refused, %d ended with a read error", opened, refused, readErrors)
	for _, k := range keys {
		t.Logf("  refused %d× %s", reasons[k], k)
	}
	t.Logf("corpus: %d records, %d decoded as TCP/UDP", records, decoded)
	t.Logf("corpus anomalies: %v", anomalies)
	t.Logf("corpus link types: %v", linkTypes)
}

// blockCounts parses the "Block counts:" section of a pcapng-test-generator
// description.
func blockCounts(t *testing.T, path string) map[string]int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]int{}
	re := regexp.MustCompile(`(?m)^\s+([A-Z]+):\s+([0-9]+)\s*$`)
	for _, mm := range re.FindAllStringSubmatch(string(b), -1) {
		n, _ := strconv.Atoi(mm[2])
		m[mm[1]] = n
	}
	return m
}

// TestCorpusPcapngGenerator checks the pcapng-test-generator files against
// their .txt descriptions: the number of records read equals the number of
// packet blocks (EPB + SPB + obsolete PB), and Stats.Interfaces equals the
// number of Interface Description Blocks, over all sections. Both byte
// orders are covered.
func TestCorpusPcapngGenerator(t *testing.T) {
	dir := corpus.Dir(t)
	var checked int
	for _, row := range readManifest(t, dir) {
		if !strings.HasPrefix(row.file, "pcapng-test-generator/") || !strings.HasSuffix(row.file, ".pcapng") {
			continue
		}
		t.Run(row.file, func(t *testing.T) {
			path := filepath.Join(dir, row.file)
			want := blockCounts(t, strings.TrimSuffix(path, ".pcapng")+".txt")
			src, err := capture.OpenFiles([]string{path}, capture.Options{})
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			defer src.Close()
			if err := drain(src); err != nil {
				t.Fatalf("read: %v", err)
			}
			st := src.Stats()
			if got, w := int(st.Packets), want["EPB"]+want["SPB"]+want["PB"]; got != w {
				t.Errorf("records = %d, want %d (EPB+SPB+PB)", got, w)
			}
			if got, w := int(st.Interfaces), want["IDB"]; got != w {
				t.Errorf("interfaces = %d, want %d (IDB)", got, w)
			}
			checked++
		})
	}
	if checked == 0 {
		t.Error("no pcapng-test-generator files checked")
	}
}
