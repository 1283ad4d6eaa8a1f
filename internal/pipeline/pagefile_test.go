package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"connscope/capture"
	"connscope/internal/pcapgen"
	"connscope/report"
)

// TestPageFile: pages come back as they were put, from the file or, when
// it cannot be created, from memory; a page that cannot be read back is
// missing and Err says so.
func TestPageFile(t *testing.T) {
	pages := [][]byte{bytes.Repeat([]byte("a"), 70000), []byte("b"), bytes.Repeat([]byte("cd"), 9000)}
	for _, dir := range []string{t.TempDir(), filepath.Join(t.TempDir(), "missing")} {
		p := newPageFile(dir)
		var refs []int64
		for _, pg := range pages {
			scratch := slices.Clone(pg)
			refs = append(refs, p.Put(scratch))
			scratch[0] = 'x' // Put copied it
		}
		for i, ref := range refs {
			got := p.Load([]byte("pre"), ref)
			if want := "pre" + string(pages[i]); string(got) != want {
				t.Fatalf("%s: page %d: %d bytes back, want %d", dir, i, len(got), len(want))
			}
		}
		if missing := strings.HasSuffix(dir, "missing"); p.inMemory() != missing || (p.f == nil) != missing {
			t.Fatalf("%s: in memory %v, file %v", dir, p.inMemory(), p.f != nil)
		}
		if p.Err() != nil {
			t.Fatal(p.Err())
		}
		p.Close()
		got := p.Load(nil, refs[0])
		if p.inMemory() {
			if len(got) != len(pages[0]) {
				t.Fatalf("a page in memory: %d bytes after Close", len(got))
			}
			continue
		}
		if len(got) != 0 || p.Err() == nil {
			t.Fatalf("a page read from the closed file: %d bytes, error %v", len(got), p.Err())
		}
	}
}

// manyConnsCapture is n short HTTP connections of one client to one
// server, a millisecond or two apart and of varied lengths: enough rows
// (and varied enough ones) for the reuse and timewait histories to fill
// pages.
func manyConnsCapture(t *testing.T, n int) []byte {
	t.Helper()
	w := pcapgen.New(pcapgen.Options{Format: pcapgen.PcapMicro, Link: pcapgen.Ethernet})
	start := time.Unix(1700000000, 0)
	for i := range n {
		c := pcapgen.NewConn(w, netip.AddrPortFrom(netip.MustParseAddr("192.0.2.1"), uint16(33000+i%25000)),
			netip.MustParseAddrPort("192.0.2.2:80"), start.Add(time.Duration(i)*time.Millisecond+time.Duration(i*7919%1000)*time.Microsecond))
		for _, err := range []error{
			c.Handshake(time.Duration(50+i*104729%400) * time.Microsecond),
			c.ClientSend([]byte("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")),
			c.ServerSend([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")),
			c.Close(),
		} {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	return w.Bytes()
}

// countingPages counts the pages put into a pageFile.
type countingPages struct {
	*pageFile
	puts int
}

func (c *countingPages) Put(page []byte) int64 { c.puts++; return c.pageFile.Put(page) }

// TestHistoryPages: with a record log, the analysers' full history pages
// go to the page file and the report is the one of a run that keeps them
// in memory; when the spill directory cannot be used the pages stay in
// memory, the report says so in an anomaly and is otherwise the same.
func TestHistoryPages(t *testing.T) {
	data := manyConnsCapture(t, 16000)
	run := func(cfg Config) *report.Report {
		t.Helper()
		src, err := capture.OpenReader("many.pcap", bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		rep, err := Run(context.Background(), src, cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { rep.Deferred.Close() })
		return rep
	}
	// What the histories decide: the findings (reuse, TIME_WAIT), the
	// peer table and the summary (the records do not depend on them).
	jsonOf := func(rep *report.Report) string {
		b, err := json.Marshal([]any{rep.Capture, rep.Summary, rep.Findings, rep.Peers})
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	cfg := DefaultConfig()
	cfg.Workers = 2
	want := run(cfg)
	kinds := map[string]bool{}
	for _, f := range want.Findings {
		kinds[f.Kind] = true
	}
	if !kinds["http_connection_not_reused"] || !kinds["tcp_time_wait_churn"] || len(want.Peers) != 1 {
		t.Fatalf("findings %v, %d peers: not what the histories decide", kinds, len(want.Peers))
	}

	counted := &countingPages{pageFile: newPageFile(t.TempDir())}
	defer counted.Close()
	logged := cfg
	logged.RecordLog = RecordLogConfig{On: true, Dir: t.TempDir()}
	logged.Analysis.Pages = counted
	if got := jsonOf(run(logged)); got != jsonOf(want) {
		t.Error("the report with the history pages in a file differs")
	}
	if counted.puts < 2 || counted.inMemory() {
		t.Errorf("%d pages put, in memory %v", counted.puts, counted.inMemory())
	}

	// The default page file of a run with a record log, in a directory
	// that does not exist.
	bad := cfg
	bad.RecordLog = RecordLogConfig{On: true, Dir: filepath.Join(t.TempDir(), "missing")}
	rep := run(bad)
	if rep.Capture.Anomalies[AnomalyHistoryInMemory] != 1 || rep.Capture.Anomalies[AnomalyRecordLogInMemory] != 1 {
		t.Errorf("anomalies %v", rep.Capture.Anomalies)
	}
	delete(rep.Capture.Anomalies, AnomalyHistoryInMemory)
	delete(rep.Capture.Anomalies, AnomalyRecordLogInMemory)
	if jsonOf(rep) != jsonOf(want) {
		t.Error("the report with the history pages kept in memory differs")
	}

	// A live run keeps no record log but puts the pages in a file all the
	// same: in a directory that does not exist they stay in memory, and it
	// says so. Either way the histories decide the same.
	decided := func(rep *report.Report) string {
		b, err := json.Marshal([]any{rep.Summary, rep.Findings, rep.Peers})
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	live := func(dir string) *report.Report {
		t.Helper()
		src, err := capture.OpenReader("many.pcap", bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		lcfg := cfg
		lcfg.RecordLog.Dir = dir
		// The queue holds the whole capture (128 000 packets, 11 bytes of
		// payload each on average), so no packet is dropped however
		// slow the analysis.
		rep, err := RunLive(context.Background(), &fakeLive{src: src, pauseAfter: -1, eof: true, ended: make(chan struct{})},
			lcfg, LiveConfig{KeepRecords: 1 << 20, BatchPackets: 1024, ArenaBytes: 16 << 10, QueueBatches: 160})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	for _, dir := range []string{t.TempDir(), filepath.Join(t.TempDir(), "missing")} {
		rep := live(dir)
		wantMem := strings.HasSuffix(dir, "missing")
		if got := rep.Capture.Anomalies[AnomalyHistoryInMemory] == 1; got != wantMem {
			t.Errorf("live run, pages in %s: history in memory %v, want %v", dir, got, wantMem)
		}
		if decided(rep) != decided(want) {
			t.Errorf("live run, pages in %s: findings, peers or summary differ from the offline run's", dir)
		}
	}
}
