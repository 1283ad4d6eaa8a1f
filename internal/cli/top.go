package cli

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/spf13/cobra"
	"golang.org/x/net/bpf"

	"connscope/capture"
	"connscope/internal/pipeline"
	"connscope/report"
	"connscope/tui"
)

// newScreen opens the terminal the top command draws on; tests replace it
// with a simulation screen.
var newScreen = func() (tcell.Screen, error) { return tcell.NewScreen() }

// topOptions are the flags of top besides the analysis ones.
type topOptions struct {
	files   []string
	iface   string
	refresh time.Duration
	speed   float64
	promisc bool
}

// topAnalysisFlags are the flags of analyze that top shares: the analysis
// settings and limits, the packet filter, and the format and file of the
// report written when top exits.
var topAnalysisFlags = []string{
	"format", "output", "max-rows",
	"max-conns", "idle-timeout", "close-linger", "quiet-linger", "time-wait", "port-range", "max-parallel", "set",
	"max-buffer-per-conn", "max-buffer", "max-header-bytes", "max-peers", "max-memory",
	"filter", "bpf-file",
}

func newTop() *cobra.Command {
	o := &analyzeOptions{}
	t := &topOptions{}
	cmd := &cobra.Command{
		Use:   "top (-r FILE... | -i IFACE)",
		Short: "Watch connections in a terminal UI, replaying capture files or capturing live",
		Long: `top shows every connection in a sortable, filterable table with its protocol,
close, requests, RTT, payload and findings, a findings pane and a status line,
and details of one connection (handshake, close, request timeline, findings)
on Enter. Press ? for the keys and q to quit.

With -r it replays capture files through the same analysis as 'analyze' (as
fast as it can, or at the capture's pace with --speed 1); with -i it captures
live (which needs CAP_NET_RAW). The screen shows a snapshot of the analysis
every --refresh, or less often when making one would take more than a tenth
of the time (a snapshot judges the whole capture so far). With -o the final report is also written to a file, in
--format, when top exits.`,
		Example: `  connscope top -r capture.pcapng
  connscope top -r capture.pcapng --speed 1
  sudo connscope top -i eth0 -f 'tcp port 80'
  tcpdump -i eth0 -w - port 80 | connscope top -r -`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case len(t.files) == 0 && t.iface == "":
				return usageError{errors.New("top needs -r FILE (replay) or -i IFACE (live)")}
			case len(t.files) > 0 && t.iface != "":
				return usageError{errors.New("top takes -r or -i, not both")}
			case t.refresh < 10*time.Millisecond:
				return usageError{fmt.Errorf("--refresh %v is too short (at least 10ms)", t.refresh)}
			case t.speed < 0 || math.IsNaN(t.speed) || math.IsInf(t.speed, 0):
				return usageError{fmt.Errorf("bad --speed %v (want 0 for as fast as possible, or a positive factor)", t.speed)}
			}
			cfg, err := o.config()
			if err != nil {
				return err
			}
			cfg.SnapshotEvery = t.refresh
			if t.iface != "" {
				return runTopLive(cmd, cfg, o, t)
			}
			return runTopReplay(cmd, cfg, o, t)
		},
	}
	f := cmd.Flags()
	f.StringArrayVarP(&t.files, "read", "r", nil, "replay capture `FILE` (repeatable; - reads stdin)")
	f.StringVarP(&t.iface, "interface", "i", "", "capture live on interface `IFACE` (\"any\" for all)")
	f.DurationVar(&t.refresh, "refresh", pipeline.DefaultSnapshotEvery, "how often the analysis hands the screen a new snapshot")
	f.Float64Var(&t.speed, "speed", 0, "replay pace: 1 at the capture's pace, 2 twice as fast, 0 as fast as possible")
	f.BoolVar(&t.promisc, "promiscuous", false, "with -i, put the interface in promiscuous mode")
	// The shared flags, with the defaults and checks of analyze.
	all := &cobra.Command{}
	o.register(all)
	o.filter.register(all)
	for _, name := range topAnalysisFlags {
		if fl := all.Flags().Lookup(name); fl != nil {
			f.AddFlag(fl)
		}
	}
	return cmd
}

