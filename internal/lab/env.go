package lab

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Addresses of the two lab hosts (TEST-NET-1, RFC 5737 §3).
const (
	ClientIP = "192.0.2.1"
	ServerIP = "192.0.2.2"
	// ServerPort is where nginx or the scenario's server helper listens.
	ServerPort = 8080
)

// Env is one client/server namespace pair with everything started in it.
// Create it with NewEnv and always call Close.
type Env struct {
	Prefix   string // namespace name prefix
	Client   string // client namespace
	Server   string // server namespace
	Router   string // delay-line namespace, "" without PathOptions
	ClientIf string // veth in the client namespace
	ServerIf string // veth in the server namespace
	Self     string // path of the lab binary (re-executed for helpers)
	Dir      string // temporary working directory, removed by Close
	Log      io.Writer

	procs   []*Proc
	created []string // namespaces created, for Close
}

// Proc is a background process started in a namespace.
type Proc struct {
	Name string
	Cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// Check reports the first missing prerequisite for running scenarios:
// root, `ip netns` and tcpdump.
func Check() error {
	if os.Geteuid() != 0 {
		return errors.New("lab: must run as root (network namespaces and tcpdump need CAP_NET_ADMIN/CAP_NET_RAW)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return fmt.Errorf("lab: iproute2 `ip` not found: %w", err)
	}
	out, err := exec.Command("ip", "netns", "list").CombinedOutput()
	if err != nil {
		return fmt.Errorf("lab: `ip netns` unavailable (%s): %w", strings.TrimSpace(string(out)), err)
	}
	if _, err := exec.LookPath("tcpdump"); err != nil {
		return fmt.Errorf("lab: tcpdump not found: %w", err)
	}
	return nil
}

// PathOptions put a user-space delay line (helper "delayline") between the
// hosts: a third namespace "<prefix>r" bridges the client and server veths,
// holding every frame for Delay in each direction (RTT = 2*Delay) and
// dropping frames with the given probabilities (0..1).
type PathOptions struct {
	Delay        time.Duration
	LossToServer float64
	LossToClient float64
	Seed         int64
}

// NewEnv creates the namespaces and veth pairs: a direct veth pair when path
// is nil, else client and server each joined to a router namespace running
// the delay line. prefix must be short (interface names are limited to 15
// bytes); self is the lab binary.
func NewEnv(prefix, self string, path *PathOptions, log io.Writer) (*Env, error) {
	dir, err := os.MkdirTemp("", "connscope-lab-")
	if err != nil {
		return nil, fmt.Errorf("lab: temp dir: %w", err)
	}
	e := &Env{
		Prefix:   prefix,
		Client:   prefix + "c",
		Server:   prefix + "s",
		ClientIf: prefix + "vc",
		ServerIf: prefix + "vs",
		Self:     self,
		Dir:      dir,
		Log:      log,
	}
	if path != nil {
		e.Router = prefix + "r"
	}
	if len(e.ClientIf) > 15 {
		e.Close()
		return nil, fmt.Errorf("lab: prefix %q too long for interface names", prefix)
	}
	if err := e.setup(path); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

func (e *Env) setup(path *PathOptions) error {
	nss := []string{e.Client, e.Server}
	if e.Router != "" {
		nss = append(nss, e.Router)
	}
	for _, ns := range nss {
		// A namespace left over from an interrupted run with the same name.
		_ = exec.Command("ip", "netns", "del", ns).Run()
		if err := e.ip("netns", "add", ns); err != nil {
			return err
		}
		e.created = append(e.created, ns)
	}
	rc, rs := e.Prefix+"rc", e.Prefix+"rs"
	var cmds [][]string
	if e.Router == "" {
		cmds = [][]string{
			{"link", "add", e.ClientIf, "type", "veth", "peer", "name", e.ServerIf},
		}
	} else {
		cmds = [][]string{
			{"link", "add", e.ClientIf, "type", "veth", "peer", "name", rc},
			{"link", "add", e.ServerIf, "type", "veth", "peer", "name", rs},
			{"link", "set", rc, "netns", e.Router},
			{"link", "set", rs, "netns", e.Router},
			// Promiscuous: frames addressed to the far host's MAC must
			// reach the delay line's packet sockets.
			{"-n", e.Router, "link", "set", rc, "promisc", "on", "up"},
			{"-n", e.Router, "link", "set", rs, "promisc", "on", "up"},
		}
	}
	cmds = append(cmds, [][]string{
		{"link", "set", e.ClientIf, "netns", e.Client},
		{"link", "set", e.ServerIf, "netns", e.Server},
		{"-n", e.Client, "addr", "add", ClientIP + "/24", "dev", e.ClientIf},
		{"-n", e.Server, "addr", "add", ServerIP + "/24", "dev", e.ServerIf},
		{"-n", e.Client, "link", "set", "lo", "up"},
		{"-n", e.Server, "link", "set", "lo", "up"},
		{"-n", e.Client, "link", "set", e.ClientIf, "up"},
		{"-n", e.Server, "link", "set", e.ServerIf, "up"},
		// BBR is the machine default and child namespaces may not select
		// cubic globally; a per-route congctl works (detection-methods §6.3).
		{"-n", e.Client, "route", "replace", "192.0.2.0/24", "dev", e.ClientIf, "congctl", "cubic"},
		{"-n", e.Server, "route", "replace", "192.0.2.0/24", "dev", e.ServerIf, "congctl", "cubic"},
	}...)
	for _, c := range cmds {
		if err := e.ip(c...); err != nil {
			return err
		}
	}
	// tx off: checksums are computed in software, so captures carry valid
	// TCP checksums (veth otherwise leaves CHECKSUM_PARTIAL values) and
	// frames forwarded by the delay line are accepted by the far host.
	// tso/gso/gro off: one frame is one TCP segment.
	offload := [][2]string{{e.Client, e.ClientIf}, {e.Server, e.ServerIf}}
	if e.Router != "" {
		offload = append(offload, [2]string{e.Router, rc}, [2]string{e.Router, rs})
	}
	if _, err := exec.LookPath("ethtool"); err == nil {
		for _, p := range offload {
			out, err := exec.Command("ip", "netns", "exec", p[0], "ethtool", "-K", p[1],
				"tx", "off", "tso", "off", "gso", "off", "gro", "off").CombinedOutput()
			if err != nil {
				return fmt.Errorf("lab: ethtool -K %s: %s: %w", p[1], strings.TrimSpace(string(out)), err)
			}
		}
	} else {
		fmt.Fprintln(e.Log, "lab: warning: ethtool not found, offloads stay on (frames may carry several segments)")
	}
	if e.Router == "" {
		return nil
	}
	// The router namespace must not add frames of its own (IPv6 router
	// solicitations, neighbour discovery) to the path.
	if err := e.Sysctl(e.Router, "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"); err != nil {
		return err
	}
	p, err := e.Start(e.Router, "delayline", e.Self, "helper", "delayline", "-a", rc, "-b", rs,
		"-delay", path.Delay.String(),
		"-loss-ab", strconv.FormatFloat(path.LossToServer, 'f', -1, 64),
		"-loss-ba", strconv.FormatFloat(path.LossToClient, 'f', -1, 64),
		"-seed", strconv.FormatInt(path.Seed, 10))
	if err != nil {
		return err
	}
	logPath := filepath.Join(e.Dir, "delayline.log")
	for i := 0; i < 100; i++ {
		b, _ := os.ReadFile(logPath)
		if strings.Contains(string(b), "delayline:") {
			return nil
		}
		if p.Exited() {
			return fmt.Errorf("lab: delay line exited: %s", strings.TrimSpace(string(b)))
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("lab: delay line did not start within 5s")
}

func (e *Env) ip(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("lab: ip %s: %s: %w", strings.Join(args, " "), strings.TrimSpace(string(out)), err)
	}
	return nil
}

// Sysctl sets key=value pairs inside namespace ns.
func (e *Env) Sysctl(ns string, kv ...string) error {
	for _, s := range kv {
		out, err := exec.Command("ip", "netns", "exec", ns, "sysctl", "-q", "-w", s).CombinedOutput()
		if err != nil {
			return fmt.Errorf("lab: sysctl %s in %s: %s: %w", s, ns, strings.TrimSpace(string(out)), err)
		}
	}
	return nil
}

// Start runs argv in namespace ns in the background. Its output goes to
// <Dir>/<name>.log. Close terminates it.
func (e *Env) Start(ns, name string, argv ...string) (*Proc, error) {
	logf, err := os.Create(filepath.Join(e.Dir, name+".log"))
	if err != nil {
		return nil, fmt.Errorf("lab: log for %s: %w", name, err)
	}
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns}, argv...)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("lab: start %s: %w", name, err)
	}
	p := &Proc{Name: name, Cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	e.procs = append(e.procs, p)
	return p, nil
}

// Stop sends sig to the process group and waits up to wait for it to exit,
// then kills it.
func (p *Proc) Stop(sig syscall.Signal, wait time.Duration) error {
	select {
	case <-p.done:
		return p.err
	default:
	}
	_ = syscall.Kill(-p.Cmd.Process.Pid, sig)
	select {
	case <-p.done:
	case <-time.After(wait):
		_ = syscall.Kill(-p.Cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
	return p.err
}

// Exited reports whether the process has ended.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Run executes argv in namespace ns in the foreground with a timeout and
// returns its combined output and exit code (-1 when it did not exit
// normally).
func (e *Env) Run(ctx context.Context, ns string, timeout time.Duration, argv ...string) (string, int, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", ns}, argv...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		return string(out), -1, fmt.Errorf("lab: %s timed out after %v: %w", strings.Join(argv, " "), timeout, ctx.Err())
	}
	code := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			return string(out), -1, fmt.Errorf("lab: run %s: %w", strings.Join(argv, " "), err)
		}
		code = ee.ExitCode()
	}
	return string(out), code, nil
}

// StartCapture starts tcpdump on the client veth writing to file and waits
// until it is listening.
func (e *Env) StartCapture(file string) (*Proc, error) {
	return e.startTcpdump(e.Client, e.ClientIf, file)
}

// StartServerCapture is StartCapture on the server's veth.
func (e *Env) StartServerCapture(file string) (*Proc, error) {
	return e.startTcpdump(e.Server, e.ServerIf, file)
}

func (e *Env) startTcpdump(ns, ifname, file string) (*Proc, error) {
	// --immediate-mode and -U: a short capture stopped soon after the
	// traffic can otherwise come back empty (detection-methods §6.1). DNS
	// over UDP is kept for the scenarios that resolve names.
	cmd := exec.Command("ip", "netns", "exec", ns, "tcpdump", "-i", ifname, "-s", "0",
		"--immediate-mode", "-U", "-n", "-w", file, "tcp or udp port 53")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, fmt.Errorf("lab: tcpdump pipe: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("lab: start tcpdump: %w", err)
	}
	p := &Proc{Name: "tcpdump-" + ns, Cmd: cmd, done: make(chan struct{})}
	e.procs = append(e.procs, p)
	ready := make(chan struct{})
	logPath := filepath.Join(e.Dir, p.Name+".log")
	go func() {
		logf, _ := os.Create(logPath)
		sc := bufio.NewScanner(stderr)
		once := false
		for sc.Scan() {
			if logf != nil {
				fmt.Fprintln(logf, sc.Text())
			}
			if !once && strings.Contains(sc.Text(), "listening on") {
				once = true
				close(ready)
			}
		}
		if logf != nil {
			logf.Close()
		}
		p.err = cmd.Wait()
		close(p.done)
	}()
	select {
	case <-ready:
		return p, nil
	case <-p.done:
		return nil, fmt.Errorf("lab: tcpdump exited early (see %s): %v", logPath, p.err)
	case <-time.After(10 * time.Second):
		_ = p.Stop(syscall.SIGKILL, time.Second)
		return nil, errors.New("lab: tcpdump did not start within 10s")
	}
}

// WaitListen waits until a TCP listener on addr exists in the server
// namespace. It asks `ss` instead of connecting, so no probe connection
// reaches one-shot server helpers or crosses the captured veth.
func (e *Env) WaitListen(ctx context.Context, addr string) error {
	const step = 50 * time.Millisecond
	for i := 0; i < 200; i++ {
		out, code, err := e.Run(ctx, e.Server, 5*time.Second, "ss", "-Hltn", "src", addr)
		if err != nil {
			return err
		}
		if code == 0 && strings.Contains(out, "LISTEN") {
			return nil
		}
		time.Sleep(step)
	}
	return fmt.Errorf("lab: nothing listening on %s after 10s", addr)
}

// Close stops every process started through e (SIGTERM, then SIGKILL after
// 3 s), deletes the namespaces and removes Dir.
func (e *Env) Close() {
	for i := len(e.procs) - 1; i >= 0; i-- {
		_ = e.procs[i].Stop(syscall.SIGTERM, 3*time.Second)
	}
	e.procs = nil
	for _, ns := range e.created {
		var out []byte
		var err error
		for try := 0; try < 3; try++ {
			if out, err = exec.Command("ip", "netns", "del", ns).CombinedOutput(); err == nil {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if err != nil {
			fmt.Fprintf(e.Log, "lab: warning: ip netns del %s: %s\n", ns, strings.TrimSpace(string(out)))
		}
	}
	e.created = nil
	if e.Dir != "" {
		_ = os.RemoveAll(e.Dir)
	}
}

// ServerAddr is ServerIP:port.
func ServerAddr(port int) string { return ServerIP + ":" + strconv.Itoa(port) }
