package polling

import (
	"testing"
	"time"

	"connscope/analysis"
	"connscope/analysis/internal/h1/h1test"
	"connscope/httpdecode"
	"connscope/report"
)

const (
	ms = time.Millisecond
	s  = time.Second
)

func ct(v string) h1test.Opt { return func(m *httpdecode.Message) { m.ContentType = v } }

// polls builds n requests on one keep-alive connection (or one connection
// each when fresh) starting every gaps[i], answered after ttfb.
func polls(target string, starts []time.Duration, ttfb, body time.Duration, fresh bool) []*h1test.Conn {
	var conns []*h1test.Conn
	var c *h1test.Conn
	for i, st := range starts {
		if c == nil || fresh {
			c = h1test.NewConn(len(conns)+1, uint16(40000+i), st-ms)
			conns = append(conns, c)
		}
		req := h1test.Req("GET", target, st, st+ms/10)
		rs := st + ms/10 + ttfb
		c.Add(req, h1test.Resp(200, 20, rs, rs+body))
	}
	return conns
}

func every(n int, period time.Duration) []time.Duration {
	var out []time.Duration
	for i := 0; i < n; i++ {
		out = append(out, time.Duration(i)*period)
	}
	return out
}

func TestPolling(t *testing.T) {
	cases := []struct {
		name  string
		conns []*h1test.Conn
		kind  string
		want  int
		check func(t *testing.T, f report.Finding)
	}{
		{"six_polls_keepalive", polls("/status", every(6, s), 2*ms, ms, false), KindPolling, 1, func(t *testing.T, f report.Finding) {
			if f.Evidence["period_ms"].(float64) != 1000 || f.Evidence["requests"].(int) != 6 || f.Evidence["cv"].(float64) != 0 || f.Connection == nil {
				t.Errorf("evidence %v", f.Evidence)
			}
			if f.Evidence["unchanged_fraction"].(float64) != 0.833 {
				t.Errorf("unchanged_fraction %v, want 5/6", f.Evidence["unchanged_fraction"])
			}
		}},
		{"new_connection_per_poll", polls("/status", every(5, 2*s), 2*ms, ms, true), KindPolling, 1, func(t *testing.T, f report.Finding) {
			if f.Evidence["conn_per_poll"].(float64) != 1 || f.Connection != nil || f.Peer != h1test.Peer {
				t.Errorf("finding %+v", f)
			}
		}},
		{"query_string_ignored", func() []*h1test.Conn {
			c := h1test.NewConn(1, 40000, 0)
			for i := 0; i < 5; i++ {
				st := time.Duration(i) * s
				c.Add(h1test.Req("GET", "/feed?t="+string(rune('0'+i)), st, st+ms), h1test.Resp(304, 0, st+3*ms, st+3*ms, h1test.NoBody))
			}
			return []*h1test.Conn{c}
		}(), KindPolling, 1, func(t *testing.T, f report.Finding) {
			if f.Evidence["unchanged_fraction"].(float64) != 1 {
				t.Errorf("evidence %v", f.Evidence)
			}
		}},
		{"jittery_intervals", polls("/status", []time.Duration{0, s, 4 * s, 4500 * ms, 6500 * ms, 7500 * ms}, 2*ms, ms, false), KindPolling, 0, nil},
		{"only_four", polls("/status", every(4, s), 2*ms, ms, false), KindPolling, 0, nil},
		{"back_to_back_benchmark", polls("/", every(20, 2*ms), ms/2, ms/4, false), KindPolling, 0, nil},
		{"slow_answers_are_not_polling", polls("/report", every(6, 10*s), 2*s, ms, false), KindPolling, 0, nil},
		{"long_poll_three_cycles", polls("/events", []time.Duration{0, 6010 * ms, 12020 * ms}, 6*s, ms, false), KindLongPolling, 1, func(t *testing.T, f report.Finding) {
			if f.Evidence["cycles"].(int) != 3 || f.Evidence["hold_ms_p50"].(float64) != 6000 {
				t.Errorf("evidence %v", f.Evidence)
			}
		}},
		{"long_poll_two_cycles", polls("/events", []time.Duration{0, 6010 * ms}, 6*s, ms, false), KindLongPolling, 0, nil},
		{"long_poll_slow_reissue", polls("/events", []time.Duration{0, 9 * s, 18 * s}, 6*s, ms, false), KindLongPolling, 0, nil},
		{"hold_below_50_rtt", func() []*h1test.Conn {
			cs := polls("/events", []time.Duration{0, 6010 * ms, 12020 * ms}, 6*s, ms, false)
			cs[0].Halves(100*ms, 100*ms) // 50 × 200 ms = 10 s > 6 s hold
			return cs
		}(), KindLongPolling, 0, nil},
		{"long_poll_is_not_polling", polls("/events", []time.Duration{0, 6010 * ms, 12020 * ms, 18030 * ms, 24040 * ms}, 6*s, ms, false), KindPolling, 0, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fs := h1test.OfKind(h1test.Play(New(analysis.Config{}, DefaultOptions()), nil, c.conns...), c.kind)
			if len(fs) != c.want {
				t.Fatalf("%d %s findings, want %d: %+v", len(fs), c.kind, c.want, fs)
			}
			if c.want > 0 && c.check != nil {
				c.check(t, fs[0])
			}
		})
	}
}