// runTopReplay replays the -r files under the UI.
func runTopReplay(cmd *cobra.Command, cfg pipeline.Config, o *analyzeOptions, t *topOptions) error {
	ctx, cancel := context.WithCancel(cmd.Context())
	defer cancel()
	stdin, stopStdin := interruptibleStdin(ctx, cmd.InOrStdin(), t.files)
	defer stopStdin()
	src, err := capture.OpenFiles(t.files, capture.Options{Stdin: stdin, Filter: o.filter.fn()})
	if err != nil {
		return err
	}
	defer src.Close()
	return runTop(ctx, cancel, cmd, o, tui.ModeReplay, t.refresh, func(ctx context.Context, cfg pipeline.Config) (*report.Report, error) {
		return pipeline.Replay(ctx, src, cfg, pipeline.ReplayConfig{Speed: t.speed})
	}, cfg)
}

// runTopLive captures on the -i interface under the UI.
func runTopLive(cmd *cobra.Command, cfg pipeline.Config, o *analyzeOptions, t *topOptions) error {
	prog, err := liveFilter(t.iface, &o.filter)
	if err != nil {
		return err
	}
	src, err := capture.OpenLive(t.iface, capture.LiveOptions{Filter: prog, Promiscuous: t.promisc})
	if err != nil {
		return err
	}
	defer src.Close()
	ctx, cancel := context.WithCancel(cmd.Context())
	defer cancel()
	return runTop(ctx, cancel, cmd, o, tui.ModeLive, t.refresh, func(ctx context.Context, cfg pipeline.Config) (*report.Report, error) {
		return pipeline.RunLive(ctx, src, cfg, pipeline.LiveConfig{})
	}, cfg)
}

// liveFilter compiles -f for the interface's link type, or returns the
// --bpf-file program; nil without a filter.
func liveFilter(iface string, f *filterOptions) ([]bpf.RawInstruction, error) {
	switch {
	case f.parsed != nil:
		lt, err := capture.LiveLinkType(iface)
		if err != nil {
			return nil, err
		}
		p, err := f.parsed.Compile(uint16(lt))
		if err != nil {
			return nil, usageError{fmt.Errorf("bad --filter for %s: %w", iface, err)}
		}
		return p.Raw(), nil
	case f.prog != nil:
		return f.prog.Raw(), nil
	}
	return nil, nil
}

// runTop runs analyse on its own goroutine, feeding its snapshots and then
// its final report to the UI, until the user quits. Quitting cancels the
// analysis (through cancel) and waits for it; the final report is then
// written when -o was given, and a read error is returned.
func runTop(ctx context.Context, cancel context.CancelFunc, cmd *cobra.Command, o *analyzeOptions, mode tui.Mode,
	refresh time.Duration, analyse func(context.Context, pipeline.Config) (*report.Report, error), cfg pipeline.Config) error {
	screen, err := newScreen()
	if err != nil {
		return fmt.Errorf("top needs a terminal: %w", err)
	}
	restore, err := o.limits.setRuntime()
	if err != nil {
		return err
	}
	defer restore()
	updates := tui.NewUpdates()
	// Snapshot runs on the analysis goroutine, the only sender: Offer
	// never blocks it.
	cfg.Snapshot = func(rep *report.Report) { tui.Offer(updates, rep) }
	var (
		final  *report.Report
		runErr error
	)
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		defer close(updates)
		final, runErr = analyse(ctx, cfg)
		tui.Offer(updates, final)
	}()
	uiErr := tui.Run(ctx, screen, updates, tui.Options{Mode: mode, Refresh: refresh})
	cancel()
	<-finished
	if uiErr != nil {
		return uiErr
	}
	if final != nil && final.Interrupted && mode == tui.ModeReplay {
		fmt.Fprintln(cmd.ErrOrStderr(), "connscope: stopped before the end of the input; the report covers the packets read so far")
	}
	if o.output != "" && o.output != "-" && final != nil {
		if err := writeReport(final, o, cmd.OutOrStdout()); err != nil {
			return err
		}
	}
	return runErr
}
