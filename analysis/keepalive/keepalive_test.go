package keepalive

import (
	"testing"
	"time"

	"connscope/analysis"
	"connscope/analysis/internal/h1"
	"connscope/analysis/internal/h1/h1test"
	"connscope/flow"
	"connscope/httpdecode"
	"connscope/report"
)

const (
	ms  = time.Millisecond
	sec = time.Second
)

var (
	rq   = h1test.Req
	resp = h1test.Resp
	c2s  = flow.ClientToServer
	s2c  = flow.ServerToClient
)

func play(conns ...*h1test.Conn) []report.Finding {
	return h1test.Play(New(analysis.Config{}), nil, conns...)
}

// single is a connection that carries one exchange and closes.
func single(id int, at time.Duration, q, r []h1test.Opt, closer flow.Dir) *h1test.Conn {
	return h1test.NewConn(id, uint16(40000+id), at).
		Add(rq("GET", "/small.txt", at+1*ms, at+1*ms, q...), resp(200, 100, at+2*ms, at+3*ms, r...)).
		FIN(closer, at+4*ms).FIN(closer.Reverse(), at+5*ms)
}

func TestKeepAliveDisabled(t *testing.T) {
	v10 := []h1test.Opt{h1test.V10}
	closeHdr := []h1test.Opt{h1test.Connection("close")}
	twoThenClose := h1test.NewConn(1, 40000, 0).
		Add(rq("GET", "/a", 1*ms, 1*ms), resp(200, 100, 2*ms, 3*ms)).
		Add(rq("GET", "/b", 4*ms, 4*ms, h1test.Connection("close")), resp(200, 100, 5*ms, 6*ms, h1test.Connection("close"))).
		FIN(s2c, 7*ms).FIN(c2s, 8*ms)
	type want struct {
		by, reason, sev string
		count           int
	}
	cases := []struct {
		name  string
		conns []*h1test.Conn
		want  []want
	}{
		{
			// RFC 9112 App. C.2.2: an HTTP/1.0 request without keep-alive.
			name:  "http10_client",
			conns: []*h1test.Conn{single(1, 0, v10, closeHdr, s2c), single(2, 100*ms, v10, closeHdr, s2c)},
			want:  []want{{h1.ByClient, h1.ReasonHTTP10, report.SeverityWarning, 2}},
		},
		{
			name:  "client_connection_close",
			conns: []*h1test.Conn{single(1, 0, closeHdr, closeHdr, s2c)},
			want:  []want{{h1.ByClient, h1.ReasonConnectionClose, report.SeverityInfo, 1}},
		},
		{
			name:  "server_connection_close",
			conns: []*h1test.Conn{single(1, 0, nil, closeHdr, s2c), single(2, 10*ms, nil, closeHdr, s2c), single(3, 20*ms, nil, closeHdr, s2c)},
			want:  []want{{h1.ByServer, h1.ReasonConnectionClose, report.SeverityWarning, 3}},
		},
		{
			name:  "server_http10_answer_to_keep_alive",
			conns: []*h1test.Conn{single(1, 0, []h1test.Opt{h1test.V10, h1test.Connection("keep-alive")}, v10, s2c)},
			want:  []want{{h1.ByServer, h1.ReasonHTTP10, report.SeverityInfo, 1}},
		},
		{name: "close_on_last_of_two", conns: []*h1test.Conn{twoThenClose}},
		{name: "persistent_single_request_closed_by_client", conns: []*h1test.Conn{single(1, 0, nil, nil, c2s)}},
		{name: "close_delimited_left_to_body_detector", conns: []*h1test.Conn{single(1, 0, nil, []h1test.Opt{h1test.CloseDelimited}, s2c)}},
		{name: "http10_keep_alive_echoed", conns: []*h1test.Conn{single(1, 0,
			[]h1test.Opt{h1test.V10, h1test.Connection("Keep-Alive")}, []h1test.Opt{h1test.Connection("keep-alive")}, c2s)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs := h1test.OfKind(play(tc.conns...), KindDisabled)
			if len(fs) != len(tc.want) {
				t.Fatalf("got %d findings, want %d: %+v", len(fs), len(tc.want), fs)
			}
			for i, w := range tc.want {
				f := fs[i]
				if f.Evidence["disabled_by"] != w.by || f.Evidence["reason"] != w.reason || f.Severity != w.sev || f.Count != w.count || f.Peer != h1test.Peer {
					t.Errorf("finding %+v, want %+v", f, w)
				}
			}
		})
	}
}

// idleConn is a persistent connection: one answered GET, then the second
// request at T0+second that gets no response.
func idleConn(id int, method string, second time.Duration) *h1test.Conn {
	return h1test.NewConn(id, uint16(40000+id), 0).
		Add(rq("GET", "/a", 1*ms, 1*ms), resp(200, 100, 2*ms, 3*ms, h1test.KeepAlive("timeout=1"))).
		Add(rq(method, "/b", second, second), nil)
}

