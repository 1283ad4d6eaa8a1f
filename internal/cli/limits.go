package cli

import (
	"fmt"
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
// collector works harder as the heap approaches it); it is not an anomaly.
type limitOptions struct {
	maxBufferPerConn string
	maxBuffer        string
	maxHeaderBytes   string
	maxPeers         int
	maxMemory        string
}

// register adds the limit flags to cmd.
func (l *limitOptions) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&l.maxBufferPerConn, "max-buffer-per-conn", "256KiB", "most out-of-order TCP bytes buffered per connection direction, `SIZE` (anomaly tcp_ooo_buffer_limit)")
	f.StringVar(&l.maxBuffer, "max-buffer", "256MiB", "most out-of-order TCP bytes buffered over all connections, `SIZE` (anomaly tcp_ooo_total_limit)")
	f.StringVar(&l.maxHeaderBytes, "max-header-bytes", "64KiB", "largest HTTP message head, `SIZE` (anomaly http_header_too_large)")
	f.IntVar(&l.maxPeers, "max-peers", 100000, "most (client host, server endpoint) pairs tracked (anomaly analysis_peer_limit)")
	f.StringVar(&l.maxMemory, "max-memory", "", "soft memory limit of the Go runtime, `SIZE` (e.g. 2GiB; empty: none)")
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

// setMemoryLimit applies --max-memory to the Go runtime and returns a
// function that restores the previous limit.
func (l *limitOptions) setMemoryLimit() (func(), error) {
	n, err := l.memoryLimit()
	if err != nil || n == 0 {
		return func() {}, err
	}
	prev := debug.SetMemoryLimit(n)
	return func() { debug.SetMemoryLimit(prev) }, nil
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
