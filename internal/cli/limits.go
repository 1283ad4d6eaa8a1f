package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"connscope/internal/pipeline"
)

// limitOptions are the resource-limit flags of analyze and demo (besides
// --max-conns). Each bounds one buffer; hitting it is a named anomaly in the
// report's capture.anomalies, never a crash:
//
//	--max-buffer-per-conn  tcp_ooo_buffer_limit  out-of-order bytes per direction
//	--max-buffer           tcp_ooo_total_limit   out-of-order bytes over all connections
//	--max-header-bytes     http_header_too_large one HTTP message head
//	--max-peers            analysis_peer_limit   (client, server) pairs tracked
//
// --max-memory sets the Go runtime's soft memory limit (the garbage
// collector works harder as the heap approaches it) and --workers the
// cores the run uses; neither is an anomaly.
type limitOptions struct {
	maxBufferPerConn string
	maxBuffer        string
	maxHeaderBytes   string
	maxPeers         int
	maxMemory        string
	workers          int
}

// register adds the limit flags to cmd.
func (l *limitOptions) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&l.maxBufferPerConn, "max-buffer-per-conn", "256KiB", "most out-of-order TCP bytes buffered per connection direction, `SIZE` (anomaly tcp_ooo_buffer_limit)")
	f.StringVar(&l.maxBuffer, "max-buffer", "256MiB", "most out-of-order TCP bytes buffered over all connections, `SIZE` (anomaly tcp_ooo_total_limit)")
	f.StringVar(&l.maxHeaderBytes, "max-header-bytes", "64KiB", "largest HTTP message head, `SIZE` (anomaly http_header_too_large)")
	f.IntVar(&l.maxPeers, "max-peers", 100000, "most (client host, server endpoint) pairs tracked (anomaly analysis_peer_limit)")
	f.StringVar(&l.maxMemory, "max-memory", "", "soft memory limit of the Go runtime, `SIZE` (e.g. 2GiB; empty: none)")
	f.IntVar(&l.workers, "workers", 0, "most cores the run uses, `N` (0: every core the process may use); offline, 1 does everything on one goroutine and more runs reading, tracking, the detectors and encoding as concurrent stages (the same report)")
}

// apply sets the limits in cfg. It reports bad values as usage errors.
func (l *limitOptions) apply(cfg *pipeline.Config) error {
	sizes := []struct {
		flag string
		val  string
		dst  *int
	}{
		{"--max-buffer-per-conn", l.maxBufferPerConn, &cfg.Tracker.MaxBufferPerDir},
		{"--max-buffer", l.maxBuffer, &cfg.Tracker.MaxBufferTotal},
		{"--max-header-bytes", l.maxHeaderBytes, &cfg.HTTP.MaxHeaderBytes},
	}
	for _, s := range sizes {
		if s.val == "" {
			continue // keep the stage default
		}
		n, err := parseSize(s.val)
		if err != nil || n < 1 || n > 1<<40 {
			return usageError{fmt.Errorf("bad %s %q (want a size such as 65536, 64KiB or 256MiB)", s.flag, s.val)}
		}
		*s.dst = int(n)
	}
	if l.maxPeers < 1 {
		return usageError{fmt.Errorf("--max-peers must be at least 1")}
	}
	cfg.Analysis.MaxPeers = l.maxPeers
	if l.workers < 0 {
		return usageError{fmt.Errorf("--workers must be 0 (every core) or more")}
	}
	cfg.Workers = l.workers
	_, err := l.memoryLimit()
	return err
}

// memoryLimit returns the --max-memory value in bytes (0: none).
func (l *limitOptions) memoryLimit() (int64, error) {
	if l.maxMemory == "" {
		return 0, nil
	}
	n, err := parseSize(l.maxMemory)
	if err != nil || n < 1 {
		return 0, usageError{fmt.Errorf("bad --max-memory %q (want a size such as 512MiB or 2GiB)", l.maxMemory)}
	}
	return n, nil
}

// setRuntime applies --max-memory and --workers to the Go runtime (the
// soft memory limit; GOMAXPROCS, when --workers asks for fewer cores than
// it allows, which also bounds the collector's and the JSON writer's
// goroutines) and returns a function that restores both.
func (l *limitOptions) setRuntime() (func(), error) {
	n, err := l.memoryLimit()
	if err != nil {
		return func() {}, err
	}
	var undo []func()
	if n > 0 {
		prev := debug.SetMemoryLimit(n)
		undo = append(undo, func() { debug.SetMemoryLimit(prev) })
	}
	if l.workers > 0 && l.workers < runtime.GOMAXPROCS(0) {
		prev := runtime.GOMAXPROCS(l.workers)
		undo = append(undo, func() { runtime.GOMAXPROCS(prev) })
	}
	return func() {
		for _, f := range undo {
			f()
		}
	}, nil
}

// parseSize parses a byte count: a decimal integer with an optional unit,
// k/K/KB/KiB (1024), M/MB/MiB (1024²), G/GB/GiB (1024³); units are binary
// whatever their spelling.
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, fmt.Errorf("size %q: no number", s)
	}
	n, err := strconv.ParseInt(t[:i], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("size %q: %w", s, err)
	}
	var shift uint
	switch strings.ToLower(strings.TrimSpace(t[i:])) {
	case "", "b":
	case "k", "kb", "kib":
		shift = 10
	case "m", "mb", "mib":
		shift = 20
	case "g", "gb", "gib":
		shift = 30
	default:
		return 0, fmt.Errorf("size %q: unknown unit", s)
	}
	if n > (1<<62)>>shift {
		return 0, fmt.Errorf("size %q: too large", s)
	}
	return n << shift, nil
}