func TestIdleCloseRaceAndRetry(t *testing.T) {
	type want struct {
		race, retried, retry bool
		offsetUS             int64
	}
	retryConn := func(id int, method string, at time.Duration) *h1test.Conn {
		return h1test.NewConn(id, uint16(40000+id), at).
			Add(rq(method, "/b", at+1*ms, at+1*ms), resp(200, 100, at+2*ms, at+3*ms)).
			FIN(c2s, at+4*ms).FIN(s2c, at+5*ms)
	}
	cases := []struct {
		name  string
		conns []*h1test.Conn
		want  want
	}{
		{
			// The lab race: FIN 2 ms before the request (the client app did
			// not notice), RST after it, GET retried at once.
			name: "fin_just_before_request_get_retried",
			conns: []*h1test.Conn{
				idleConn(1, "GET", 1005*ms).FIN(s2c, 1003*ms).RST(s2c, 1005*ms+200*time.Microsecond),
				retryConn(2, "GET", 1006*ms),
			},
			want: want{race: true, retried: true, offsetUS: -2000},
		},
		{
			// Client-side capture, 20 ms to the server: a FIN 15 ms after the
			// request left the server before the request arrived.
			name: "fin_within_server_half_after_request",
			conns: []*h1test.Conn{
				idleConn(1, "GET", 1000*ms).Halves(20*ms, 50*time.Microsecond).FIN(s2c, 1015*ms).RST(s2c, 1021*ms),
			},
			want: want{race: true, offsetUS: 15000},
		},
		{
			name: "post_race_retried_is_non_idempotent_retry",
			conns: []*h1test.Conn{
				idleConn(1, "POST", 1005*ms).FIN(s2c, 1003*ms).RST(s2c, 1006*ms),
				retryConn(2, "POST", 1007*ms),
			},
			want: want{race: true, retried: true, retry: true, offsetUS: -2000},
		},
		{
			name: "post_retried_too_late",
			conns: []*h1test.Conn{
				idleConn(1, "POST", 1005*ms).FIN(s2c, 1003*ms).RST(s2c, 1006*ms),
				retryConn(2, "POST", 3500*ms),
			},
			want: want{race: true, offsetUS: -2000},
		},
		{
			name: "post_failed_then_other_request",
			conns: []*h1test.Conn{
				idleConn(1, "POST", 1005*ms).FIN(s2c, 1003*ms).RST(s2c, 1006*ms),
				retryConn(2, "GET", 1007*ms),
			},
			want: want{race: true, offsetUS: -2000},
		},
		{
			// The server saw the request (its close came 100 ms later on a
			// LAN): not a race.
			name:  "server_closed_well_after_request",
			conns: []*h1test.Conn{idleConn(1, "GET", 1000*ms).FIN(s2c, 1100*ms).FIN(c2s, 1101*ms)},
		},
		{
			name:  "fin_long_before_request",
			conns: []*h1test.Conn{idleConn(1, "GET", 10*sec).FIN(s2c, 5*sec).RST(s2c, 10*sec+ms)},
		},
		{
			name:  "capture_ended",
			conns: []*h1test.Conn{idleConn(1, "GET", 1000*ms).CaptureEnd(1001 * ms)},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs := play(tc.conns...)
			races := h1test.OfKind(fs, KindRace)
			retries := h1test.OfKind(fs, KindRetry)
			if (len(races) == 1) != tc.want.race || len(races) > 1 {
				t.Fatalf("race findings %+v, want race=%v", races, tc.want.race)
			}
			if (len(retries) == 1) != tc.want.retry || len(retries) > 1 {
				t.Fatalf("retry findings %+v, want retry=%v", retries, tc.want.retry)
			}
			if n := len(h1test.OfKind(fs, KindHang)); n != 0 {
				t.Errorf("a race or short wait reported as hang (%d)", n)
			}
			if tc.want.race {
				f := races[0]
				if f.Evidence["retried"] != tc.want.retried || f.Evidence["server_close_offset_us"] != tc.want.offsetUS {
					t.Errorf("race evidence %v, want retried %v offset %d", f.Evidence, tc.want.retried, tc.want.offsetUS)
				}
				if f.Connection == nil || *f.Connection != 1 || f.Transaction == nil || *f.Transaction != 1 || f.Evidence["advertised_timeout_s"] != 1 {
					t.Errorf("race finding %+v", f)
				}
			}
			if tc.want.retry {
				f := retries[0]
				if *f.Connection != 2 || *f.Transaction != 0 || f.Evidence["failed_connection"] != uint32(1) || f.Evidence["after_race"] != true {
					t.Errorf("retry finding %+v", f)
				}
			}
		})
	}
}

