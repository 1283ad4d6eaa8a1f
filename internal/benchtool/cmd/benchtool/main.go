// Command benchtool is the measuring helper of scripts/bench.sh.
//
//	benchtool floor FILE                 decode-only pass (see package benchtool); prints
//	                                     "packets=N bytes=N decoded=N flows=N seconds=S pps=R"
//	benchtool profile CPU.OUT MEM.OUT FILE [PACKETS]
//	                                     run the full pipeline over FILE and JSON-encode
//	                                     the report to nowhere, writing a CPU profile and a
//	                                     heap profile: after the run, or after PACKETS
//	                                     packets (the live state in the middle of a capture)
//	benchtool memory FILE                run the pipeline as profile does and print where
//	                                     the process's memory is (runtime/metrics, MB) every
//	                                     250 ms and when the input is read, the run is over
//	                                     and the JSON written, with the resident set and its
//	                                     peak (VmRSS, VmHWM); GOMAXPROCS=1 runs it on one
//	                                     goroutine
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"time"

	"connscope/capture"
	"connscope/internal/benchtool"
	"connscope/internal/pipeline"
	"connscope/report"
)

func main() {
	var err error
	switch {
	case len(os.Args) == 3 && os.Args[1] == "floor":
		err = floor(os.Args[2])
	case len(os.Args) == 3 && os.Args[1] == "memory":
		err = memory(os.Args[2])
	case len(os.Args) == 5 && os.Args[1] == "profile":
		err = profile(os.Args[2], os.Args[3], os.Args[4], 0)
	case len(os.Args) == 6 && os.Args[1] == "profile":
		var at int
		if at, err = strconv.Atoi(os.Args[5]); err == nil && at <= 0 {
			err = fmt.Errorf("PACKETS must be positive, not %d", at)
		}
		if err == nil {
			err = profile(os.Args[2], os.Args[3], os.Args[4], at)
		}
	default:
		fmt.Fprintln(os.Stderr, "usage: benchtool floor FILE | benchtool profile CPU.OUT MEM.OUT FILE [PACKETS] | benchtool memory FILE")
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtool:", err)
		os.Exit(1)
	}
}

func floor(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	start := time.Now()
	fl, err := benchtool.DecodeFloor(f)
	secs := time.Since(start).Seconds()
	if err != nil {
		return err
	}
	fmt.Printf("packets=%d bytes=%d decoded=%d flows=%d seconds=%.3f pps=%.0f\n",
		fl.Packets, fl.Bytes, fl.Decoded, fl.Flows, secs, float64(fl.Packets)/secs)
	return nil
}

// profile runs the pipeline over path under the CPU profiler and writes a
// heap profile to memOut: after the run when heapAt is 0, else as the
// pipeline passes heapAt packets.
func profile(cpuOut, memOut, path string, heapAt int) error {
	cf, err := os.Create(cpuOut)
	if err != nil {
		return err
	}
	defer cf.Close()
	src, err := capture.OpenFiles([]string{path}, capture.Options{})
	if err != nil {
		return err
	}
	defer src.Close()
	if err := pprof.StartCPUProfile(cf); err != nil {
		return err
	}
	start := time.Now()
	cfg := pipeline.DefaultConfig()
	cfg.RecordLog.On = true // as connscope analyze --format json
	var heapErr error
	heapDone := false
	writeHeap := func() {
		heapDone = true
		runtime.GC()
		mf, err := os.Create(memOut)
		if err != nil {
			heapErr = err
			return
		}
		heapErr = pprof.WriteHeapProfile(mf)
		if err := mf.Close(); heapErr == nil {
			heapErr = err
		}
	}
	if heapAt > 0 {
		calls := 0
		cfg.Progress = func(_ capture.Stats, final bool) {
			calls++
			if !heapDone && (final || calls*pipeline.ProgressPackets >= heapAt) {
				writeHeap()
			}
		}
	}
	rep, err := pipeline.Run(context.Background(), src, cfg)
	if err != nil {
		pprof.StopCPUProfile()
		return err
	}
	mid := time.Now()
	if !heapDone {
		writeHeap()
	}
	if heapErr != nil {
		pprof.StopCPUProfile()
		return heapErr
	}
	if err := report.WriteJSON(io.Discard, rep); err != nil {
		pprof.StopCPUProfile()
		return err
	}
	pprof.StopCPUProfile()
	defer rep.Deferred.Close()
	fmt.Printf("run %.3f s, write %.3f s, %d connections\n", mid.Sub(start).Seconds(), time.Since(mid).Seconds(), rep.Summary.TCPConnections)
	return nil
}

// memoryClasses are the runtime/metrics memory figures memory prints, with
// their column names.
var memoryClasses = []struct{ name, col string }{
	{"/memory/classes/heap/objects:bytes", "objects"},
	{"/memory/classes/heap/unused:bytes", "unused"},
	{"/memory/classes/heap/free:bytes", "free"},
	{"/memory/classes/heap/released:bytes", "released"},
	{"/memory/classes/total:bytes", "mapped"},
	{"/gc/heap/goal:bytes", "goal"},
	{"/gc/heap/live:bytes", "live"},
}

// memory runs the pipeline over path, as profile does without the
// profiles, and prints the memory figures as it goes.
func memory(path string) error {
	samples := make([]metrics.Sample, len(memoryClasses))
	fmt.Printf("%-9s %7s", "when", "seconds")
	for i, c := range memoryClasses {
		samples[i].Name = c.name
		fmt.Printf(" %8s", c.col)
	}
	fmt.Printf(" %8s %8s\n", "rss", "rss_peak")
	start := time.Now()
	// show prints one line; the ticker's goroutine and the pipeline's
	// both call it.
	var mu sync.Mutex
	show := func(when string) {
		mu.Lock()
		defer mu.Unlock()
		metrics.Read(samples)
		fmt.Printf("%-9s %7.2f", when, time.Since(start).Seconds())
		for i := range samples {
			fmt.Printf(" %8.1f", float64(samples[i].Value.Uint64())/1e6)
		}
		rss, peak := procStatus()
		fmt.Printf(" %8.1f %8.1f\n", rss, peak)
	}
	stop := make(chan struct{})
	ticked := make(chan struct{})
	go func() {
		defer close(ticked)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				show("tick")
			case <-stop:
				return
			}
		}
	}()
	err := func() error {
		src, err := capture.OpenFiles([]string{path}, capture.Options{})
		if err != nil {
			return err
		}
		defer src.Close()
		cfg := pipeline.DefaultConfig()
		cfg.RecordLog.On = true // as connscope analyze --format json
		cfg.Progress = func(_ capture.Stats, final bool) {
			if final {
				show("read")
			}
		}
		rep, err := pipeline.Run(context.Background(), src, cfg)
		if err != nil {
			return err
		}
		defer rep.Deferred.Close()
		show("run")
		if err := report.WriteJSON(io.Discard, rep); err != nil {
			return err
		}
		show("written")
		return nil
	}()
	close(stop)
	<-ticked
	return err
}

// procStatus returns the process's resident set and its peak, in MB, from
// /proc/self/status (0 where it cannot be read).
func procStatus() (rss, peak float64) {
	b, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			continue
		}
		switch f[0] {
		case "VmRSS:":
			rss = kb * 1024 / 1e6
		case "VmHWM:":
			peak = kb * 1024 / 1e6
		}
	}
	return rss, peak
}
