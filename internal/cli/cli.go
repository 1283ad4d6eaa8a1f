package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"connscope/analysis"
	"connscope/analysis/registry"
	"connscope/capture"
	"connscope/internal/demo"
	"connscope/internal/pipeline"
	"connscope/report"
)

// Version is the program version, set at build time with
// -ldflags "-X connscope/internal/cli.Version=v1.2.3".
var Version = "dev"

// Exit codes.
const (
	ExitOK    = 0
	ExitError = 1
	ExitUsage = 2
)

// usageError marks errors that are the user's invocation, not the input.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// Main runs the command line with args (without the program name) and
// returns the exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// After the first signal the run winds down and writes its report; a
	// second one terminates the process as usual.
	context.AfterFunc(ctx, stop)
	root := NewRoot(stdin, stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	fmt.Fprintln(stderr, "connscope: "+oneLine(err.Error()))
	var ue usageError
	if errors.As(err, &ue) || isCobraUsage(err) {
		return ExitUsage
	}
	return ExitError
}

func oneLine(s string) string { return strings.ReplaceAll(strings.TrimSpace(s), "\n", " ") }

// isCobraUsage recognises cobra's own argument and flag errors.
func isCobraUsage(err error) bool {
	s := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "accepts ", "requires at least", "invalid argument", "flag needs an argument", "bad flag syntax", "if any flags in the group"} {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

// NewRoot builds the command tree.
func NewRoot(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "connscope",
		Short: "Explain what TCP and HTTP connections did in a packet capture",
		Long: `connscope reads packet captures (pcap, pcapng, gzip-compressed, or stdin),
rebuilds every TCP connection and HTTP/1.x exchange, and reports in plain words
what the connections did wrong and what to change: connections not reused,
Nagle and delayed-ACK stalls, slow start, resets, TIME_WAIT churn and more.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       Version,
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newAnalyze(), newDemo(), newSchema(), newExplain(), newVersion())
	root.AddCommand(newTop())
	root.AddCommand(newCapture())
	return root
}

// analyzeOptions are the flags of analyze and demo.
type analyzeOptions struct {
	format      string
	output      string
	maxConns    int
	idle        time.Duration
	linger      time.Duration
	quiet       time.Duration
	timeWait    time.Duration
	portRange   string
	maxParallel int
	params      []string // --set NAME=VALUE
	maxRows     int
	see         seeOptions   // --annotate, --max-graphs (see.go)
	limits      limitOptions // resource limits (limits.go)

	// filter holds -f and --bpf-file (filter.go), registered by analyze
	// and demo only.
	filter filterOptions
}

func (o *analyzeOptions) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.format, "format", "text", "output format: text, json, ndjson, har or html")
	f.StringVarP(&o.output, "output", "o", "", "write the report to `FILE` (atomically) instead of stdout")
	f.IntVar(&o.maxConns, "max-conns", 1<<20, "most TCP connections tracked at once; the least recently active is evicted past it")
	f.DurationVar(&o.idle, "idle-timeout", 5*time.Minute, "close a connection after this long without packets (capture time)")
	f.DurationVar(&o.linger, "close-linger", 5*time.Second, "keep a closed connection this long (capture time) so late packets still count; shorter saves memory on captures of many short connections")
	f.DurationVar(&o.quiet, "quiet-linger", time.Second, "report a connection closed by FIN both ways this long after both FINs were acknowledged, keeping only its tuple for the rest of --close-linger (0: keep it whole)")
	f.DurationVar(&o.timeWait, "time-wait", 60*time.Second, "TIME_WAIT duration assumed for the hosts (Linux 60s, Windows 120s)")
	f.StringVar(&o.portRange, "port-range", "32768-60999", "ephemeral port range assumed for clients, `LO-HI`")
	f.IntVar(&o.maxParallel, "max-parallel", 6, "connections to one server above which parallelism is flagged")
	f.StringArrayVar(&o.params, "set", nil, "set a detector threshold, `NAME=VALUE` (repeatable; 'connscope explain --params' lists them)")
	f.IntVar(&o.maxRows, "max-rows", 20, "most connections listed in the text report")
	o.see.register(cmd)
	o.limits.register(cmd)
	_ = cmd.RegisterFlagCompletionFunc("format", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"text", "json", "ndjson", "har", "html"}, cobra.ShellCompDirectiveNoFileComp
	})
}

func (o *analyzeOptions) config() (pipeline.Config, error) {
	cfg := pipeline.DefaultConfig()
	cfg.Tool.Version = Version
	if err := o.filter.prepare(); err != nil {
		return cfg, err
	}
	switch o.format {
	case "text", "json", "ndjson", "har", "html":
	default:
		return cfg, usageError{fmt.Errorf("unknown --format %q (want text, json, ndjson, har or html)", o.format)}
	}
	if err := o.see.apply(&cfg, o.format); err != nil {
		return cfg, err
	}
	// The JSON and NDJSON writers stream records from a record log: an
	// offline run's memory then follows the open connections, not the
	// capture's length (the log spills to $TMPDIR). The other writers need
	// the records as structs and keep them in memory.
	cfg.RecordLog.On = o.format == "json" || o.format == "ndjson"
	if o.maxConns < 1 {
		return cfg, usageError{fmt.Errorf("--max-conns must be at least 1")}
	}
	cfg.Tracker.MaxConns = o.maxConns
	cfg.Tracker.IdleTimeout = o.idle
	if o.idle <= 0 {
		cfg.Tracker.IdleTimeout = -1
	}
	cfg.Tracker.CloseLinger = o.linger
	if o.linger <= 0 {
		cfg.Tracker.CloseLinger = -1
	}
	cfg.Tracker.QuietLinger = o.quiet
	if o.quiet <= 0 {
		cfg.Tracker.QuietLinger = -1
	}
	cfg.Analysis.TimeWait = o.timeWait
	var lo, hi int
	if _, err := fmt.Sscanf(o.portRange, "%d-%d", &lo, &hi); err != nil || lo < 1 || hi > 65535 || lo > hi {
		return cfg, usageError{fmt.Errorf("bad --port-range %q (want LO-HI within 1-65535)", o.portRange)}
	}
	cfg.Analysis.PortRangeLo, cfg.Analysis.PortRangeHi = lo, hi
	cfg.Analysis.MaxParallel = o.maxParallel
	if len(o.params) > 0 {
		cfg.Analysis.Params = map[string]string{}
		for _, kv := range o.params {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				return cfg, usageError{fmt.Errorf("bad --set %q (want NAME=VALUE)", kv)}
			}
			cfg.Analysis.Params[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
		if err := analysis.CheckParams(cfg.Analysis.Params, registry.Default()); err != nil {
			return cfg, usageError{fmt.Errorf("bad --set: %w", err)}
		}
	}
	if err := o.limits.apply(&cfg); err != nil {
		return cfg, err
	}
	return cfg, nil
}

func newAnalyze() *cobra.Command {
	o := &analyzeOptions{}
	prog := &progressOptions{}
	cmd := &cobra.Command{
		Use:   "analyze [flags] FILE...",
		Short: "Analyse capture files (pcap, pcapng, .gz; - for stdin)",
		Example: `  connscope analyze capture.pcapng
  connscope analyze --format json -o report.json a.pcap b.pcap
  tcpdump -i eth0 -w - port 80 | connscope analyze -`,
		Args: cobra.MinimumNArgs(1),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return []string{"pcap", "pcapng", "cap", "gz"}, cobra.ShellCompDirectiveFilterFileExt
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := o.config()
			if err != nil {
				return err
			}
			if err := o.see.fromFiles(args, capture.Options{Filter: o.filter.fn()}); err != nil {
				return err
			}
			stdin, stopStdin := interruptibleStdin(cmd.Context(), cmd.InOrStdin(), args)
			defer stopStdin()
			src, err := capture.OpenFiles(args, capture.Options{Stdin: stdin, Filter: o.filter.fn()})
			if err != nil {
				return err
			}
			defer src.Close()
			cfg.Progress = prog.hook(args, cmd.ErrOrStderr())
			return runAndWrite(cmd.Context(), src, cfg, o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	o.register(cmd)
	o.filter.register(cmd)
	prog.register(cmd)
	return cmd
}

func newDemo() *cobra.Command {
	o := &analyzeOptions{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Analyse a small embedded capture of real traffic and print the report",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := o.config()
			if err != nil {
				return err
			}
			o.see.fromDemo()
			src, err := capture.OpenReaderOptions(demo.Name, demo.Open(), capture.Options{Filter: o.filter.fn()})
			if err != nil {
				return err
			}
			defer src.Close()
			return runAndWrite(cmd.Context(), src, cfg, o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	o.register(cmd)
	o.filter.register(cmd)
	return cmd
}

// runAndWrite runs the pipeline and writes the report, also when reading
// failed or was interrupted part-way.
func runAndWrite(ctx context.Context, src capture.Source, cfg pipeline.Config, o *analyzeOptions, stdout, stderr io.Writer) error {
	restore, err := o.limits.setRuntime()
	if err != nil {
		return err
	}
	defer restore()
	rep, runErr := pipeline.Run(ctx, src, cfg)
	defer rep.Deferred.Close()
	if rep.Interrupted {
		fmt.Fprintln(stderr, "connscope: interrupted; the report covers the packets read so far")
	}
	if err := writeReport(rep, o, stdout); err != nil {
		return err
	}
	if runErr == nil {
		if err := o.see.annotateCapture(ctx, rep, cfg, stderr); err != nil {
			return err
		}
	}
	return runErr
}

func writeReport(rep *report.Report, o *analyzeOptions, stdout io.Writer) error {
	write := func(w io.Writer) error {
		switch o.format {
		case "json":
			return report.WriteJSON(w, rep)
		case "ndjson":
			return report.WriteNDJSON(w, rep)
		case "har":
			return report.WriteHAR(w, rep)
		case "html":
			return report.WriteHTML(w, rep, o.see.htmlOptions())
		}
		return report.WriteText(w, rep, report.TextOptions{MaxConnections: o.maxRows})
	}
	if o.output == "" || o.output == "-" {
		return write(stdout)
	}
	return writeFileAtomic(o.output, write)
}

// writeFileAtomic writes through a temporary file in the same directory and
// renames it into place, so a reader never sees a partial report.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() {
		// A device or pipe (-o /dev/null, -o /dev/stdout): write to it
		// in place; renaming over it would replace the device.
		return writeInPlace(path, write)
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %q: %w", path, err)
	}
	name := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(name)
		}
	}()
	if err := write(tmp); err != nil {
		return fmt.Errorf("write %q: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write %q: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %q: %w", path, err)
	}
	if err := os.Chmod(name, 0o644); err != nil {
		return fmt.Errorf("write %q: %w", path, err)
	}
	if err := os.Rename(name, path); err != nil {
		return fmt.Errorf("write %q: %w", path, err)
	}
	ok = true
	return nil
}

func newSchema() *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of the JSON report",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := cmd.OutOrStdout().Write(report.Schema())
			return err
		},
	}
}

func newExplain() *cobra.Command {
	var params bool
	cmd := &cobra.Command{
		Use:   "explain [KIND]",
		Short: "Explain a finding kind: what it means, the rule that fires it, and the fix",
		Example: `  connscope explain
  connscope explain tcp_nagle_delayed_ack_stall
  connscope explain --params`,
		Args: cobra.MaximumNArgs(1),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			var ks []string
			for _, k := range registry.Kinds() {
				ks = append(ks, k.Kind)
			}
			return ks, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			if params {
				if len(args) > 0 {
					return usageError{errors.New("--params takes no finding kind")}
				}
				fmt.Fprintln(out, "Detector thresholds (connscope explain KIND gives each rule), set with --set NAME=VALUE:")
				for _, f := range registry.Default() {
					if f.Options == nil {
						continue
					}
					for _, p := range analysis.Params(f.Name, f.Options()) {
						fmt.Fprintf(out, "  %-34s %-9s %s\n", p.Name, p.Type, p.Default)
					}
				}
				return nil
			}
			kinds := registry.Kinds()
			sort.SliceStable(kinds, func(i, j int) bool { return kinds[i].Kind < kinds[j].Kind })
			if len(args) == 0 {
				for _, k := range kinds {
					fmt.Fprintf(out, "%-34s %-8s %s\n", k.Kind, k.Severity, k.Title)
				}
				return nil
			}
			for _, k := range kinds {
				if k.Kind == args[0] {
					fmt.Fprintf(out, "%s (%s)\n%s\n\n%s\n", k.Kind, k.Severity, k.Title, strings.TrimSpace(k.Explain))
					explainParams(out, k.Kind)
					return nil
				}
			}
			return usageError{fmt.Errorf("unknown finding kind %q (run 'connscope explain' for the list)", args[0])}
		},
	}
	cmd.Flags().BoolVar(&params, "params", false, "list the detector thresholds --set can change, with their defaults")
	return cmd
}

// explainParams lists the thresholds of the detector that emits kind, if
// it has any.
func explainParams(out io.Writer, kind string) {
	for _, f := range registry.Default() {
		if f.Options == nil || !slices.ContainsFunc(f.Kinds, func(k analysis.KindDoc) bool { return k.Kind == kind }) {
			continue
		}
		fmt.Fprintf(out, "\nThresholds of the %s detector (--set NAME=VALUE):\n", f.Name)
		for _, p := range analysis.Params(f.Name, f.Options()) {
			fmt.Fprintf(out, "  %-34s %s\n", p.Name, p.Default)
		}
	}
}

func newVersion() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), "connscope "+Version)
		},
	}
}
