package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"connscope/capture"
)

// Progress display of offline runs (analyze): one line on stderr, redrawn
// in place, only when stderr is a terminal, only once a run has taken
// progressAfter, and erased before the report is written.
const (
	progressAfter = time.Second
	progressEvery = 250 * time.Millisecond
)

// progressOptions holds --no-progress.
type progressOptions struct {
	off bool
}

func (o *progressOptions) register(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&o.off, "no-progress", false, "never show the progress line on stderr (it is shown only when stderr is a terminal)")
}

// progress draws the progress line of one run. Its clock is the wall
// clock: only the command layer reads it.
type progress struct {
	w     io.Writer
	total int64 // sum of the input file sizes; 0 when unknown (stdin, gzip)
	now   func() time.Time
	start time.Time
	last  time.Time
	shown bool
}

// hook returns the pipeline.Config.Progress callback for a run reading
// files, or nil when no progress line should be drawn: disabled, stderr not
// a terminal, or stdin among the inputs.
func (o *progressOptions) hook(files []string, stderr io.Writer) func(st capture.Stats, final bool) {
	if o.off || !isTerminal(stderr) {
		return nil
	}
	p := newProgress(stderr, files, time.Now)
	if p == nil {
		return nil
	}
	return p.tick
}

func newProgress(w io.Writer, files []string, now func() time.Time) *progress {
	p := &progress{w: w, now: now, start: now()}
	for _, f := range files {
		if f == "-" {
			return nil
		}
		st, err := os.Stat(f)
		if err != nil || isGzipFile(f) {
			p.total = 0
			break
		}
		p.total += st.Size()
	}
	return p
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// isGzipFile reports whether the file starts with the gzip magic (RFC 1952
// §2.3.1): its size says nothing about the capture bytes inside.
func isGzipFile(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var m [2]byte
	_, err = io.ReadFull(f, m[:])
	return err == nil && bytes.Equal(m[:], []byte{0x1f, 0x8b})
}

// recordOverhead estimates the per-packet framing bytes of a capture file
// (pcap record header 16 bytes; pcapng enhanced packet block 32 bytes plus
// padding), to turn captured bytes into a file offset.
func recordOverhead(formats []string) int64 {
	for _, f := range formats {
		if f == "pcapng" {
			return 34
		}
	}
	return 16
}

// tick is called by the pipeline every few thousand packets with the
// source's counters, and once with final set when reading ends.
func (p *progress) tick(st capture.Stats, final bool) {
	if final {
		if p.shown {
			fmt.Fprint(p.w, "\r\x1b[K")
		}
		return
	}
	now := p.now()
	el := now.Sub(p.start)
	if el < progressAfter || now.Sub(p.last) < progressEvery {
		return
	}
	p.last = now
	fmt.Fprint(p.w, "\r\x1b[K"+p.line(st, el))
	p.shown = true
}

// line renders the progress text for the counters st after el.
func (p *progress) line(st capture.Stats, el time.Duration) string {
	secs := el.Seconds()
	pps := float64(st.Packets) / secs
	if p.total <= 0 {
		return fmt.Sprintf("connscope: %s read, %d packets, %s packets/s", humanBytes(int64(st.Bytes)), st.Packets, humanCount(pps))
	}
	done := int64(st.Bytes) + int64(st.Packets)*recordOverhead(st.Formats)
	frac := min(float64(done)/float64(p.total), 1)
	eta := "?"
	if frac > 0 {
		eta = time.Duration(secs * (1 - frac) / frac * float64(time.Second)).Round(time.Second).String()
	}
	return fmt.Sprintf("connscope: %s / %s (%.0f%%), %s packets/s, ETA %s",
		humanBytes(done), humanBytes(p.total), 100*frac, humanCount(pps), eta)
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func humanCount(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}
