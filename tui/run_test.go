package tui

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"connscope/report"
)

// testScreen is a simulation screen that copies what is shown on every
// Show, on the drawing goroutine, so tests read a consistent frame without
// racing the UI.
type testScreen struct {
	tcell.SimulationScreen
	w, h int

	mu     sync.Mutex
	frame  []string
	unsafe []rune // terminal-interpreted runes found in any shown cell
	shows  int
}

func (s *testScreen) Init() error {
	if err := s.SimulationScreen.Init(); err != nil {
		return err
	}
	s.SimulationScreen.SetSize(s.w, s.h)
	return nil
}

func (s *testScreen) Show() {
	s.SimulationScreen.Show()
	cells, w, h := s.SimulationScreen.GetContents()
	frame := make([]string, h)
	var bad []rune
	for y := 0; y < h; y++ {
		var b strings.Builder
		for x := 0; x < w; x++ {
			c := cells[y*w+x]
			if len(c.Runes) == 0 {
				b.WriteByte(' ')
				continue
			}
			for _, r := range c.Runes {
				if _, ok := terminalSafe(string(r)); !ok {
					bad = append(bad, r)
				}
			}
			b.WriteString(string(c.Runes))
		}
		frame[y] = strings.TrimRight(b.String(), " ")
	}
	s.mu.Lock()
	s.frame, s.shows = frame, s.shows+1
	s.unsafe = append(s.unsafe, bad...)
	s.mu.Unlock()
}

func (s *testScreen) text() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.frame, "\n")
}

// line returns the first shown line containing sub, or "".
func (s *testScreen) line(sub string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.frame {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}

// waitFor waits until the shown frame satisfies ok.
func (s *testScreen) waitFor(t *testing.T, what string, ok func(frame string) bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if ok(s.text()) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s; screen:\n%s", what, s.text())
}

func (s *testScreen) waitText(t *testing.T, sub string) {
	t.Helper()
	s.waitFor(t, "screen to show "+sub, func(f string) bool { return strings.Contains(f, sub) })
}

func (s *testScreen) waitGone(t *testing.T, sub string) {
	t.Helper()
	s.waitFor(t, "screen to stop showing "+sub, func(f string) bool { return !strings.Contains(f, sub) })
}

// waitRows waits until the table lists the connection ids want
// (comma-separated, in screen order).
func (s *testScreen) waitRows(t *testing.T, want string) {
	t.Helper()
	s.waitFor(t, "rows "+want, func(f string) bool { return strings.Join(rowOrder(f), ",") == want })
}

func (s *testScreen) typeText(text string) {
	for _, r := range text {
		s.InjectKey(tcell.KeyRune, r, tcell.ModNone)
	}
}

type session struct {
	scr     *testScreen
	updates chan *report.Report
	cancel  context.CancelFunc
	done    chan error
}

// start runs the UI on a w×h simulation screen and waits for its first
// frame.
func start(t *testing.T, w, h int) *session {
	t.Helper()
	scr := &testScreen{SimulationScreen: tcell.NewSimulationScreen("UTF-8"), w: w, h: h}
	ctx, cancel := context.WithCancel(context.Background())
	s := &session{scr: scr, updates: NewUpdates(), cancel: cancel, done: make(chan error, 1)}
	go func() { s.done <- Run(ctx, scr, s.updates, Options{Mode: ModeReplay, Refresh: 5 * time.Millisecond}) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.done:
		case <-time.After(5 * time.Second):
			t.Error("Run did not return after cancel")
		}
	})
	scr.waitText(t, "waiting for the first snapshot")
	return s
}

// wait waits for Run to return and returns its error.
func (s *session) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-s.done:
		s.done <- err // for Cleanup
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return")
	}
	return nil
}

// rowOrder returns the connection ids of the table rows in screen order.
func rowOrder(frame string) []string {
	var ids []string
	for _, l := range strings.Split(frame, "\n") {
		f := strings.Fields(l)
		if len(f) >= 3 && (strings.HasPrefix(f[1], "10.") || strings.HasPrefix(f[1], "[2001")) {
			ids = append(ids, f[0])
		}
	}
	return ids
}

func TestRunTable(t *testing.T) {
	s := start(t, 140, 30)
	Offer(s.updates, fixture())
	s.scr.waitText(t, "10.0.0.2:80")
	frame := s.scr.text()
	for _, want := range []string{"CLIENT", "SERVER", "RTT", "FIND", "[replay]", "packets 42", "FINDINGS  4", "rst_unread", "sort id asc"} {
		if !strings.Contains(frame, want) {
			t.Errorf("screen lacks %q:\n%s", want, frame)
		}
	}
	row := s.scr.line("10.0.0.2:80")
	for _, want := range []string{"http/1.1", "fin/client", "500us", "100B/4.9K"} {
		if !strings.Contains(row, want) {
			t.Errorf("row %q lacks %q", row, want)
		}
	}
	if got := strings.Join(rowOrder(frame), ","); got != "1,2,3" {
		t.Errorf("rows = %s, want 1,2,3", got)
	}
}

