// Command lab regenerates the real-traffic captures in testdata/pcaps.
//
//	lab [-out DIR] [scenario...]   run the named scenarios (default: all)
//	lab -list                      list scenarios and their workloads
//	lab -verify [scenario...]      only count the committed captures with tshark
//	lab helper NAME [flags]        internal: a client/server helper run inside a namespace
//
// Running scenarios needs root and `ip netns`; see package lab.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"connscope/internal/lab"
)

func main() { os.Exit(run()) }

func run() int {
	if len(os.Args) > 1 && os.Args[1] == "helper" {
		if len(os.Args) < 3 {
			fmt.Fprintln(os.Stderr, "usage: lab helper NAME [flags]")
			return 2
		}
		if err := lab.RunHelper(os.Args[2], os.Args[3:], os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			return 1
		}
		return 0
	}
	fs := flag.NewFlagSet("lab", flag.ContinueOnError)
	out := fs.String("out", "", "output directory (default: testdata/pcaps of the enclosing module)")
	list := fs.Bool("list", false, "list scenarios")
	verifyOnly := fs.Bool("verify", false, "only verify existing captures with tshark")
	scenario := fs.String("scenario", "", "one scenario to run (same as a positional name)")
	if err := fs.Parse(os.Args[1:]); err != nil {
		return 2
	}
	if *list {
		for _, s := range lab.Scenarios() {
			fmt.Printf("%-24s %s\n%-24s   $ %s\n", s.Name, s.Shows, "", s.Command())
		}
		return 0
	}
	names := fs.Args()
	if *scenario != "" {
		names = append(names, *scenario)
	}
	if len(names) == 0 {
		names = lab.Names()
	}
	var scs []lab.Scenario
	for _, n := range names {
		s, ok := lab.Lookup(n)
		if !ok {
			fmt.Fprintf(os.Stderr, "lab: unknown scenario %q (use -list)\n", n)
			return 2
		}
		scs = append(scs, s)
	}
	dir := *out
	if dir == "" {
		root, err := moduleRoot()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		dir = filepath.Join(root, "testdata", "pcaps")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if *verifyOnly {
		return verifyAll(ctx, scs, dir)
	}
	if err := lab.Check(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "lab: cannot locate own binary:", err)
		return 2
	}
	prefix := fmt.Sprintf("lab%d", os.Getpid()%100000)
	failed := 0
	for _, s := range scs {
		if ctx.Err() != nil {
			break
		}
		fmt.Printf("== %s\n", s.Name)
		results, err := lab.Run(ctx, s, dir, prefix, self, os.Stdout)
		if err != nil {
			fmt.Fprintf(os.Stderr, "FAIL %s: %v\n", s.Name, err)
			failed++
			continue
		}
		for _, res := range results {
			if !report(ctx, s, res) {
				failed++
			}
		}
	}
	if failed > 0 {
		fmt.Fprintf(os.Stderr, "lab: %d scenario(s) failed\n", failed)
		return 1
	}
	return 0
}

// report verifies one written capture and prints its line; false on failure.
func report(ctx context.Context, s lab.Scenario, res lab.Result) bool {
	line := fmt.Sprintf("%s  %s (raw %s) time_wait client=%d server=%d", filepath.Base(res.Path),
		lab.HumanSize(res.Size), lab.HumanSize(res.RawSize), res.ClientTW, res.ServerTW)
	c, err := lab.Count(ctx, res.Path)
	switch {
	case errors.Is(err, lab.ErrNoTshark):
		fmt.Printf("ok   %s (tshark missing, not verified)\n", line)
	case err != nil:
		fmt.Fprintf(os.Stderr, "FAIL %s: %v\n", s.Name, err)
		return false
	case s.Expect.Check(c) != nil:
		fmt.Fprintf(os.Stderr, "FAIL %s  %s: %v\n", line, c, s.Expect.Check(c))
		return false
	default:
		fmt.Printf("ok   %s  %s\n", line, c)
	}
	return true
}

func verifyAll(ctx context.Context, scs []lab.Scenario, dir string) int {
	failed := 0
	for _, s := range scs {
		for _, name := range s.CaptureNames() {
			if !verifyOne(ctx, s, dir, name) {
				failed++
			}
		}
	}
	if failed > 0 {
		return 1
	}
	return 0
}

func verifyOne(ctx context.Context, s lab.Scenario, dir, name string) bool {
	path, err := lab.CaptureFile(dir, name)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return false
	}
	c, err := lab.Count(ctx, path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return false
	}
	st, err := os.Stat(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return false
	}
	status, ok := "ok  ", true
	if err := s.Expect.Check(c); err != nil {
		status, ok = "FAIL", false
	}
	fmt.Printf("%s %-36s %10s  %s\n", status, filepath.Base(path), lab.HumanSize(st.Size()), c)
	return ok
}

// moduleRoot finds the directory holding go.mod, walking up from the
// working directory.
func moduleRoot() (string, error) {
	d, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("lab: %w", err)
	}
	for i := 0; i < 64; i++ {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		p := filepath.Dir(d)
		if p == d {
			break
		}
		d = p
	}
	return "", errors.New("lab: go.mod not found above the working directory; pass -out")
}