func TestStreaming(t *testing.T) {
	one := func(resp *httpdecode.Message) []*h1test.Conn {
		c := h1test.NewConn(1, 40000, 0)
		c.Add(h1test.Req("GET", "/stream", 0, ms), resp)
		return []*h1test.Conn{c}
	}
	cases := []struct {
		name  string
		conns []*h1test.Conn
		typ   string
	}{
		{"sse_short", one(h1test.Resp(200, 300, 2*ms, 3*s, h1test.Chunked, ct("text/event-stream; charset=utf-8"))), "sse"},
		{"chunked_31s", one(h1test.Resp(200, 3000, 2*ms, 31*s, h1test.Chunked)), "chunked"},
		{"close_delimited_40s", one(h1test.Resp(200, 3000, 2*ms, 40*s, h1test.CloseDelimited)), "close"},
		{"chunked_5s", one(h1test.Resp(200, 3000, 2*ms, 5*s, h1test.Chunked)), ""},
		{"content_length_60s", one(h1test.Resp(200, 3000, 2*ms, 60*s)), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fs := h1test.OfKind(h1test.Play(New(analysis.Config{}, DefaultOptions()), nil, c.conns...), KindStreaming)
			if c.typ == "" {
				if len(fs) != 0 {
					t.Fatalf("unexpected %+v", fs)
				}
				return
			}
			if len(fs) != 1 || fs[0].Evidence["type"] != c.typ || fs[0].Connection == nil || *fs[0].Connection != 1 || fs[0].Transaction == nil {
				t.Fatalf("findings %+v", fs)
			}
		})
	}
}

func TestPathOf(t *testing.T) {
	cases := []struct{ in, path, host string }{
		{"/a/b?x=1", "/a/b", ""},
		{"http://Example.com/p?q#f", "/p", "Example.com"},
		{"http://example.com", "/", "example.com"},
		{"*", "*", ""},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			p, h := pathOf(c.in)
			if p != c.path || h != c.host {
				t.Errorf("pathOf(%q) = %q %q", c.in, p, h)
			}
		})
	}
}

// TestLimits: an endpoint past MaxRecords exchanges counts once in the
// anomaly, not once per exchange; exchanges of endpoints past MaxPeers
// count each.
func TestLimits(t *testing.T) {
	c := h1test.NewConn(1, 40000, 0)
	for i := 0; i < MaxRecords+500; i++ {
		st := time.Duration(i) * 10 * ms
		c.Add(h1test.Req("GET", "/load", st, st+ms/10), h1test.Resp(200, 20, st+ms, st+2*ms))
	}
	rep := &report.Report{}
	h1test.Play(New(analysis.Config{}, DefaultOptions()), rep, c)
	if got := rep.Capture.Anomalies[AnomalyLimit]; got != 1 {
		t.Errorf("%s = %d for one endpoint past MaxRecords, want 1", AnomalyLimit, got)
	}

	other := h1test.NewConn(2, 40001, 0)
	for i := 0; i < 3; i++ {
		st := time.Duration(i) * s
		other.Add(h1test.Req("GET", "/b"+string(rune('0'+i)), st, st+ms), h1test.Resp(200, 20, st+2*ms, st+3*ms))
	}
	rep = &report.Report{}
	h1test.Play(New(analysis.Config{MaxPeers: 1}, DefaultOptions()), rep, other)
	if got := rep.Capture.Anomalies[AnomalyLimit]; got != 2 {
		t.Errorf("%s = %d for two exchanges past MaxPeers, want 2", AnomalyLimit, got)
	}
}