func TestRunSortKeys(t *testing.T) {
	tests := []struct {
		name   string
		keys   string
		status string
		order  string
	}{
		{"s once sorts by client", "s", "sort client asc", "1,2,3"},
		{"r reverses", "r", "sort id desc", "3,2,1"},
		{"six s sort by rtt, largest first", "ssssss", "sort rtt desc", "2,1,3"},
		{"rtt reversed keeps the missing last", "ssssssr", "sort rtt asc", "1,2,3"},
		{"findings", "ssssssss", "sort findings desc", "3,1,2"},
		{"full cycle back to id", "sssssssss", "sort id asc", "1,2,3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := start(t, 140, 30)
			Offer(s.updates, fixture())
			s.scr.waitText(t, "10.0.0.2:80")
			s.scr.typeText(tc.keys)
			s.scr.waitText(t, tc.status)
			if got := strings.Join(rowOrder(s.scr.text()), ","); got != tc.order {
				t.Errorf("rows = %s, want %s", got, tc.order)
			}
		})
	}
}

func TestRunFilter(t *testing.T) {
	s := start(t, 140, 30)
	Offer(s.updates, fixture())
	s.scr.waitText(t, "10.0.0.2:80")
	s.scr.typeText("/443")
	s.scr.waitText(t, "/443")
	s.scr.waitRows(t, "2")
	if !strings.Contains(s.scr.text(), "rows 1/3") {
		t.Errorf("status does not count the filtered rows:\n%s", s.scr.text())
	}
	// Enter keeps the filter; q now quits again instead of being typed.
	s.scr.InjectKey(tcell.KeyEnter, 0, tcell.ModNone)
	s.scr.waitText(t, "filter: 443 (Esc clears)")
	// A new snapshot keeps the filter.
	rep := fixture()
	rep.Capture.Packets = 99
	Offer(s.updates, rep)
	s.scr.waitText(t, "packets 99")
	if got := strings.Join(rowOrder(s.scr.text()), ","); got != "2" {
		t.Errorf("rows after a new snapshot = %s, want 2", got)
	}
	// Esc clears it.
	s.scr.InjectKey(tcell.KeyEscape, 0, tcell.ModNone)
	s.scr.waitRows(t, "1,2,3")
	// Esc while typing backs out and clears; nothing matches meanwhile.
	s.scr.typeText("/zzz")
	s.scr.waitText(t, "no connection matches the filter")
	s.scr.InjectKey(tcell.KeyBackspace2, 0, tcell.ModNone)
	s.scr.waitText(t, "/zz")
	s.scr.InjectKey(tcell.KeyEscape, 0, tcell.ModNone)
	s.scr.waitRows(t, "1,2,3")
	if strings.Contains(s.scr.text(), "filter:") {
		t.Errorf("filter still shown after Esc:\n%s", s.scr.text())
	}
}

func TestRunDetail(t *testing.T) {
	s := start(t, 140, 30)
	Offer(s.updates, fixture())
	s.scr.waitText(t, "10.0.0.2:80")
	s.scr.InjectKey(tcell.KeyDown, 0, tcell.ModNone)
	s.scr.InjectKey(tcell.KeyUp, 0, tcell.ModNone)
	s.scr.InjectKey(tcell.KeyEnter, 0, tcell.ModNone)
	s.scr.waitText(t, "CONNECTION 1")
	for _, want := range []string{"HANDSHAKE  complete", "server half", "TIME_WAIT held by client", "web.test /b", "advice: set TCP_NODELAY"} {
		if !strings.Contains(s.scr.text(), want) {
			t.Errorf("detail lacks %q:\n%s", want, s.scr.text())
		}
	}
	// Detail follows new snapshots of the same connection.
	rep := fixture()
	rep.Connections[0].Protocol = "http/1.0"
	Offer(s.updates, rep)
	s.scr.waitText(t, "10.0.0.2:80  http/1.0")
	s.scr.InjectKey(tcell.KeyEscape, 0, tcell.ModNone)
	s.scr.waitGone(t, "CONNECTION 1")
	s.scr.waitText(t, "FINDINGS  4")
	// The selection stays on the row it was on.
	s.scr.InjectKey(tcell.KeyDown, 0, tcell.ModNone)
	s.scr.InjectKey(tcell.KeyEnter, 0, tcell.ModNone)
	s.scr.waitText(t, "CONNECTION 2")
}

func TestRunHelp(t *testing.T) {
	s := start(t, 140, 30)
	Offer(s.updates, fixture())
	s.scr.waitText(t, "10.0.0.2:80")
	s.scr.typeText("?")
	s.scr.waitText(t, "CONNSCOPE TOP  keys")
	s.scr.InjectKey(tcell.KeyEscape, 0, tcell.ModNone)
	s.scr.waitGone(t, "CONNSCOPE TOP  keys")
	s.scr.waitText(t, "10.0.0.2:80")
	// Help from the detail view returns to it.
	s.scr.InjectKey(tcell.KeyEnter, 0, tcell.ModNone)
	s.scr.waitText(t, "CONNECTION 1")
	s.scr.typeText("?")
	s.scr.waitText(t, "CONNSCOPE TOP  keys")
	s.scr.typeText("?")
	s.scr.waitText(t, "CONNECTION 1")
}

