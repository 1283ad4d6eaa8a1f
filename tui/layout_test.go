package tui

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"connscope/report"
)

func ids(rows []Row) []uint32 {
	out := make([]uint32, len(rows))
	for i := range rows {
		out[i] = rows[i].Conn.ID
	}
	return out
}

func TestRowsSort(t *testing.T) {
	tests := []struct {
		name string
		sort Sort
		want []uint32
	}{
		{"id ascending", Sort{Col: ColID}, []uint32{1, 2, 3}},
		{"id descending", Sort{Col: ColID, Desc: true}, []uint32{3, 2, 1}},
		// IPv4 addresses order before IPv6 ones; ports break address ties.
		{"client ascending", Sort{Col: ColClient}, []uint32{1, 2, 3}},
		{"client descending", Sort{Col: ColClient, Desc: true}, []uint32{3, 2, 1}},
		{"server descending", Sort{Col: ColServer, Desc: true}, []uint32{3, 2, 1}},
		// Equal protocols fall back to the id.
		{"protocol ascending", Sort{Col: ColProtocol}, []uint32{1, 3, 2}},
		{"close ascending", Sort{Col: ColClose}, []uint32{1, 3, 2}},
		// Connection 2 carried no HTTP: it stays last in both directions.
		{"requests descending", Sort{Col: ColRequests, Desc: true}, []uint32{1, 3, 2}},
		{"requests ascending", Sort{Col: ColRequests}, []uint32{3, 1, 2}},
		// Connection 3 has no RTT at all: last in both directions.
		{"rtt descending", Sort{Col: ColRTT, Desc: true}, []uint32{2, 1, 3}},
		{"rtt ascending", Sort{Col: ColRTT}, []uint32{1, 2, 3}},
		{"bytes descending", Sort{Col: ColBytes, Desc: true}, []uint32{1, 2, 3}},
		{"findings descending", Sort{Col: ColFindings, Desc: true}, []uint32{3, 1, 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ids(Rows(fixture(), "", tc.sort))
			if !slices.Equal(got, tc.want) {
				t.Errorf("order = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRowsFilter(t *testing.T) {
	tests := []struct {
		name   string
		filter string
		want   []uint32
	}{
		{"empty matches all", "", []uint32{1, 2, 3}},
		{"server port", ":443", []uint32{2}},
		{"client address prefix", "10.0.0.1:", []uint32{1, 2}},
		{"protocol case-insensitive", "HTTP/1.1", []uint32{1, 3}},
		{"request target", "/b", []uint32{1}},
		{"request host", "web.test", []uint32{1}},
		{"tls server name", "example.org", []uint32{2}},
		{"ipv6 endpoint", "[2001:db8::2]", []uint32{3}},
		{"hostile target by its text", "pwned", []uint32{3}},
		// What the screen shows is the escaped text, so that is what matches.
		{"hostile target by its escape", `\x1b]0;`, []uint32{3}},
		{"raw control byte never matches", "\x1b", nil},
		{"nothing", "no-such-thing", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ids(Rows(fixture(), tc.filter, Sort{}))
			if len(got) == 0 {
				got = nil
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Rows(%q) = %v, want %v", tc.filter, got, tc.want)
			}
		})
	}
}

func TestRowCells(t *testing.T) {
	rows := Rows(fixture(), "", Sort{})
	tests := []struct {
		name string
		id   uint32
		want [NumColumns]string
	}{
		{"http with data rtt", 1, [NumColumns]string{"1", "10.0.0.1:40000", "10.0.0.2:80", "http/1.1", "fin/client", "3", "500us", "100B/4.9K", "1"}},
		{"tls falls back to handshake rtt", 2, [NumColumns]string{"2", "10.0.0.1:40001", "10.0.0.9:443", "tls", "rst/server", "-", "2.0ms", "50B/50B", "0"}},
		{"open without rtt", 3, [NumColumns]string{"3", "[2001:db8::1]:5000", "[2001:db8::2]:8080", "http/1.1", "open", "1", "-", "10B/0B", "2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			i := slices.IndexFunc(rows, func(r Row) bool { return r.Conn.ID == tc.id })
			if i < 0 {
				t.Fatalf("no row for connection %d", tc.id)
			}
			if got := rows[i].Cells(); got != tc.want {
				t.Errorf("cells = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRowsRefused(t *testing.T) {
	rep := fixture()
	rep.Connections[1].Close = report.Close{Kind: "rst", Initiator: "server", Refused: true}
	rows := Rows(rep, ":443", Sort{})
	if len(rows) != 1 || rows[0].Cells()[ColClose] != "refused" {
		t.Fatalf("close cell of a refused connection = %v, want refused", rows)
	}
}

func TestSortNext(t *testing.T) {
	s := Sort{}
	seen := map[Column]bool{}
	for i := 0; i < int(NumColumns); i++ {
		s = s.Next()
		seen[s.Col] = true
		if s.Desc != s.Col.numeric() {
			t.Errorf("column %v: Desc = %v, want %v (measures start largest first)", s.Col, s.Desc, s.Col.numeric())
		}
	}
	if s.Col != ColID || len(seen) != int(NumColumns) {
		t.Errorf("after %d steps: col %v, %d columns seen; want a full cycle back to ID", NumColumns, s.Col, len(seen))
	}
	if got := (Sort{Col: ColRTT, Desc: true}).String(); got != "rtt desc" {
		t.Errorf("String = %q, want %q", got, "rtt desc")
	}
}

func TestStatusText(t *testing.T) {
	tests := []struct {
		name string
		rep  *report.Report
		mode Mode
		done bool
		want []string
	}{
		{"no snapshot yet", nil, ModeLive, false, []string{"waiting for the first snapshot", "[live]"}},
		{"replay", fixture(), ModeReplay, false, []string{"fixture.pcap", "packets 42", "conns 3", "reqs 4", "drops 3", "anomalies 3", "findings 4", "[replay]"}},
		{"done", fixture(), ModeReplay, true, []string{"[done]"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := StatusText(tc.rep, tc.mode, tc.done)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("status %q lacks %q", got, w)
				}
			}
		})
	}
	rep := fixture()
	rep.Interrupted = true
	if got := StatusText(rep, ModeLive, true); !strings.Contains(got, "interrupted") {
		t.Errorf("status of an interrupted run %q does not say so", got)
	}
}

func TestFindingLines(t *testing.T) {
	lines := FindingLines(fixture())
	// Errors first, then warnings by kind, then info.
	wantKinds := []string{"rst_unread", "nagle_delayed_ack_stall", "time_wait_churn", "info_thing"}
	if len(lines) != len(wantKinds) {
		t.Fatalf("got %d lines, want %d: %q", len(lines), len(wantKinds), lines)
	}
	for i, k := range wantKinds {
		if !strings.Contains(lines[i], k) {
			t.Errorf("line %d = %q, want kind %s", i, lines[i], k)
		}
	}
	checks := []struct {
		line int
		want string
	}{
		{0, "conn 3"}, {0, "x2"}, {0, `reset\x1b[2J with unread data`},
		{1, "conn 1 #1"}, {1, "40.0ms"},
		{2, "peer 10.0.0.1 -> 10.0.0.2:80"},
	}
	for _, c := range checks {
		if !strings.Contains(lines[c.line], c.want) {
			t.Errorf("line %d = %q lacks %q", c.line, lines[c.line], c.want)
		}
	}
}

func TestDetailLines(t *testing.T) {
	tests := []struct {
		name string
		id   uint32
		want []string
	}{
		{"handshake and options", 1, []string{
			"CONNECTION 1  tcp  10.0.0.1:40000 -> 10.0.0.2:80  http/1.1",
			"HANDSHAKE  complete",
			"rtt 1.2ms = server half (SYN -> SYN/ACK) 900us + client half (SYN/ACK -> ACK) 300us",
			"client options: mss 1460  window scale 7  sack yes  timestamps yes",
			"server options: mss 1400  window scale absent  sack no  timestamps no",
			"negotiated: mss 1400  window scale not negotiated",
		}},
		{"close and time_wait", 1, []string{"CLOSE  fin  initiator client  TIME_WAIT held by client  at +1.000s"}},
		{"request timeline", 1, []string{
			"REQUESTS  3 requests, 3 responses, 0 pipelined, keep-alive yes",
			"0    +100.0ms   GET     200    1.2ms     10us      2.5ms     300us     2.0K       web.test /a",
			"1    +200.0ms   GET     404    -         5us       41.0ms    100us     0B         web.test /b",
			"[pipelined]",
			"data rtt min 400us  p50 500us  max 900us  (5 samples)",
		}},
		{"findings with advice", 1, []string{"FINDINGS  1", "nagle_delayed_ack_stall", "#1", "request waited 40ms", "advice: set TCP_NODELAY"}},
		{"tls", 2, []string{"sni example.org", "CLOSE  rst  initiator server  TIME_WAIT held by none"}},
		{"hostile target escaped", 3, []string{`GET     -      -         0us       -         -         0B`, `\x1b]0;pwned\x07`, "[no response]", "FINDINGS  2", `reset\x1b[2J`}},
		{"missing connection", 99, []string{"Connection 99 is not in the current snapshot."}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			text := strings.Join(DetailLines(fixture(), tc.id), "\n")
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("detail lacks %q:\n%s", w, text)
				}
			}
		})
	}
}

// terminalSafe reports the first rune a terminal would interpret, if any.
func terminalSafe(s string) (rune, bool) {
	if !utf8.ValidString(s) {
		return utf8.RuneError, false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
			return r, false
		}
	}
	return 0, true
}

// hostileReport puts control sequences in every string a capture can
// control.
func hostileReport() *report.Report {
	const bad = "\x1b[31m\u009b2J\u202e\xff\r\n"
	rep := fixture()
	rep.Capture.Sources = []string{bad}
	rep.Capture.Anomalies = map[string]uint64{bad: 1}
	for i := range rep.Connections {
		c := &rep.Connections[i]
		c.Client, c.Server, c.Protocol, c.Transport = bad, bad, bad, bad
		c.Close.Kind, c.Close.Initiator, c.Close.TimeWaitHolder, c.Close.At = bad, bad, bad, bad
		c.Start, c.RoleSource, c.Vantage = bad, bad, bad
		c.Anomalies = map[string]int{bad: 1}
		c.TLS = &report.ConnTLS{SNI: bad, ALPN: []string{bad}, ALPNSelected: bad, Version: bad}
		c.H2 = &report.ConnH2{Mode: bad}
		c.WebSocket = &report.ConnWebSocket{CloseInitiator: bad}
		c.QUIC = &report.ConnQUIC{Version: bad, SNI: bad, ALPN: []string{bad}}
		c.DNS = &report.ConnDNS{Name: bad}
	}
	for i := range rep.Transactions {
		tx := &rep.Transactions[i]
		tx.Method, tx.Target, tx.Host, tx.RequestStart = bad, bad, bad, bad
		tx.Anomalies = []string{bad}
	}
	for i := range rep.Findings {
		f := &rep.Findings[i]
		f.Kind, f.Severity, f.Summary, f.Advice, f.Peer = bad, bad, bad, bad, bad
	}
	return rep
}

func TestTextIsTerminalSafe(t *testing.T) {
	rep := hostileReport()
	texts := map[string][]string{
		"status":   {StatusText(rep, ModeLive, false)},
		"findings": FindingLines(rep),
	}
	for _, r := range Rows(rep, "", Sort{}) {
		cells := r.Cells()
		texts["rows"] = append(texts["rows"], cells[:]...)
	}
	for _, c := range rep.Connections {
		texts["detail"] = append(texts["detail"], DetailLines(rep, c.ID)...)
	}
	for _, name := range []string{"status", "findings", "rows", "detail"} {
		t.Run(name, func(t *testing.T) {
			if len(texts[name]) == 0 {
				t.Fatal("no text produced")
			}
			for _, s := range texts[name] {
				if r, ok := terminalSafe(s); !ok {
					t.Errorf("unsafe rune %U in %q", r, s)
				}
			}
		})
	}
}

func TestWrapLines(t *testing.T) {
	tests := []struct {
		name  string
		in    []string
		width int
		want  []string
	}{
		{"fits", []string{"short line", ""}, 20, []string{"short line", ""}},
		{"breaks at spaces with indent", []string{"  advice: use one connection per host"}, 20,
			[]string{"  advice: use one", "      connection per", "      host"}},
		{"long word cut", []string{"abcdefghijklmnopqrstuvwxyz"}, 16, []string{"abcdefghijklmnop", "    qrstuvwxyz"}},
		{"too narrow to wrap", []string{"a long line that stays"}, 10, []string{"a long line that stays"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := WrapLines(tc.in, tc.width)
			if !slices.Equal(got, tc.want) {
				t.Errorf("WrapLines = %q, want %q", got, tc.want)
			}
			for _, l := range got {
				if tc.width >= 16 && utf8.RuneCountInString(l) > tc.width {
					t.Errorf("line %q wider than %d", l, tc.width)
				}
			}
		})
	}
}
