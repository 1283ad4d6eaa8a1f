package pipelining

import (
	"testing"
	"time"

	"connscope/analysis"
	"connscope/analysis/internal/h1/h1test"
	"connscope/flow"
	"connscope/report"
)

const ms = time.Millisecond

func play(conns ...*h1test.Conn) []report.Finding {
	return h1test.Play(New(analysis.Config{}), nil, conns...)
}

var (
	req  = h1test.Req
	resp = h1test.Resp
)

func closed(c *h1test.Conn, at time.Duration) *h1test.Conn {
	return c.FIN(flow.ClientToServer, at).FIN(flow.ServerToClient, at+ms)
}

func TestPipelined(t *testing.T) {
	cases := []struct {
		name      string
		conn      *h1test.Conn
		pipelined int // 0: no finding
		depth     int
		corrected int
	}{
		{
			// Two requests in one segment (detection-methods §3.4 lab).
			name: "two_requests_one_segment",
			conn: closed(h1test.NewConn(1, 40000, 0).
				Add(req("GET", "/a", 1*ms, 1*ms), resp(200, 100, 2*ms, 3*ms)).
				Add(req("GET", "/b", 1*ms, 1*ms), resp(404, 100, 3*ms, 4*ms)), 5*ms),
			pipelined: 1, depth: 2,
		},
		{
			name: "depth_three",
			conn: closed(h1test.NewConn(1, 40000, 0).
				Add(req("GET", "/a", 1*ms, 1*ms), resp(200, 100, 2*ms, 3*ms)).
				Add(req("GET", "/b", 1*ms, 1*ms), resp(200, 100, 3*ms, 4*ms)).
				Add(req("GET", "/c", 1*ms, 1*ms), resp(200, 100, 4*ms, 5*ms)), 6*ms),
			pipelined: 2, depth: 3,
		},
		{
			name: "sequential_keep_alive",
			conn: closed(h1test.NewConn(1, 40000, 0).
				Add(req("GET", "/a", 1*ms, 1*ms), resp(200, 100, 2*ms, 3*ms)).
				Add(req("GET", "/b", 4*ms, 4*ms), resp(200, 100, 5*ms, 6*ms)), 7*ms),
		},
		{
			// Server-side capture, client 20 ms away: a request seen 5 ms
			// after the response ended left the client before the response
			// reached it (§3.4 r_C correction).
			name: "server_vantage_corrected",
			conn: closed(h1test.NewConn(1, 40000, 0).Halves(50*time.Microsecond, 20*ms).
				Add(req("GET", "/a", 21*ms, 21*ms), resp(200, 100, 22*ms, 23*ms)).
				Add(req("GET", "/b", 28*ms, 28*ms), resp(200, 100, 29*ms, 30*ms)), 40*ms),
			pipelined: 1, depth: 2, corrected: 1,
		},
		{
			// Same capture point, but the request came after a full client
			// round trip: the client reacted to the response.
			name: "server_vantage_reaction_not_pipelined",
			conn: closed(h1test.NewConn(1, 40000, 0).Halves(50*time.Microsecond, 20*ms).
				Add(req("GET", "/a", 21*ms, 21*ms), resp(200, 100, 22*ms, 23*ms)).
				Add(req("GET", "/b", 44*ms, 44*ms), resp(200, 100, 45*ms, 46*ms)), 50*ms),
		},
		{
			// At the client the parser's flag is exact: no correction.
			name: "client_vantage_no_correction",
			conn: closed(h1test.NewConn(1, 40000, 0).Halves(20*ms, 50*time.Microsecond).
				Add(req("GET", "/a", 21*ms, 21*ms), resp(200, 100, 42*ms, 43*ms)).
				Add(req("GET", "/b", 43*ms+100*time.Microsecond, 44*ms), resp(200, 100, 65*ms, 66*ms)), 70*ms),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs := h1test.OfKind(play(tc.conn), KindPipelined)
			if tc.pipelined == 0 {
				if len(fs) != 0 {
					t.Fatalf("unexpected finding %+v", fs)
				}
				return
			}
			if len(fs) != 1 {
				t.Fatalf("got %d findings, want 1", len(fs))
			}
			ev := fs[0].Evidence
			if ev["pipelined_requests"] != tc.pipelined || ev["depth_max"] != tc.depth || ev["vantage_corrected"] != tc.corrected {
				t.Errorf("evidence %v, want pipelined %d depth %d corrected %d", ev, tc.pipelined, tc.depth, tc.corrected)
			}
			if fs[0].Connection == nil || *fs[0].Connection != 1 || fs[0].Severity != report.SeverityInfo {
				t.Errorf("finding %+v", fs[0])
			}
		})
	}
}

