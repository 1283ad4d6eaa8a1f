// Command benchtool is the measuring helper of scripts/bench.sh.
//
//	benchtool floor FILE                 decode-only pass (see package benchtool); prints
//	                                     "packets=N bytes=N decoded=N flows=N seconds=S pps=R"
//	benchtool profile CPU.OUT MEM.OUT FILE [PACKETS]
//	                                     run the full pipeline over FILE and JSON-encode
//	                                     the report to nowhere, writing a CPU profile and a
//	                                     heap profile: after the run, or after PACKETS
//	                                     packets (the live state in the middle of a capture)
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
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
		fmt.Fprintln(os.Stderr, "usage: benchtool floor FILE | benchtool profile CPU.OUT MEM.OUT FILE [PACKETS]")
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
