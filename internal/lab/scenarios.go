package lab

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Step is one client command run in the client namespace. Argv may use the
// placeholders {SELF} (the lab binary), {URL} (http://192.0.2.2:8080),
// {S} (192.0.2.2) and {DIR} (the scenario's temporary directory).
type Step struct {
	Argv    []string
	OK      []int         // accepted exit codes; nil means {0}
	Timeout time.Duration // 0 means 30 s
	Pause   time.Duration // sleep before the step
}

// Range is an inclusive count range; Max < 0 means unbounded.
type Range struct{ Min, Max int }

// Contains reports whether n is within r.
func (r Range) Contains(n int) bool { return n >= r.Min && (r.Max < 0 || n <= r.Max) }

// String renders r as "n", "a..b" or "a..".
func (r Range) String() string {
	switch {
	case r.Max < 0:
		return fmt.Sprintf("%d..", r.Min)
	case r.Min == r.Max:
		return fmt.Sprintf("%d", r.Min)
	}
	return fmt.Sprintf("%d..%d", r.Min, r.Max)
}

// Exactly is the Range {n, n}.
func Exactly(n int) Range { return Range{n, n} }

// AtLeast is the Range {n, unbounded}.
func AtLeast(n int) Range { return Range{n, -1} }

// Expect are the tshark counts a capture of a scenario must have.
type Expect struct {
	Streams   Range // distinct tcp.stream values
	SYNs      Range // SYN without ACK
	RSTs      Range // segments with RST
	Requests  Range // HTTP requests (http.request.method occurrences)
	Responses Range // HTTP responses (http.response.code occurrences)
}

// Scenario describes how to produce one capture.
type Scenario struct {
	Name  string
	Shows string // what the capture demonstrates (README text)

	Nginx        *NginxOptions // start nginx with these options
	ServerHelper []string      // or: helper name and flags run in the server namespace

	Path          *PathOptions      // delay line between the hosts; nil = direct veth
	ClientSysctls []string          // "key=value" set in the client namespace
	ServerSysctls []string          // "key=value" set in the server namespace
	ServerCapture bool              // also capture on the server's veth
	Files         map[string][]byte // written into {DIR} before the workload
	Steps         []Step
	Settle        time.Duration // wait after the last step before stopping tcpdump (default 300 ms)
	Gzip          bool          // always write .pcap.gz
	Expect        Expect
}

// CaptureNames returns the base names of the files the scenario writes:
// its name, or "<name>_client" and "<name>_server" with ServerCapture.
func (s Scenario) CaptureNames() []string {
	if s.ServerCapture {
		return []string{s.Name + "_client", s.Name + "_server"}
	}
	return []string{s.Name}
}

// Command renders the workload as one shell-like line for documentation.
func (s Scenario) Command() string {
	var parts []string
	if s.Nginx != nil {
		o := *s.Nginx
		kt, kr := o.KeepaliveTimeout, o.KeepaliveRequests
		if kt == "" {
			kt = "5s"
		}
		if kr == 0 {
			kr = 100
		}
		parts = append(parts, fmt.Sprintf("[server: nginx keepalive_timeout %s keepalive_requests %d]", kt, kr))
	}
	if len(s.ServerHelper) > 0 {
		parts = append(parts, "[server: lab helper "+strings.Join(s.ServerHelper, " ")+"]")
	}
	if s.Path != nil {
		parts = append(parts, fmt.Sprintf("[delay line: %v each way, loss to server %g, to client %g, seed %d]",
			s.Path.Delay, s.Path.LossToServer, s.Path.LossToClient, s.Path.Seed))
	}
	if len(s.ClientSysctls) > 0 {
		parts = append(parts, "[client sysctl "+strings.Join(s.ClientSysctls, " ")+"]")
	}
	if len(s.ServerSysctls) > 0 {
		parts = append(parts, "[server sysctl "+strings.Join(s.ServerSysctls, " ")+"]")
	}
	for _, st := range s.Steps {
		p := ""
		if st.Pause > 0 {
			p = fmt.Sprintf("sleep %v; ", st.Pause)
		}
		parts = append(parts, p+shellJoin(st.Argv))
	}
	return strings.Join(parts, "; ")
}

func shellJoin(argv []string) string {
	out := make([]string, len(argv))
	for i, a := range argv {
		if a == "" || strings.ContainsAny(a, " '\"\\|$;&<>*?\r\n") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out[i] = a
	}
	return strings.Join(out, " ")
}

// Lookup returns the scenario called name, among Scenarios and
// BenchScenarios.
func Lookup(name string) (Scenario, bool) {
	for _, s := range append(Scenarios(), BenchScenarios()...) {
		if s.Name == name {
			return s, true
		}
	}
	return Scenario{}, false
}

