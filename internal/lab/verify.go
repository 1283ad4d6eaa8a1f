package lab

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// Counts are what tshark sees in a capture.
type Counts struct {
	Frames    int
	Streams   int // distinct tcp.stream values
	Convs     int // rows of `tshark -q -z conv,tcp` (one per address/port pair)
	SYNs      int // SYN without ACK
	RSTs      int // segments with RST set
	Requests  int // HTTP requests (http.request.method occurrences)
	Responses int // HTTP responses (http.response.code occurrences)
	ReqFrames int // frames matching the display filter http.request
	RspFrames int // frames matching the display filter http.response
}

// String renders c on one line, as recorded in testdata/pcaps/README.md.
func (c Counts) String() string {
	return fmt.Sprintf("frames=%d streams=%d conv=%d syn=%d rst=%d requests=%d responses=%d",
		c.Frames, c.Streams, c.Convs, c.SYNs, c.RSTs, c.Requests, c.Responses)
}

// ErrNoTshark is returned by Count when tshark is not installed.
var ErrNoTshark = errors.New("lab: tshark not found")

// Count runs tshark over file (pcap, pcapng or gzip-compressed) and counts
// streams, handshakes, resets and HTTP messages.
func Count(ctx context.Context, file string) (Counts, error) {
	var c Counts
	if _, err := exec.LookPath("tshark"); err != nil {
		return c, ErrNoTshark
	}
	ctx, cancel := context.WithTimeout(ctx, 120*time.Second)
	defer cancel()
	// Out-of-order reassembly lets tshark rebuild HTTP messages whose
	// segments were lost and retransmitted (off by default in tshark).
	out, err := exec.CommandContext(ctx, "tshark", "-n", "-o", "tcp.reassemble_out_of_order:TRUE", "-r", file, "-T", "fields",
		"-E", "occurrence=a", "-E", "aggregator=,", "-E", "separator=\t",
		"-e", "tcp.stream", "-e", "tcp.flags.syn", "-e", "tcp.flags.ack", "-e", "tcp.flags.reset",
		"-e", "http.request.method", "-e", "http.response.code").Output()
	if err != nil {
		return c, fmt.Errorf("lab: tshark fields %s: %w", file, err)
	}
	c, err = parseFields(string(out))
	if err != nil {
		return c, err
	}
	conv, err := exec.CommandContext(ctx, "tshark", "-n", "-r", file, "-q", "-z", "conv,tcp").Output()
	if err != nil {
		return c, fmt.Errorf("lab: tshark conv,tcp %s: %w", file, err)
	}
	c.Convs = parseConv(string(conv))
	return c, nil
}

// flagSet reports whether a tshark boolean field value is set ("1" or
// "True", depending on the tshark version).
func flagSet(v string) bool { return v == "1" || v == "True" || v == "true" }

// parseFields counts the tab-separated output of Count's tshark call.
func parseFields(out string) (Counts, error) {
	var c Counts
	streams := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if sc.Text() == "" {
			continue
		}
		f := strings.Split(sc.Text(), "\t")
		if len(f) < 6 {
			return c, fmt.Errorf("lab: tshark line has %d fields, want 6: %q", len(f), sc.Text())
		}
		c.Frames++
		if f[0] != "" {
			streams[f[0]] = true
		}
		if flagSet(f[1]) && !flagSet(f[2]) {
			c.SYNs++
		}
		if flagSet(f[3]) {
			c.RSTs++
		}
		if f[4] != "" {
			c.Requests += strings.Count(f[4], ",") + 1
			c.ReqFrames++
		}
		if f[5] != "" {
			c.Responses += strings.Count(f[5], ",") + 1
			c.RspFrames++
		}
	}
	c.Streams = len(streams)
	return c, sc.Err()
}

// parseConv counts the data rows of `tshark -q -z conv,tcp` (rows holding
// "<->").
func parseConv(out string) int {
	n := 0
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "<->") {
			n++
		}
	}
	return n
}

// Check compares c with the scenario's expectations and returns one error
// listing every mismatch.
func (x Expect) Check(c Counts) error {
	var bad []string
	for _, t := range []struct {
		name string
		r    Range
		n    int
	}{
		{"streams", x.Streams, c.Streams},
		{"syn", x.SYNs, c.SYNs},
		{"rst", x.RSTs, c.RSTs},
		{"requests", x.Requests, c.Requests},
		{"responses", x.Responses, c.Responses},
	} {
		if !t.r.Contains(t.n) {
			bad = append(bad, fmt.Sprintf("%s=%d want %s", t.name, t.n, t.r))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("lab: counts do not match: %s", strings.Join(bad, ", "))
	}
	return nil
}
