package h1

import (
	"testing"

	"connscope/flow"
	"connscope/httpdecode"
	"connscope/report"
)

func msg(version string, tokens ...string) *httpdecode.Message {
	return &httpdecode.Message{Version: version, ConnectionTokens: tokens, Framing: httpdecode.FramingContentLength}
}

func TestPersistence(t *testing.T) {
	cd := msg("HTTP/1.1")
	cd.Framing = httpdecode.FramingCloseDelimited
	cases := []struct {
		name       string
		req, resp  *httpdecode.Message
		by, reason string
	}{
		// RFC 9112 §9.3: HTTP/1.1 persists unless "close".
		{"http11_default", msg("HTTP/1.1"), msg("HTTP/1.1"), "", ""},
		{"http11_client_close", msg("HTTP/1.1", "close"), msg("HTTP/1.1", "close"), ByClient, ReasonConnectionClose},
		{"http11_server_close", msg("HTTP/1.1"), msg("HTTP/1.1", "close"), ByServer, ReasonConnectionClose},
		// RFC 9112 App. C.2.2: HTTP/1.0 persists only with keep-alive both ways.
		{"http10_plain", msg("HTTP/1.0"), msg("HTTP/1.1", "close"), ByClient, ReasonHTTP10},
		{"http10_keepalive_echoed", msg("HTTP/1.0", "keep-alive"), msg("HTTP/1.1", "keep-alive"), "", ""},
		{"http10_keepalive_http10_answer", msg("HTTP/1.0", "keep-alive"), msg("HTTP/1.0"), ByServer, ReasonHTTP10},
		{"close_delimited", msg("HTTP/1.1"), cd, ByServer, ReasonCloseDelimited},
		{"no_response", msg("HTTP/1.1"), nil, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			by, reason := Persistence(tc.req, tc.resp)
			if by != tc.by || reason != tc.reason {
				t.Errorf("got %q %q, want %q %q", by, reason, tc.by, tc.reason)
			}
		})
	}
}

func TestIdempotent(t *testing.T) {
	// RFC 9110 §9.2.2.
	for m, want := range map[string]bool{"GET": true, "HEAD": true, "OPTIONS": true, "TRACE": true, "PUT": true, "DELETE": true,
		"POST": false, "PATCH": false, "CONNECT": false, "PROPFIND": false, "get": false} {
		if Idempotent(m) != want {
			t.Errorf("Idempotent(%q) = %v, want %v", m, !want, want)
		}
	}
}

func TestSite(t *testing.T) {
	cases := []struct {
		name     string
		adds     [][3]int64 // time, conn, tx
		conn, tx bool
		count    int
	}{
		{"one", [][3]int64{{5, 1, 0}}, true, true, 1},
		{"same_exchange_twice", [][3]int64{{5, 1, 2}, {6, 1, 2}}, true, true, 2},
		{"one_connection", [][3]int64{{5, 1, 0}, {3, 1, 1}}, true, false, 2},
		{"two_connections", [][3]int64{{5, 1, 0}, {6, 2, 0}}, false, false, 2},
		{"connection_level", [][3]int64{{5, 1, -1}}, true, false, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var s Site
			for _, a := range tc.adds {
				s.Add(flow.Time(a[0]+1e18), flow.ConnID(a[1]), int(a[2]))
			}
			var f report.Finding
			s.Apply(&f)
			if f.Count != tc.count || (f.Connection != nil) != tc.conn || (f.Transaction != nil) != tc.tx {
				t.Errorf("got %+v", f)
			}
			min := tc.adds[0][0]
			for _, a := range tc.adds {
				if a[0] < min {
					min = a[0]
				}
			}
			if f.At != report.FormatTime(min+1e18) {
				t.Errorf("at %s, want the earliest occurrence", f.At)
			}
		})
	}
}
