package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"connscope/capture"
	"connscope/report"
)

const curlReuse = "../../testdata/pcaps/curl_reuse.pcap"

func TestTopUsage(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		code    int
		errLike string
	}{
		{"no_source", []string{"top"}, ExitUsage, "needs -r FILE"},
		{"both_sources", []string{"top", "-r", curlReuse, "-i", "lo"}, ExitUsage, "not both"},
		{"positional_arg", []string{"top", curlReuse}, ExitUsage, "unknown command"},
		{"short_refresh", []string{"top", "-r", curlReuse, "--refresh", "1ms"}, ExitUsage, "--refresh"},
		{"bad_format", []string{"top", "-r", curlReuse, "--format", "xml"}, ExitUsage, "unknown --format"},
		{"bad_speed", []string{"top", "-r", curlReuse, "--speed", "-1"}, ExitUsage, "--speed"},
		{"bad_filter", []string{"top", "-r", curlReuse, "-f", "port port"}, ExitUsage, "--filter"},
		{"no_such_interface", []string{"top", "-i", "nosuch0"}, ExitError, "nosuch0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := run(t, "", c.args...)
			if code != c.code {
				t.Errorf("exit code %d, want %d (stderr %q)", code, c.code, stderr)
			}
			if !strings.Contains(stderr, c.errLike) {
				t.Errorf("stderr %q does not mention %q", stderr, c.errLike)
			}
		})
	}
}

// frameScreen is a simulation screen that copies each shown frame on the
// drawing goroutine, so the test reads it without racing the UI.
type frameScreen struct {
	tcell.SimulationScreen
	mu    sync.Mutex
	frame string
}

func (s *frameScreen) Show() {
	s.SimulationScreen.Show()
	cells, w, h := s.SimulationScreen.GetContents()
	var b strings.Builder
	for i := 0; i < w*h; i++ {
		if len(cells[i].Runes) == 0 {
			b.WriteByte(' ')
		} else {
			b.WriteString(string(cells[i].Runes))
		}
		if (i+1)%w == 0 {
			b.WriteByte('\n')
		}
	}
	s.mu.Lock()
	s.frame = b.String()
	s.mu.Unlock()
}

func (s *frameScreen) shows(sub string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Contains(s.frame, sub)
}

// topRun is top running on a simulation screen.
type topRun struct {
	scr    *frameScreen
	code   chan int
	stderr *bytes.Buffer
}

// startTop runs connscope with args (a top command) on a simulation
// screen.
func startTop(t *testing.T, args ...string) *topRun {
	t.Helper()
	r := &topRun{scr: &frameScreen{SimulationScreen: tcell.NewSimulationScreen("UTF-8")}, code: make(chan int, 1), stderr: &bytes.Buffer{}}
	prev := newScreen
	newScreen = func() (tcell.Screen, error) { return r.scr, nil }
	t.Cleanup(func() { newScreen = prev })
	go func() { r.code <- Main(args, strings.NewReader(""), &bytes.Buffer{}, r.stderr) }()
	return r
}

