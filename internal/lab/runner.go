package lab

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// GzipThreshold is the raw capture size above which the file is written
// gzip-compressed even if the scenario does not ask for it.
const GzipThreshold = 128 << 10

// Result describes one written capture.
type Result struct {
	Scenario string
	Path     string   // written file
	RawSize  int64    // uncompressed capture size
	Size     int64    // size on disk
	Output   []string // client step outputs (trimmed), for the log
	// ClientTW and ServerTW count sockets in TIME_WAIT in each namespace
	// when the capture stopped (-1 if ss failed): who closed first.
	ClientTW, ServerTW int
}

// Expand replaces the Step placeholders in arg.
func Expand(arg, self, dir string) string {
	r := strings.NewReplacer(
		"{SELF}", self,
		"{URL}", "http://"+ServerAddr(ServerPort),
		"{S}", ServerIP,
		"{DIR}", dir,
	)
	return r.Replace(arg)
}

// Run produces the captures for sc in outDir (one file, or a client and a
// server file with ServerCapture). prefix names the namespaces, self is the
// lab binary re-executed for helpers, log receives progress.
func Run(ctx context.Context, sc Scenario, outDir, prefix, self string, log io.Writer) ([]Result, error) {
	e, err := NewEnv(prefix, self, sc.Path, log)
	if err != nil {
		return nil, err
	}
	defer e.Close()

	names := make([]string, 0, len(sc.Files))
	for n := range sc.Files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(e.Dir, n), sc.Files[n], 0o644); err != nil {
			return nil, fmt.Errorf("lab: write %s: %w", n, err)
		}
	}
	if err := e.Sysctl(e.Client, sc.ClientSysctls...); err != nil {
		return nil, err
	}
	if err := e.Sysctl(e.Server, sc.ServerSysctls...); err != nil {
		return nil, err
	}
	switch {
	case sc.Nginx != nil:
		if _, err := e.StartNginx(ctx, *sc.Nginx); err != nil {
			return nil, err
		}
	case len(sc.ServerHelper) > 0:
		argv := append([]string{self, "helper"}, sc.ServerHelper...)
		if _, err := e.Start(e.Server, "server-helper", argv...); err != nil {
			return nil, err
		}
		if err := e.WaitListen(ctx, ServerAddr(ServerPort)); err != nil {
			return nil, err
		}
	}

	type capture struct {
		raw string
		p   *Proc
	}
	var caps []capture
	raw := filepath.Join(e.Dir, "client.pcap")
	td, err := e.StartCapture(raw)
	if err != nil {
		return nil, err
	}
	caps = append(caps, capture{raw, td})
	if sc.ServerCapture {
		raw := filepath.Join(e.Dir, "server.pcap")
		td, err := e.StartServerCapture(raw)
		if err != nil {
			return nil, err
		}
		caps = append(caps, capture{raw, td})
	}
	time.Sleep(100 * time.Millisecond)
	var output []string
	for i, st := range sc.Steps {
		if st.Pause > 0 {
			time.Sleep(st.Pause)
		}
		argv := make([]string, len(st.Argv))
		for j, a := range st.Argv {
			argv[j] = Expand(a, self, e.Dir)
		}
		to := st.Timeout
		if to == 0 {
			to = 30 * time.Second
		}
		out, code, err := e.Run(ctx, e.Client, to, argv...)
		out = strings.TrimSpace(out)
		if out != "" {
			output = append(output, out)
			fmt.Fprintf(log, "  step %d output:\n    %s\n", i+1, strings.ReplaceAll(out, "\n", "\n    "))
		}
		if err != nil {
			return nil, fmt.Errorf("lab: %s step %d: %w", sc.Name, i+1, err)
		}
		ok := st.OK
		if ok == nil {
			ok = []int{0}
		}
		if !slices.Contains(ok, code) {
			return nil, fmt.Errorf("lab: %s step %d: %s exited %d (accepted %v)", sc.Name, i+1, argv[0], code, ok)
		}
		fmt.Fprintf(log, "  step %d: %s -> exit %d\n", i+1, argv[0], code)
	}
	settle := sc.Settle
	if settle == 0 {
		settle = 300 * time.Millisecond
	}
	time.Sleep(settle)
	for _, c := range caps {
		_ = c.p.Stop(syscall.SIGINT, 5*time.Second)
	}
	ctw := e.countTimeWait(ctx, e.Client)
	stw := e.countTimeWait(ctx, e.Server)
	if e.Router != "" {
		if b, err := os.ReadFile(filepath.Join(e.Dir, "delayline.log")); err == nil {
			lines := strings.Split(strings.TrimSpace(string(b)), "\n")
			fmt.Fprintf(log, "  %s\n", lines[len(lines)-1])
		}
	}
	var results []Result
	for i, name := range sc.CaptureNames() {
		res := Result{Scenario: sc.Name, Output: output, ClientTW: ctw, ServerTW: stw}
		res, err := writeCapture(caps[i].raw, outDir, name, sc.Gzip, res)
		if err != nil {
			return results, err
		}
		results = append(results, res)
	}
	return results, nil
}