func TestNonIdempotent(t *testing.T) {
	cases := []struct {
		name   string
		conn   *h1test.Conn
		count  int
		reason string
	}{
		{
			// RFC 9112 §9.3.2: no request after a non-idempotent one before
			// its final status.
			name: "get_after_post_same_segment",
			conn: closed(h1test.NewConn(1, 40000, 0).
				Add(req("POST", "/echo", 1*ms, 1*ms, h1test.Body(11)), resp(200, 11, 2*ms, 3*ms)).
				Add(req("GET", "/small.txt", 1*ms, 1*ms), resp(200, 100, 3*ms, 4*ms)), 5*ms),
			count: 1, reason: "sent_before_final_response_of_POST",
		},
		{
			name: "post_pipelined_after_get",
			conn: closed(h1test.NewConn(1, 40000, 0).
				Add(req("GET", "/a", 1*ms, 1*ms), resp(200, 100, 2*ms, 3*ms)).
				Add(req("PATCH", "/b", 1*ms, 1*ms), resp(200, 100, 3*ms, 4*ms)), 5*ms),
			count: 1, reason: "non_idempotent_pipelined",
		},
		{
			name: "two_after_post_unanswered",
			conn: closed(h1test.NewConn(1, 40000, 0).
				Add(req("POST", "/a", 1*ms, 1*ms), nil).
				Add(req("GET", "/b", 1*ms, 1*ms), nil).
				Add(req("GET", "/c", 1*ms, 1*ms), nil), 5*ms),
			count: 2, reason: "sent_before_final_response_of_POST",
		},
		{
			name: "put_and_delete_are_idempotent",
			conn: closed(h1test.NewConn(1, 40000, 0).
				Add(req("PUT", "/a", 1*ms, 1*ms), resp(200, 100, 2*ms, 3*ms)).
				Add(req("DELETE", "/b", 1*ms, 1*ms), resp(200, 100, 3*ms, 4*ms)), 5*ms),
		},
		{
			// A GET sent while the POST's body is still arriving but after
			// its status line is allowed (final status received) and is
			// plain pipelining.
			name: "get_after_post_status_line",
			conn: closed(h1test.NewConn(1, 40000, 0).
				Add(req("POST", "/a", 1*ms, 1*ms), resp(200, 100000, 2*ms, 9*ms)).
				Add(req("GET", "/b", 3*ms, 3*ms), resp(200, 100, 9*ms, 10*ms)), 11*ms),
		},
		{
			name: "sequential_posts",
			conn: closed(h1test.NewConn(1, 40000, 0).
				Add(req("POST", "/a", 1*ms, 1*ms), resp(200, 10, 2*ms, 3*ms)).
				Add(req("POST", "/b", 4*ms, 4*ms), resp(200, 10, 5*ms, 6*ms)), 7*ms),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs := h1test.OfKind(play(tc.conn), KindNonIdempotent)
			if tc.count == 0 {
				if len(fs) != 0 {
					t.Fatalf("unexpected finding %+v", fs)
				}
				return
			}
			if len(fs) != 1 || fs[0].Count != tc.count || fs[0].Evidence["reason"] != tc.reason {
				t.Fatalf("got %+v, want one finding count %d reason %s", fs, tc.count, tc.reason)
			}
		})
	}
}

func TestHeadOfLine(t *testing.T) {
	cases := []struct {
		name      string
		conn      *h1test.Conn
		blockedUS int64 // 0: no finding
	}{
		{
			name: "fast_response_behind_slow_one",
			conn: closed(h1test.NewConn(1, 40000, 0).
				Add(req("GET", "/slow", 1*ms, 1*ms), resp(200, 100, 301*ms, 302*ms)).
				Add(req("GET", "/fast", 1*ms, 1*ms), resp(200, 100, 302*ms, 303*ms)), 310*ms),
			blockedUS: 301*1000 - 100,
		},
		{
			name: "blocking_wait_too_short",
			conn: closed(h1test.NewConn(1, 40000, 0).
				Add(req("GET", "/a", 1*ms, 1*ms), resp(200, 100, 51*ms, 52*ms)).
				Add(req("GET", "/b", 1*ms, 1*ms), resp(200, 100, 52*ms, 53*ms)), 60*ms),
		},
		{
			// Response 2 took 100 ms of its own after response 1: the
			// server is uniformly slow, not blocked (300 < 5 × 100).
			name: "second_response_slow_too",
			conn: closed(h1test.NewConn(1, 40000, 0).
				Add(req("GET", "/a", 1*ms, 1*ms), resp(200, 100, 301*ms, 302*ms)).
				Add(req("GET", "/b", 1*ms, 1*ms), resp(200, 100, 402*ms, 403*ms)), 410*ms),
		},
		{
			name: "not_pipelined",
			conn: closed(h1test.NewConn(1, 40000, 0).
				Add(req("GET", "/a", 1*ms, 1*ms), resp(200, 100, 301*ms, 302*ms)).
				Add(req("GET", "/b", 303*ms, 303*ms), resp(200, 100, 304*ms, 305*ms)), 310*ms),
		},
		{
			// The second request reached the server only after response 1
			// had started: it was not waiting during the slow think time.
			name: "request_arrived_after_blocking_response_started",
			conn: closed(h1test.NewConn(1, 40000, 0).
				Add(req("GET", "/a", 1*ms, 1*ms), resp(200, 100000, 301*ms, 600*ms)).
				Add(req("GET", "/b", 400*ms, 400*ms), resp(200, 100, 600*ms, 601*ms)), 610*ms),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs := h1test.OfKind(play(tc.conn), KindHOL)
			if tc.blockedUS == 0 {
				if len(fs) != 0 {
					t.Fatalf("unexpected finding %+v", fs)
				}
				return
			}
			if len(fs) != 1 || fs[0].Evidence["blocked_us"] != tc.blockedUS || fs[0].Evidence["blocking_transaction"] != 0 {
				t.Fatalf("got %+v, want blocked_us %d behind transaction 0", fs, tc.blockedUS)
			}
			if fs[0].Transaction == nil || *fs[0].Transaction != 1 {
				t.Errorf("finding should name the blocked transaction 1: %+v", fs[0])
			}
		})
	}
}
