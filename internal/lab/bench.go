package lab

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

// BenchSecondsEnv names the environment variable that sets the wrk
// duration of bench_short in seconds (default 60); bench_short_tenth runs a
// tenth of it and bench_keepalive a quarter.
const BenchSecondsEnv = "LAB_BENCH_SECONDS"

// BenchScenarios returns the large-capture scenarios used by
// scripts/bench.sh. They are not part of Scenarios(): their captures are
// hundreds of megabytes, written outside the repository with -out, and
// never committed. bench_short runs ten times longer than
// bench_short_tenth at the same concurrency (memory-growth check).
func BenchScenarios() []Scenario {
	secs := 60
	if v, err := strconv.Atoi(os.Getenv(BenchSecondsEnv)); err == nil && v > 0 {
		secs = v
	}
	ka := max(1, secs/4)
	short := func(name string, d int) Scenario {
		return Scenario{
			Name: name,
			Shows: fmt.Sprintf("benchmark: wrk %d s, 1 thread, 16 connections, Connection: close: "+
				"many short HTTP connections, nginx closes first", d),
			Nginx: &NginxOptions{},
			Steps: []Step{{Argv: []string{"wrk", "-t1", "-c16", fmt.Sprintf("-d%ds", d),
				"-H", "Connection: close", "{URL}/small.txt"}, Timeout: time.Duration(d+60) * time.Second}},
			Gzip:   true,
			Settle: time.Second,
			Expect: Expect{Streams: AtLeast(1), SYNs: AtLeast(1), RSTs: AtLeast(0), Requests: AtLeast(1), Responses: AtLeast(1)},
		}
	}
	return []Scenario{
		short("bench_short", secs),
		short("bench_short_tenth", max(1, secs/10)),
		{
			Name: "bench_keepalive",
			Shows: fmt.Sprintf("benchmark: wrk %d s, 1 thread, 8 keep-alive connections, 16 KiB responses "+
				"(nginx keepalive_requests 100000)", ka),
			Nginx: &NginxOptions{KeepaliveTimeout: "30s", KeepaliveRequests: 100000},
			Steps: []Step{{Argv: []string{"wrk", "-t1", "-c8", fmt.Sprintf("-d%ds", ka), "{URL}/medium.bin"},
				Timeout: time.Duration(ka+60) * time.Second}},
			Gzip:   true,
			Settle: time.Second,
			Expect: Expect{Streams: AtLeast(1), SYNs: AtLeast(1), RSTs: AtLeast(0), Requests: AtLeast(1), Responses: AtLeast(1)},
		},
	}
}