func writeCapture(raw, outDir, base string, forceGzip bool, res Result) (Result, error) {
	st, err := os.Stat(raw)
	if err != nil {
		return res, fmt.Errorf("lab: capture missing: %w", err)
	}
	res.RawSize = st.Size()
	if res.RawSize <= 24 {
		return res, fmt.Errorf("lab: %s: capture is empty", base)
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return res, fmt.Errorf("lab: %w", err)
	}
	gz := forceGzip || res.RawSize > GzipThreshold
	name := base + ".pcap"
	other := name + ".gz"
	if gz {
		name, other = other, name
	}
	dst := filepath.Join(outDir, name)
	tmp := dst + ".tmp"
	if err := copyFile(raw, tmp, gz); err != nil {
		os.Remove(tmp)
		return res, err
	}
	if err := os.Rename(tmp, dst); err != nil {
		return res, fmt.Errorf("lab: %w", err)
	}
	if err := os.Remove(filepath.Join(outDir, other)); err != nil && !os.IsNotExist(err) {
		return res, fmt.Errorf("lab: remove stale %s: %w", other, err)
	}
	st, err = os.Stat(dst)
	if err != nil {
		return res, fmt.Errorf("lab: %w", err)
	}
	res.Path, res.Size = dst, st.Size()
	return res, nil
}

func copyFile(src, dst string, gz bool) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("lab: %w", err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return fmt.Errorf("lab: %w", err)
	}
	var w io.Writer = out
	var zw *gzip.Writer
	if gz {
		// No name or mtime in the header: the gzip wrapper adds nothing
		// that changes between runs.
		zw, _ = gzip.NewWriterLevel(out, gzip.BestCompression)
		w = zw
	}
	if _, err := io.Copy(w, in); err != nil {
		out.Close()
		return fmt.Errorf("lab: copy capture: %w", err)
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			out.Close()
			return fmt.Errorf("lab: gzip: %w", err)
		}
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("lab: %w", err)
	}
	return nil
}

// HumanSize renders n bytes as KiB with one decimal.
func HumanSize(n int64) string {
	return strconv.FormatFloat(float64(n)/1024, 'f', 1, 64) + " KiB"
}

// CaptureFile returns the existing capture for scenario name in dir
// (<name>.pcap or <name>.pcap.gz).
func CaptureFile(dir, name string) (string, error) {
	for _, n := range []string{name + ".pcap", name + ".pcap.gz"} {
		p := filepath.Join(dir, n)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("lab: no capture for %s in %s", name, dir)
}

// countTimeWait returns the number of TCP sockets in TIME_WAIT in ns, or -1.
func (e *Env) countTimeWait(ctx context.Context, ns string) int {
	out, code, err := e.Run(ctx, ns, 10*time.Second, "ss", "-Htan", "state", "time-wait")
	if err != nil || code != 0 {
		return -1
	}
	n := 0
	for _, l := range strings.Split(out, "\n") {
		if strings.TrimSpace(l) != "" {
			n++
		}
	}
	return n
}