func TestRunHostileTextIsEscaped(t *testing.T) {
	s := start(t, 140, 30)
	Offer(s.updates, fixture())
	s.scr.waitText(t, "10.0.0.2:80")
	s.scr.typeText("/pwned")
	s.scr.InjectKey(tcell.KeyEnter, 0, tcell.ModNone)
	s.scr.waitRows(t, "3")
	s.scr.InjectKey(tcell.KeyEnter, 0, tcell.ModNone)
	s.scr.waitText(t, `\x1b]0;pwned\x07`)
	s.scr.waitText(t, `reset\x1b[2J with unread data`)
	if title := s.scr.GetTitle(); title != "" {
		t.Errorf("terminal title set to %q", title)
	}

	// Every string of a fully hostile report, on every view.
	Offer(s.updates, hostileReport())
	s.scr.waitText(t, `\x1b[31m\u009b2J\u202e\xff\r\n`)
	s.scr.InjectKey(tcell.KeyEscape, 0, tcell.ModNone) // back to the table
	s.scr.InjectKey(tcell.KeyEscape, 0, tcell.ModNone) // clear the filter
	s.scr.waitText(t, "FINDINGS  4")
	s.scr.mu.Lock()
	bad := s.scr.unsafe
	s.scr.mu.Unlock()
	if len(bad) > 0 {
		t.Errorf("runes a terminal interprets reached the screen: %U", bad)
	}
}

func TestRunQuit(t *testing.T) {
	tests := []struct {
		name string
		key  tcell.Key
		r    rune
	}{
		{"q", tcell.KeyRune, 'q'},
		{"ctrl-c", tcell.KeyCtrlC, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := start(t, 100, 25)
			s.scr.InjectKey(tc.key, tc.r, tcell.ModNone)
			if err := s.wait(t); err != nil {
				t.Errorf("Run = %v, want nil", err)
			}
		})
	}
	t.Run("q while filtering is text; ctrl-c still quits", func(t *testing.T) {
		s := start(t, 100, 25)
		s.scr.typeText("/q")
		s.scr.waitText(t, "/q")
		s.scr.InjectKey(tcell.KeyCtrlC, 0, tcell.ModNone)
		if err := s.wait(t); err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	})
	t.Run("context cancelled", func(t *testing.T) {
		s := start(t, 100, 25)
		s.cancel()
		if err := s.wait(t); err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	})
}

func TestRunDone(t *testing.T) {
	s := start(t, 100, 25)
	Offer(s.updates, fixture())
	close(s.updates)
	s.scr.waitText(t, "[done]")
	s.scr.waitText(t, "10.0.0.2:80")
}

func TestRunSmallScreens(t *testing.T) {
	sizes := []struct {
		name string
		w, h int
	}{
		{"tiny", 10, 3},
		{"one line", 40, 1},
		{"narrow", 30, 40},
		{"short", 200, 8},
	}
	for _, sz := range sizes {
		t.Run(sz.name, func(t *testing.T) {
			scr := &testScreen{SimulationScreen: tcell.NewSimulationScreen("UTF-8"), w: sz.w, h: sz.h}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			updates := NewUpdates()
			done := make(chan error, 1)
			go func() { done <- Run(ctx, scr, updates, Options{Refresh: time.Millisecond}) }()
			Offer(updates, fixture())
			scr.waitFor(t, "two frames", func(string) bool {
				scr.mu.Lock()
				defer scr.mu.Unlock()
				return scr.shows >= 2
			})
			for _, k := range []tcell.Key{tcell.KeyDown, tcell.KeyPgDn, tcell.KeyEnd, tcell.KeyEnter, tcell.KeyPgDn, tcell.KeyEscape} {
				scr.InjectKey(k, 0, tcell.ModNone)
			}
			scr.InjectKey(tcell.KeyRune, 'q', tcell.ModNone)
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run = %v", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Run did not return")
			}
		})
	}
}

func TestOffer(t *testing.T) {
	ch := NewUpdates()
	a, b, c := fixture(), fixture(), fixture()
	for _, r := range []*report.Report{a, b, c} {
		if !Offer(ch, r) {
			t.Fatal("Offer to a single-producer channel failed")
		}
	}
	select {
	case got := <-ch:
		if got != c {
			t.Error("Offer kept a stale snapshot, want the latest")
		}
	default:
		t.Fatal("channel empty after Offer")
	}
	select {
	case <-ch:
		t.Error("more than one snapshot queued")
	default:
	}
}

func TestRunInitError(t *testing.T) {
	err := Run(context.Background(), failingScreen{tcell.NewSimulationScreen("UTF-8")}, nil, Options{})
	if !errors.Is(err, errInit) {
		t.Errorf("Run = %v, want the Init error wrapped", err)
	}
}

var errInit = errors.New("no terminal")

type failingScreen struct{ tcell.SimulationScreen }

func (failingScreen) Init() error { return errInit }
