package pipeline_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"connscope/analysis"
	"connscope/capture"
	"connscope/filter"
	"connscope/internal/pipeline"
	"connscope/report"
)

// vmRSS returns the resident set size of this process in bytes.
func vmRSS(t *testing.T) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status")
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// liveHeap returns the heap bytes live at the last garbage collection.
func liveHeap() int64 {
	m := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(m)
	if m[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return int64(m[0].Value.Uint64())
}

// soakHeapGrowth is the most the live heap may grow between the end of the
// warm-up and the end of the soak. The resident set is logged too; it
// follows the heap's peaks (the HTTP load runs in this process) and the
// runtime returns freed pages to the system lazily, so it is not asserted.
const soakHeapGrowth = 24 << 20

// TestLiveSoak captures on lo for 20 s, with a filter on the port of a
// local HTTP server that a client keeps busy with short connections, and
// checks that connections and requests are seen, that memory stays flat
// (idle expiry, the tracker caps and LiveConfig.KeepRecords bound it) and
// that packets not analysed are counted as dropped. It runs as root when
// CONNSCOPE_SOAK=1 or without -short.
func TestLiveSoak(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("live capture needs root")
	}
	if os.Getenv("CONNSCOPE_SOAK") != "1" && testing.Short() {
		t.Skip("soak: set CONNSCOPE_SOAK=1 or drop -short")
	}
	const (
		capDur  = 20 * time.Second
		loadDur = 18 * time.Second
		warmup  = 10 * time.Second // linger (5 s) and KeepRecords filled: steady state
		workers = 4
	)
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	body := strings.Repeat("soak ", 400)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, body) })}
	go srv.Serve(ln)
	defer srv.Close()

	lt, err := capture.LiveLinkType("lo")
	if err != nil {
		t.Fatal(err)
	}
	prog, err := filter.Compile(fmt.Sprintf("tcp port %d", port), uint16(lt))
	if err != nil {
		t.Fatal(err)
	}
	src, err := capture.OpenLive("lo", capture.LiveOptions{Filter: prog.Raw(), BufferSize: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()

	var snaps atomic.Int64
	cfg := pipeline.DefaultConfig()
	cfg.Tracker.IdleTimeout = 10 * time.Second
	cfg.SnapshotEvery = 500 * time.Millisecond
	cfg.Snapshot = func(*report.Report) { snaps.Add(1) }
	if os.Getenv("CONNSCOPE_SOAK_NO_ANALYZERS") == "1" {
		// Isolates the memory of capture, queue, tracker and records from
		// that of the analysers.
		cfg.Analyzers = []analysis.Factory{}
	}
	type result struct {
		rep *report.Report
		err error
	}
	res := make(chan result, 1)
	start := time.Now()
	go func() {
		rep, err := pipeline.RunLive(context.Background(), src, cfg, pipeline.LiveConfig{Duration: capDur, KeepRecords: 2000})
		res <- result{rep, err}
	}()

	var ok atomic.Int64
	var wg sync.WaitGroup
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Since(start) < loadDur {
				resp, err := client.Get(url)
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					ok.Add(1)
				}
				time.Sleep(5 * time.Millisecond)
			}
		}()
	}
	var rss, heap []int64
	for time.Since(start) < capDur {
		time.Sleep(time.Second)
		rss = append(rss, vmRSS(t))
		heap = append(heap, liveHeap())
	}
	wg.Wait()
	r := <-res
	if r.err != nil {
		t.Fatal(r.err)
	}
	rep := r.rep
	w := int(warmup/time.Second) - 1
	base, hbase := rss[w], heap[w]
	peak, hpeak := base, hbase
	for i := w; i < len(rss); i++ {
		peak, hpeak = max(peak, rss[i]), max(hpeak, heap[i])
	}
	secs := time.Since(start).Seconds()
	t.Logf("%d requests made; seen %d connections, %d requests; %d packets (%.0f/s), %d dropped, anomalies %v; %d snapshots",
		ok.Load(), rep.Summary.TCPConnections, rep.Summary.HTTPRequests, rep.Capture.Packets,
		float64(rep.Capture.Packets)/secs, rep.Capture.Dropped, rep.Capture.Anomalies, snaps.Load())
	mib := func(v int64) float64 { return float64(v) / (1 << 20) }
	t.Logf("live heap after warm-up %.1f MiB, peak after %.1f MiB, end %.1f MiB", mib(hbase), mib(hpeak), mib(heap[len(heap)-1]))
	t.Logf("RSS after warm-up %.1f MiB, peak after %.1f MiB, end %.1f MiB", mib(base), mib(peak), mib(rss[len(rss)-1]))

	if rep.Summary.TCPConnections < 100 || rep.Summary.HTTPRequests < 100 {
		t.Errorf("saw only %d connections, %d requests", rep.Summary.TCPConnections, rep.Summary.HTTPRequests)
	}
	if hpeak-hbase > soakHeapGrowth {
		t.Errorf("live heap grew by %.1f MiB after the warm-up (bound %d MiB)", mib(hpeak-hbase), soakHeapGrowth>>20)
	}
	if missing := ok.Load() - int64(rep.Summary.HTTPRequests); missing > 0 && rep.Capture.Dropped == 0 {
		t.Errorf("%d requests missing from the report and no drop counted", missing)
	}
	if snaps.Load() < 10 {
		t.Errorf("only %d snapshots", snaps.Load())
	}
	if rep.Capture.Anomalies[pipeline.AnomalyLiveRecordsDropped] == 0 {
		t.Errorf("no connection record let go: KeepRecords not exercised")
	}
	if os.Getenv("CONNSCOPE_SOAK_HEAPPROFILE") != "" {
		f, _ := os.Create(os.Getenv("CONNSCOPE_SOAK_HEAPPROFILE"))
		runtime.GC()
		pprof.WriteHeapProfile(f)
		f.Close()
		runtime.KeepAlive(rep)
	}
}
