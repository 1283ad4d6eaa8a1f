package httpdecode_test

import (
	"bufio"
	"io"
	"net/http"
	"strings"
	"testing"

	"connscope/httpdecode"
)

// TestOracleNetHTTP checks the well-formed table inputs against net/http:
// ReadRequest on the client stream, ReadResponse with the matching request
// on the server stream (so HEAD is framed right, see the design note on
// net/http), comparing method, target, status and body lengths.
func TestOracleNetHTTP(t *testing.T) {
	for _, tc := range connCases {
		if !tc.oracle {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			var cs, ss strings.Builder
			for _, s := range tc.steps {
				if s.gap > 0 || s.end {
					continue
				}
				if s.d == httpdecode.ClientToServer {
					cs.WriteString(s.data)
				} else {
					ss.WriteString(s.data)
				}
			}
			r, _ := run(tc.steps, tc.lim, whole)

			br := bufio.NewReader(strings.NewReader(cs.String()))
			var reqs []*http.Request
			for {
				q, err := http.ReadRequest(br)
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("net/http ReadRequest %d: %v", len(reqs), err)
				}
				n, err := io.Copy(io.Discard, q.Body)
				if err != nil {
					t.Fatalf("net/http request body %d: %v", len(reqs), err)
				}
				if len(reqs) >= len(r.ex) {
					t.Fatalf("net/http found more requests than the %d exchanges", len(r.ex))
				}
				m := r.ex[len(reqs)].Request
				if m.Method != q.Method || m.Target != q.RequestURI || m.BodyBytes != n {
					t.Errorf("request %d: got %s %s body %d, net/http %s %s body %d",
						len(reqs), m.Method, m.Target, m.BodyBytes, q.Method, q.RequestURI, n)
				}
				reqs = append(reqs, q)
			}
			if len(reqs) != len(r.ex) {
				t.Fatalf("net/http read %d requests, parser made %d exchanges", len(reqs), len(r.ex))
			}

			sr := bufio.NewReader(strings.NewReader(ss.String()))
			for i := 0; i < len(reqs); {
				resp, err := http.ReadResponse(sr, reqs[i])
				if err != nil {
					t.Fatalf("net/http ReadResponse %d: %v", i, err)
				}
				n, err := io.Copy(io.Discard, resp.Body)
				if err != nil {
					t.Fatalf("net/http response body %d: %v", i, err)
				}
				if resp.StatusCode >= 100 && resp.StatusCode < 200 && resp.StatusCode != 101 {
					if r.ex[i].Interim == 0 {
						t.Errorf("exchange %d: net/http saw interim %d, parser counted none", i, resp.StatusCode)
					}
					continue
				}
				m := r.ex[i].Response
				if m == nil {
					t.Fatalf("exchange %d has no response; net/http read %d", i, resp.StatusCode)
				}
				if m.Status != resp.StatusCode || m.BodyBytes != n {
					t.Errorf("response %d: got %d body %d, net/http %d body %d", i, m.Status, m.BodyBytes, resp.StatusCode, n)
				}
				i++
			}
		})
	}
}