// Names returns all scenario names in table order.
func Names() []string {
	var n []string
	for _, s := range Scenarios() {
		n = append(n, s.Name)
	}
	return n
}

func curl(args ...string) []string {
	return append([]string{"curl", "-sS", "--max-time", "20"}, args...)
}

func repeat(n int, args ...string) []string {
	var out []string
	for i := 0; i < n; i++ {
		out = append(out, args...)
	}
	return out
}

func sh(script string) []string { return []string{"sh", "-c", script} }

// Scenarios returns the scenario table, sorted by name.
func Scenarios() []Scenario {
	defaults := &NginxOptions{}
	ka1s := &NginxOptions{KeepaliveTimeout: "1s"}
	upload := make([]byte, 256<<10)
	for i := range upload {
		upload[i] = "connscope lab upload\n"[i%21]
	}
	list := []Scenario{
		{
			Name:  "curl_reuse",
			Shows: "one connection, 3 GETs (HTTP/1.1 persistence), client closes first",
			Nginx: defaults,
			Steps: []Step{{Argv: curl(append(repeat(3, "-o", "/dev/null"),
				"{URL}/index.html", "{URL}/small.txt", "{URL}/medium.bin")...)}},
			Expect: Expect{Streams: Exactly(1), SYNs: Exactly(1), RSTs: Exactly(0), Requests: Exactly(3), Responses: Exactly(3)},
		},
		{
			Name:  "curl_http10",
			Shows: "two HTTP/1.0 requests, a new connection each; nginx closes first (server TIME_WAIT)",
			Nginx: defaults,
			Steps: []Step{
				{Argv: curl("--http1.0", "-o", "/dev/null", "{URL}/small.txt")},
				{Argv: curl("--http1.0", "-o", "/dev/null", "{URL}/index.html"), Pause: 100 * time.Millisecond},
			},
			Expect: Expect{Streams: Exactly(2), SYNs: Exactly(2), RSTs: Exactly(0), Requests: Exactly(2), Responses: Exactly(2)},
		},
		{
			Name:   "ab_close",
			Shows:  "ab HTTP/1.0 without keep-alive: 20 connections, 1 request each, nginx closes first (server TIME_WAIT)",
			Nginx:  defaults,
			Steps:  []Step{{Argv: []string{"ab", "-q", "-n", "20", "-c", "2", "{URL}/small.txt"}}},
			Expect: Expect{Streams: Exactly(20), SYNs: Exactly(20), RSTs: Exactly(0), Requests: Exactly(20), Responses: Exactly(20)},
		},
		{
			Name:   "ab_keepalive",
			Shows:  "ab -k HTTP/1.0 Keep-Alive, nginx keepalive_requests 5: server closes each connection after its 5th response",
			Nginx:  &NginxOptions{KeepaliveRequests: 5},
			Steps:  []Step{{Argv: []string{"ab", "-q", "-k", "-n", "20", "-c", "2", "{URL}/small.txt"}}},
			Expect: Expect{Streams: Range{4, 6}, SYNs: Range{4, 6}, RSTs: Range{0, 4}, Requests: Exactly(20), Responses: Exactly(20)},
		},
		{
			Name: "wrk_short",
			Shows: "wrk 1 s, 4 connections, Connection: close, 20 ms pause per request (Lua delay()): " +
				"many short connections, nginx closes first; wrk aborts the open ones at the end",
			Nginx: defaults,
			Files: map[string][]byte{"delay.lua": []byte("function delay()\n  return 20\nend\n")},
			Steps: []Step{{Argv: []string{"wrk", "-t1", "-c4", "-d1s", "-s", "{DIR}/delay.lua",
				"-H", "Connection: close", "{URL}/tiny.txt"}}},
			Gzip:   true,
			Expect: Expect{Streams: Range{40, 400}, SYNs: Range{40, 400}, RSTs: AtLeast(0), Requests: Range{40, 400}, Responses: Range{40, 400}},
		},
		{
			Name: "port_churn",
			Shows: "3000 sequential short connections from a 300-port client range (40000-40299); " +
				"the client closes first and holds TIME_WAIT; tcp_tw_reuse=1 lets ports be reused after 1 s",
			Nginx:         defaults,
			ClientSysctls: []string{"net.ipv4.ip_local_port_range=40000 40299", "net.ipv4.tcp_tw_reuse=1"},
			Steps:         []Step{{Argv: []string{"{SELF}", "helper", "churn-client", "-n", "3000", "-path", "/tiny.txt"}, Timeout: 120 * time.Second}},
			Gzip:          true,
			Expect:        Expect{Streams: Exactly(3000), SYNs: Exactly(3000), RSTs: Exactly(0), Requests: Exactly(3000), Responses: Exactly(3000)},
		},
		{
			Name: "rst_unread",
			Shows: "server reads 10 bytes of a 256 KiB upload, waits 50 ms, answers 413 and closes: " +
				"RST instead of FIN because data was left unread",
			ServerHelper: []string{"rst-server", "-read", "10", "-wait", "50ms", "-conns", "1"},
			Files:        map[string][]byte{"upload.bin": upload},
			Steps: []Step{{Argv: curl("-o", "/dev/null", "-H", "Expect:", "--data-binary", "@{DIR}/upload.bin", "{URL}/upload"),
				OK: []int{0, 55, 56}}},
			Gzip: true,
			// tshark cannot complete the POST body, so it may show no request.
			Expect: Expect{Streams: Exactly(1), SYNs: Exactly(1), RSTs: AtLeast(1), Requests: Range{0, 1}, Responses: Range{0, 1}},
		},
		{
			Name:   "refused",
			Shows:  "curl to a closed port: one SYN answered by RST/ACK (curl exit 7)",
			Nginx:  defaults,
			Steps:  []Step{{Argv: curl("http://{S}:9/"), OK: []int{7}}},
			Expect: Expect{Streams: Exactly(1), SYNs: Exactly(1), RSTs: Exactly(1), Requests: Exactly(0), Responses: Exactly(0)},
		},
		{
			Name:   "server_keepalive_close",
			Shows:  "one keep-alive request, client idle; nginx keepalive_timeout 1s closes the idle connection (server FIN first, server TIME_WAIT)",
			Nginx:  ka1s,
			Steps:  []Step{{Argv: []string{"{SELF}", "helper", "idle-client", "-idle", "3s"}}},
			Expect: Expect{Streams: Exactly(1), SYNs: Exactly(1), RSTs: Exactly(0), Requests: Exactly(1), Responses: Exactly(1)},
		},
		{
			Name:   "pipelined",
			Shows:  "two GETs in one segment (HTTP/1.1 pipelining), the second with Connection: close; nginx answers both in order and closes",
			Nginx:  defaults,
			Steps:  []Step{{Argv: sh(`printf 'GET /index.html HTTP/1.1\r\nHost: {S}:8080\r\n\r\nGET /small.txt HTTP/1.1\r\nHost: {S}:8080\r\nConnection: close\r\n\r\n' | nc {S} 8080 >/dev/null`)}},
			Expect: Expect{Streams: Exactly(1), SYNs: Exactly(1), RSTs: Exactly(0), Requests: Exactly(2), Responses: Exactly(2)},
		},
		{
			Name:   "pipelined_post",
			Shows:  "a POST with a 11-byte body and a GET pipelined in one segment; nginx answers both in order and closes",
			Nginx:  defaults,
			Steps:  []Step{{Argv: sh(`printf 'POST /echo HTTP/1.1\r\nHost: {S}:8080\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello=worldGET /small.txt HTTP/1.1\r\nHost: {S}:8080\r\nConnection: close\r\n\r\n' | nc {S} 8080 >/dev/null`)}},
			Expect: Expect{Streams: Exactly(1), SYNs: Exactly(1), RSTs: Exactly(0), Requests: Exactly(2), Responses: Exactly(2)},
		},
		{
			Name:         "truncated_cl",
			Shows:        "response announces Content-Length: 100, sends 5 body bytes and the server closes (curl exit 18)",
			ServerHelper: []string{"canned-server", "-mode", "truncated", "-conns", "1"},
			Steps:        []Step{{Argv: curl("-o", "/dev/null", "{URL}/truncated"), OK: []int{18}}},
			Expect:       Expect{Streams: Exactly(1), SYNs: Exactly(1), RSTs: Exactly(0), Requests: Exactly(1), Responses: Range{0, 1}},
		},
		{
			Name:         "chunked",
			Shows:        "two chunked responses (3 data chunks in separate segments plus a trailer) on one keep-alive connection",
			ServerHelper: []string{"canned-server", "-mode", "chunked", "-conns", "1"},
			Steps:        []Step{{Argv: curl(append(repeat(2, "-o", "/dev/null"), "{URL}/c1", "{URL}/c2")...)}},
			Expect:       Expect{Streams: Exactly(1), SYNs: Exactly(1), RSTs: Exactly(0), Requests: Exactly(2), Responses: Exactly(2)},
		},
		{
			Name:         "close_delimited",
			Shows:        "two responses without Content-Length whose bodies end at the server's FIN; curl needs a new connection for the second",
			ServerHelper: []string{"canned-server", "-mode", "close_delimited", "-conns", "2"},
			Steps:        []Step{{Argv: curl(append(repeat(2, "-o", "/dev/null"), "{URL}/d1", "{URL}/d2")...)}},
			Expect:       Expect{Streams: Exactly(2), SYNs: Exactly(2), RSTs: Exactly(0), Requests: Exactly(2), Responses: Exactly(2)},
		},
		{
			Name:  "parallel6",
			Shows: "curl --parallel-max 6 with 12 URLs: 6 parallel connections to one server, 2 requests each",
			Nginx: defaults,
			Steps: []Step{{Argv: curl(append([]string{"--no-progress-meter", "--parallel", "--parallel-immediate", "--parallel-max", "6"},
				append(repeat(12, "-o", "/dev/null"), repeatURL(12, "{URL}/medium.bin?n=")...)...)...)}},
			Expect: Expect{Streams: Exactly(6), SYNs: Exactly(6), RSTs: Exactly(0), Requests: Exactly(12), Responses: Exactly(12)},
		},
		{
			Name: "idle_close_race",
			Shows: "nginx keepalive_timeout 1s; a client sends its second request after idle gaps of 900 ms..1.1 s " +
				"without noticing the server's FIN; late requests are answered by RST and retried on a new connection",
			Nginx: ka1s,
			Steps: []Step{{Argv: []string{"{SELF}", "helper", "race-client", "-sleeps", "900ms,990ms,1000ms,1005ms,1010ms,1100ms"}}},
			// A request that loses the race has no response; each loss adds one retry connection.
			Expect: Expect{Streams: Range{6, 12}, SYNs: Range{6, 12}, RSTs: AtLeast(1), Requests: Range{12, 18}, Responses: Range{6, 12}},
		},
		{
			Name:         "nagle_on",
			Shows:        "Go client with Nagle on (SetNoDelay(false)), headers and body in two writes, 6 POSTs on one connection: requests 2..6 stall on the server's delayed ACK (~40 ms)",
			ServerHelper: []string{"http-server"},
			Steps:        []Step{{Argv: []string{"{SELF}", "helper", "nagle-client", "-nodelay=false", "-n", "6"}}},
			Expect:       Expect{Streams: Exactly(1), SYNs: Exactly(1), RSTs: Exactly(0), Requests: Exactly(6), Responses: Exactly(6)},
		},
		{
			Name:         "nagle_off",
			Shows:        "control for nagle_on: same client with TCP_NODELAY (Go default), no stall",
			ServerHelper: []string{"http-server"},
			Steps:        []Step{{Argv: []string{"{SELF}", "helper", "nagle-client", "-nodelay=true", "-n", "6"}}},
			Expect:       Expect{Streams: Exactly(1), SYNs: Exactly(1), RSTs: Exactly(0), Requests: Exactly(6), Responses: Exactly(6)},
		},
		{
			Name: "slow_start_restart",
			Shows: "80 ms RTT through the user-space delay line; 2 MiB download, 2 s idle, the same download again on " +
				"the same connection: the server restarts from the initial window after idle (tcp_slow_start_after_idle=1)",
			Nginx:         &NginxOptions{KeepaliveTimeout: "10s"},
			Path:          &PathOptions{Delay: 40 * time.Millisecond, Seed: 1},
			ServerSysctls: []string{"net.ipv4.tcp_slow_start_after_idle=1"},
			ServerCapture: true,
			Steps:         []Step{{Argv: []string{"{SELF}", "helper", "repeat-client", "-path", "/2m.bin", "-n", "2", "-idle", "2s"}, Timeout: 60 * time.Second}},
			Settle:        500 * time.Millisecond,
			Gzip:          true,
			Expect:        Expect{Streams: Exactly(1), SYNs: Exactly(1), RSTs: Exactly(0), Requests: Exactly(2), Responses: Exactly(2)},
		},
		{
			Name: "lossy_download",
			Shows: "20 ms RTT, 2 % of server-to-client frames dropped by the delay line (seeded); one 2 MiB download: " +
				"gaps at the client, retransmissions at the server",
			Nginx:         defaults,
			Path:          &PathOptions{Delay: 10 * time.Millisecond, LossToClient: 0.02, Seed: 1},
			ServerCapture: true,
			Steps:         []Step{{Argv: curl("-o", "/dev/null", "{URL}/2m.bin"), Timeout: 60 * time.Second}},
			Settle:        500 * time.Millisecond,
			Gzip:          true,
			Expect:        Expect{Streams: Exactly(1), SYNs: Exactly(1), RSTs: Exactly(0), Requests: Exactly(1), Responses: Exactly(1)},
		},
	}
	list = append(list, upgradeScenarios()...)
	list = append(list, pushScenarios()...)
	list = append(list, browserScenarios()...)
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	return list
}

func repeatURL(n int, prefix string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%d", prefix, i+1)
	}
	return out
}