// waitFor waits until the screen shows every one of subs.
func (r *topRun) waitFor(t *testing.T, subs ...string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		all := true
		for _, s := range subs {
			all = all && r.scr.shows(s)
		}
		if all {
			return
		}
		if time.Now().After(deadline) {
			r.scr.mu.Lock()
			defer r.scr.mu.Unlock()
			t.Fatalf("screen never showed %q:\n%s", subs, r.scr.frame)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// quit presses q and waits for the exit code.
func (r *topRun) quit(t *testing.T) int {
	t.Helper()
	r.scr.InjectKey(tcell.KeyRune, 'q', tcell.ModNone)
	select {
	case c := <-r.code:
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("top did not exit on q")
	}
	return -1
}

// TestTopReplay drives top -r on a simulation screen: the connection of
// the capture appears, the status says done, q quits, and -o writes the
// final report.
func TestTopReplay(t *testing.T) {
	out := filepath.Join(t.TempDir(), "final.json")
	r := startTop(t, "top", "-r", curlReuse, "--refresh", "10ms", "--format", "json", "-o", out)
	r.waitFor(t, "192.0.2.2:8080", "[done]")
	if c := r.quit(t); c != ExitOK {
		t.Fatalf("exit code %d, stderr %q", c, r.stderr.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep report.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("final report: %v", err)
	}
	if len(rep.Connections) == 0 || rep.Connections[0].Server != "192.0.2.2:8080" || rep.Interrupted {
		t.Errorf("final report has connections %+v, interrupted %v; want the capture's connection to 192.0.2.2:8080", rep.Connections, rep.Interrupted)
	}
}

// TestTopTmux runs the built binary in a detached tmux session, as a user
// would: the connection row appears on the terminal and q ends the process.
func TestTopTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		t.Skip("tmux not installed")
	}
	bin := filepath.Join(t.TempDir(), "connscope")
	build := exec.Command("go", "build", "-o", bin, "connscope/cmd/connscope")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	pcap, err := filepath.Abs(curlReuse)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sock := filepath.Join(dir, "tmux.sock")
	conf := filepath.Join(dir, "tmux.conf")
	if err := os.WriteFile(conf, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tm := func(args ...string) (string, error) {
		b, err := exec.Command(tmux, append([]string{"-S", sock, "-f", conf}, args...)...).CombinedOutput()
		return string(b), err
	}
	// A foreground server (-D) needs no daemon(3), which some sandboxes
	// break; the test ends it with kill-server.
	server := exec.Command(tmux, "-S", sock, "-f", conf, "-D")
	if err := server.Start(); err != nil {
		t.Fatalf("tmux server: %v", err)
	}
	t.Cleanup(func() {
		_, _ = tm("kill-server")
		done := make(chan struct{})
		go func() { _ = server.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = server.Process.Kill()
		}
	})
	const session = "connscope_top"
	// A shell in the pane runs top and records its exit status and stderr
	// in files: tmux can mark a pane dead when its terminal closes, before
	// it has reaped the process, so its pane_dead_status is not reliable.
	status := filepath.Join(dir, "status")
	stderr := filepath.Join(dir, "stderr")
	script := fmt.Sprintf("%s top -r %s 2>%s; echo $? >%s.tmp && mv %s.tmp %s",
		shellQuote(bin), shellQuote(pcap), shellQuote(stderr), shellQuote(status), shellQuote(status), shellQuote(status))
	var out string
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if out, err = tm("new-session", "-d", "-s", session, "-x", "150", "-y", "40",
			"env", "TERM=xterm-256color", "sh", "-c", script); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("tmux new-session: %v\n%s", err, out)
		}
	}

	capture := func() string {
		out, _ := tm("capture-pane", "-p", "-t", session)
		return out
	}
	var screen string
	deadline := time.Now().Add(60 * time.Second)
	for {
		screen = capture()
		if strings.Contains(screen, "192.0.2.2:8080") && strings.Contains(screen, "[done]") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("connection row never appeared; pane:\n%s", screen)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, want := range []string{"192.0.2.1:", "CLIENT", "FINDINGS", "curl_reuse.pcap"} {
		if !strings.Contains(screen, want) {
			t.Errorf("pane lacks %q:\n%s", want, screen)
		}
	}
	if out, err := tm("send-keys", "-t", session, "q"); err != nil {
		t.Fatalf("tmux send-keys: %v\n%s", err, out)
	}
	deadline = time.Now().Add(30 * time.Second)
	for {
		b, err := os.ReadFile(status)
		if err == nil {
			if code := strings.TrimSpace(string(b)); code != "0" {
				errText, _ := os.ReadFile(stderr)
				t.Errorf("top exited with status %s, want 0; stderr:\n%s\npane:\n%s", code, errText, capture())
			}
			return
		}
		if time.Now().After(deadline) {
			errText, _ := os.ReadFile(stderr)
			t.Fatalf("top still running 30s after q; stderr:\n%s\npane:\n%s", errText, capture())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// shellQuote quotes s for sh -c.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// TestTopLive captures on the loopback interface while the test makes HTTP
// requests to its own server: the connection appears live, and q ends the
// capture.
func TestTopLive(t *testing.T) {
	probe, err := capture.OpenLive("lo", capture.LiveOptions{})
	if err != nil {
		t.Skipf("no live capture here: %v", err)
	}
	probe.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "hello\n")
	}))
	defer srv.Close()
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	r := startTop(t, "top", "-i", "lo", "-f", fmt.Sprintf("tcp port %d", port), "--refresh", "50ms")
	r.waitFor(t, "[live]")
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			resp, err := srv.Client().Get(srv.URL + "/live")
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	r.waitFor(t, fmt.Sprintf("127.0.0.1:%d", port), "http/1.1")
	close(stop)
	<-done
	if c := r.quit(t); c != ExitOK {
		t.Fatalf("exit code %d, stderr %q", c, r.stderr.String())
	}
}