// TestRetryReportedBeforeFailure: the retry's exchange can complete before
// the failed connection is closed; the pairing must work in that order too.
func TestRetryReportedBeforeFailure(t *testing.T) {
	failed := h1test.NewConn(1, 40000, 0).Add(rq("POST", "/pay", 1*ms, 1*ms), nil).
		RST(s2c, 2*ms).FIN(c2s, 50*ms)
	retry := h1test.NewConn(2, 40001, 3*ms).Add(rq("POST", "/pay", 4*ms, 4*ms), resp(200, 10, 5*ms, 6*ms)).FIN(c2s, 7*ms)
	fs := h1test.OfKind(play(failed, retry), KindRetry)
	if len(fs) != 1 || fs[0].Evidence["failure"] != "no_response_server_rst" || fs[0].Evidence["after_race"] != false {
		t.Fatalf("got %+v", fs)
	}
}

func TestKeepAliveHang(t *testing.T) {
	ka10 := func(id int, firstWait, second, end time.Duration) *h1test.Conn {
		return h1test.NewConn(id, 40000, 0).
			Add(rq("GET", "/a", 1*ms, 1*ms, h1test.V10, h1test.Connection("Keep-Alive")),
				resp(200, 100, 1*ms+firstWait, 2*ms+firstWait, h1test.V10, h1test.Connection("keep-alive"))).
			Add(rq("GET", "/b", second, second, h1test.V10, h1test.Connection("Keep-Alive")), nil)
	}
	lost := func(m *httpdecode.Message) { m.Anomalies = append(m.Anomalies, httpdecode.AnomalyResponseLost) }
	// ka10 and then /c, answered at 20 ms: /b was not the tail.
	answeredAfter := func(bOpts ...h1test.Opt) *h1test.Conn {
		c := h1test.NewConn(1, 40000, 0).
			Add(rq("GET", "/a", 1*ms, 1*ms), resp(200, 100, 2*ms, 3*ms)).
			Add(rq("GET", "/b", 10*ms, 10*ms, bOpts...), nil).
			Add(rq("GET", "/c", 20*ms, 20*ms), resp(200, 100, 21*ms, 22*ms))
		return c.FIN(c2s, 30*sec).FIN(s2c, 30*sec+1*ms)
	}
	cases := []struct {
		name    string
		conn    *h1test.Conn
		hang    bool
		endedBy string
	}{
		// A request whose response the capture lost, or one given up, is
		// not a hang when later requests were answered; nor is a last
		// request whose response was lost.
		{name: "response_lost_then_answered", conn: answeredAfter(lost)},
		{name: "unanswered_then_answered", conn: answeredAfter()},
		{name: "last_response_lost", conn: h1test.NewConn(1, 40000, 0).
			Add(rq("GET", "/a", 1*ms, 1*ms), resp(200, 100, 2*ms, 3*ms)).
			Add(rq("GET", "/b", 10*ms, 10*ms, lost), nil).FIN(c2s, 30*sec)},
		// §3.5: the client gave up after 30 s.
		{name: "client_timeout_after_30s", conn: ka10(1, 0, 10*ms, 0).FIN(c2s, 30*sec+10*ms).FIN(s2c, 30*sec+11*ms), hang: true, endedBy: "client_fin"},
		{name: "proxy_closes_after_60s", conn: ka10(1, 0, 10*ms, 0).FIN(s2c, 60*sec), hang: true, endedBy: "server_fin"},
		{name: "short_wait", conn: ka10(1, 0, 10*ms, 0).FIN(c2s, 2*sec)},
		{name: "still_open_at_capture_end", conn: ka10(1, 0, 10*ms, 0).CaptureEnd(30 * sec)},
		{name: "slow_endpoint_long_poll", conn: ka10(1, 20*sec, 20*sec+10*ms, 0).FIN(c2s, 50*sec)},
		{name: "first_response_not_keep_alive", conn: h1test.NewConn(1, 40000, 0).
			Add(rq("GET", "/a", 1*ms, 1*ms, h1test.V10, h1test.Connection("Keep-Alive")), resp(200, 100, 2*ms, 3*ms, h1test.V10)).
			Add(rq("GET", "/b", 10*ms, 10*ms, h1test.V10), nil).FIN(c2s, 30*sec)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs := h1test.OfKind(play(tc.conn), KindHang)
			if (len(fs) == 1) != tc.hang || len(fs) > 1 {
				t.Fatalf("got %+v, want hang=%v", fs, tc.hang)
			}
			if tc.hang {
				f := fs[0]
				if f.Severity != report.SeverityError || f.Evidence["ended_by"] != tc.endedBy || f.Evidence["response_keepalive"] != true || f.Evidence["waited_us"].(int64) < 5e6 {
					t.Errorf("hang finding %+v", f)
				}
			}
		})
	}
}
