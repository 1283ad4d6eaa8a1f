package cli

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/spf13/cobra"

	"connscope/capture"
	"connscope/internal/pipeline"
	"connscope/report"
)

// captureOptions are the flags of capture besides the analysis ones.
type captureOptions struct {
	iface    string
	write    string
	duration time.Duration
	count    uint64
	snaplen  int
	promisc  bool
	fanout   uint16
	buffer   string
}

func newCapture() *cobra.Command {
	o := &analyzeOptions{}
	c := &captureOptions{}
	cmd := &cobra.Command{
		Use:   "capture -i IFACE [flags]",
		Short: "Capture live on a network interface and report what the connections did",
		Long: `capture reads packets from a network interface (Linux; "any" for all of
them) and analyses them as analyze does a file, until --duration passes, -c
packets were read, or Ctrl-C; the report is written at the end, also when the
capture is interrupted. With --format ndjson each connection's records are
written as soon as it closes or times out. -w keeps the packets in a pcapng
file as they arrive. Capturing needs root or CAP_NET_RAW.`,
		Example: `  connscope capture -i eth0 -f 'tcp port 80' --duration 30s
  connscope capture -i lo -f 'tcp port 8080' --format ndjson
  connscope capture -i any -w trace.pcapng --format json -o report.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runCapture(cmd, o, c)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&c.iface, "interface", "i", "", "capture on interface `IFACE` (\"any\" for all)")
	f.StringVarP(&c.write, "write", "w", "", "also write the captured packets to `FILE` (pcapng)")
	f.DurationVar(&c.duration, "duration", 0, "stop after this long (e.g. 30s; 0: until Ctrl-C)")
	f.Uint64VarP(&c.count, "count", "c", 0, "stop after `N` TCP/UDP packets (0: no limit)")
	f.IntVarP(&c.snaplen, "snaplen", "s", capture.DefaultSnaplen, "bytes kept of each packet")
	f.BoolVar(&c.promisc, "promisc", false, "put the interface in promiscuous mode")
	f.Uint16Var(&c.fanout, "fanout-group", 0, "join AF_PACKET fanout group `ID` (1-65535) in hash mode: processes started with the same ID split the interface's connections between them (0: none)")
	f.StringVar(&c.buffer, "buffer", "16MiB", "kernel capture buffer, `SIZE`; packets arriving while it is full are dropped and counted")
	_ = cmd.RegisterFlagCompletionFunc("interface", completeInterfaces)
	o.register(cmd)
	o.filter.register(cmd)
	// Annotating re-reads the input, which a live capture cannot do: use
	// -w, then analyze --annotate on the file.
	_ = f.MarkHidden("annotate")
	return cmd
}

// completeInterfaces lists the interface names (and "any") for shell
// completion.
func completeInterfaces(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	names := []string{"any"}
	if ifs, err := net.Interfaces(); err == nil {
		for _, i := range ifs {
			names = append(names, i.Name)
		}
	}
	sort.Strings(names[1:])
	return names, cobra.ShellCompDirectiveNoFileComp
}

func runCapture(cmd *cobra.Command, o *analyzeOptions, c *captureOptions) error {
	if c.iface == "" {
		return usageError{errors.New("capture needs -i IFACE (\"any\" for all interfaces)")}
	}
	cfg, err := o.config()
	if err != nil {
		return err
	}
	switch {
	case cmd.Flags().Changed("annotate"):
		return usageError{errors.New("capture cannot --annotate: write the packets with -w, then run analyze --annotate on that file")}
	case c.duration < 0:
		return usageError{fmt.Errorf("--duration must not be negative")}
	case c.snaplen < 64 || c.snaplen > capture.DefaultSnaplen:
		return usageError{fmt.Errorf("--snaplen must be within 64-%d", capture.DefaultSnaplen)}
	}
	buf, err := parseSize(c.buffer)
	if err != nil || buf < 1<<16 || buf > 1<<32 {
		return usageError{fmt.Errorf("bad --buffer %q (want a size within 64KiB-4GiB)", c.buffer)}
	}
	prog, err := liveFilter(c.iface, &o.filter)
	if err != nil {
		return err
	}
	stderr := cmd.ErrOrStderr()
	dump, closeDump, err := openDump(c.write, c.iface, c.snaplen)
	if err != nil {
		return err
	}
	defer closeDump()
	src, err := capture.OpenLive(c.iface, capture.LiveOptions{
		Filter:      prog,
		Snaplen:     c.snaplen,
		Promiscuous: c.promisc,
		BufferSize:  int(buf),
		FanoutGroup: c.fanout,
		Dump:        dump,
	})
	if err != nil {
		return err
	}
	defer src.Close()
	restore, err := o.limits.setRuntime()
	if err != nil {
		return err
	}
	defer restore()

	// NDJSON streams each connection as it leaves the tracker; the other
	// formats are written once, at the end.
	var (
		stream    *report.NDJSONStream
		closeOut  = func() error { return nil }
		streamErr error
	)
	if o.format == "ndjson" {
		var w io.Writer = cmd.OutOrStdout()
		if o.output != "" && o.output != "-" {
			f, err := os.Create(o.output)
			if err != nil {
				return fmt.Errorf("write %q: %w", o.output, err)
			}
			w, closeOut = f, f.Close
		}
		stream = report.NewNDJSONStream(w)
		cfg.OnConnection = func(rc *report.Connection, txs []report.Transaction) {
			if err := stream.Connection(rc, txs, nil); err != nil && streamErr == nil {
				streamErr = err
			}
		}
	}
	fmt.Fprintf(stderr, "connscope: capturing on %s (Ctrl-C to stop)\n", c.iface)
	rep, runErr := pipeline.RunLive(cmd.Context(), src, cfg, pipeline.LiveConfig{Duration: c.duration, Count: c.count})
	src.Close()
	if err := closeDump(); err != nil && runErr == nil {
		runErr = err
	}
	fmt.Fprintf(stderr, "connscope: %d packets captured, %d dropped, %d connections\n",
		rep.Capture.Packets, rep.Capture.Dropped, rep.Summary.TCPConnections)
	if stream != nil {
		err := stream.End(rep)
		if e := closeOut(); err == nil {
			err = e
		}
		if err != nil {
			return err
		}
	} else if err := writeReport(rep, o, cmd.OutOrStdout()); err != nil {
		return err
	}
	return runErr
}

// openDump creates the -w pcapng file (nothing without path) and returns
// the capture's Dump hook and a close function that flushes and closes the
// file; close may be called more than once. The hook runs on the capture's
// goroutine; it flushes the file about every second, so the file follows
// the capture.
func openDump(path, iface string, snaplen int) (func(gopacket.CaptureInfo, []byte) error, func() error, error) {
	if path == "" {
		return nil, func() error { return nil }, nil
	}
	lt, err := capture.LiveLinkType(iface)
	if err != nil {
		return nil, nil, err
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, nil, fmt.Errorf("-w: %w", err)
	}
	w, err := pcapgo.NewNgWriterInterface(f, pcapgo.NgInterface{
		Name:                iface,
		LinkType:            lt,
		SnapLength:          uint32(snaplen),
		TimestampResolution: 9,
	}, pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{Application: "connscope " + Version}})
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("-w %q: %w", path, err)
	}
	lastFlush := time.Now()
	dump := func(ci gopacket.CaptureInfo, frame []byte) error {
		ci.InterfaceIndex = 0
		ci.AncillaryData = nil
		if err := w.WritePacket(ci, frame); err != nil {
			return fmt.Errorf("-w %q: %w", path, err)
		}
		if now := time.Now(); now.Sub(lastFlush) >= time.Second {
			lastFlush = now
			if err := w.Flush(); err != nil {
				return fmt.Errorf("-w %q: %w", path, err)
			}
		}
		return nil
	}
	closed := false
	closeFn := func() error {
		if closed {
			return nil
		}
		closed = true
		err := w.Flush()
		if e := f.Close(); err == nil {
			err = e
		}
		if err != nil && !errors.Is(err, os.ErrClosed) {
			return fmt.Errorf("-w %q: %w", path, err)
		}
		return nil
	}
	return dump, closeFn, nil
}
