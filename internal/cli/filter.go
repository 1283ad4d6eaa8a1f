package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"connscope/capture"
	"connscope/filter"
)

// filterOptions are the packet-filter flags: -f EXPR (a subset of the
// tcpdump filter language, compiled per link type) or --bpf-file FILE
// (tcpdump -ddd output, used as is).
type filterOptions struct {
	expr string
	file string

	parsed *filter.Expr    // -f, once prepared
	prog   *filter.Program // --bpf-file, once prepared
}

func (o *filterOptions) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVarP(&o.expr, "filter", "f", "", "keep only packets matching `EXPR`, in a subset of tcpdump filter syntax (host, net, port, portrange, tcp, udp, ip, ip6, icmp, vlan, and/or/not)")
	f.StringVar(&o.file, "bpf-file", "", "keep only packets accepted by the classic BPF program in `FILE` (tcpdump -ddd output, compiled for the capture's link type)")
	cmd.MarkFlagsMutuallyExclusive("filter", "bpf-file")
}

// prepare parses the expression or reads the program file. Errors in the
// expression are usage errors; an unreadable or malformed file is not.
func (o *filterOptions) prepare() error {
	o.parsed, o.prog = nil, nil
	switch {
	case o.expr != "":
		e, err := filter.Parse(o.expr)
		if err != nil {
			return usageError{fmt.Errorf("bad --filter: %w", err)}
		}
		o.parsed = e
	case o.file != "":
		text, err := os.ReadFile(o.file)
		if err != nil {
			return fmt.Errorf("--bpf-file: %w", err)
		}
		raw, err := filter.ParseDDD(string(text))
		if err != nil {
			return fmt.Errorf("--bpf-file %q: %w", o.file, err)
		}
		p, err := filter.FromRaw(raw)
		if err != nil {
			return fmt.Errorf("--bpf-file %q: %w", o.file, err)
		}
		o.prog = p
	}
	return nil
}

// fn returns the capture filter hook, nil without a filter. prepare must
// have run.
func (o *filterOptions) fn() capture.FilterFunc {
	switch {
	case o.parsed != nil:
		return o.parsed.ForLinkType
	case o.prog != nil:
		return o.prog.ForLinkType
	}
	return nil
}
