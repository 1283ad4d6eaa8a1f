package httpdecode_test

import (
	"math/rand"
	"os"
	"strconv"
	"testing"

	"connscope/httpdecode"
)

// fragments are pieces of HTTP/1.x, valid and broken, spliced at random by
// TestConnRandomStreams.
var fragments = []string{
	"GET / HTTP/1.1\r\n", "HEAD /h HTTP/1.1\r\n", "POST /p HTTP/1.0\r\n", "CONNECT h:443 HTTP/1.1\r\n",
	"HTTP/1.1 200 OK\r\n", "HTTP/1.1 100 Continue\r\n\r\n", "HTTP/1.1 204 No Content\r\n", "HTTP/1.0 101 Switching\r\n",
	"Host: x\r\n", "Content-Length: 5\r\n", "Content-Length: 0\r\n", "Content-Length: 5, 6\r\n",
	"Transfer-Encoding: chunked\r\n", "Transfer-Encoding: gzip\r\n", "Upgrade: websocket\r\n", " folded\r\n",
	"Bad Header\r\n", "X-Long: " + string(make([]byte, 70)) + "\r\n", "\r\n", "\n", "\r\n\r\n",
	"hello", "5;e=1\r\nhello\r\n", "0\r\n\r\n", "0\r\nT: v\r\n\r\n", "zz\r\n", "GE", "T /x HTTP/1.1\r\n", "HTTP/1.",
	"1 404 Nope\r\n", "\x00\x01\x02", "GET GET GET ", " HTTP/1.1\n",
}

// TestConnRandomStreams checks split invariance, the memory bound and the
// message invariants on streams spliced from fragments (a deterministic
// complement to FuzzConn that reaches deep parser states quickly).
func TestConnRandomStreams(t *testing.T) {
	seed := int64(1)
	iterations := 400
	if v, err := strconv.Atoi(os.Getenv("HTTPDECODE_RANDOM_ITERATIONS")); err == nil {
		iterations, seed = v, int64(v)
	}
	rng := rand.New(rand.NewSource(seed))
	gen := func(prefix string) []byte {
		b := []byte(prefix)
		for n := 2 + rng.Intn(12); n > 0; n-- {
			b = append(b, fragments[rng.Intn(len(fragments))]...)
		}
		return b
	}
	if testing.Short() {
		iterations = 50
	}
	for i := 0; i < iterations; i++ {
		client := gen("GET / HTTP/1.1\r\n")
		server := gen("")
		for _, lim := range []struct {
			name string
			lim  httpdecode.Limits
		}{{"default", httpdecode.Limits{}}, {"small", fuzzLimits}} {
			l := lim.lim
			want := dump(fuzzRun(t, client, server, l, 0, 0))
			for _, chunk := range []int{1, 2, 3, 7, 13} {
				if got := dump(fuzzRun(t, client, server, l, chunk, 0)); got != want {
					t.Fatalf("iteration %d (%s limits) chunks of %d differ\nclient %q\nserver %q\n got %s\nwant %s",
						i, lim.name, chunk, client, server, got, want)
				}
			}
			gapped := dump(fuzzRun(t, client, server, l, 0, 3))
			if got := dump(fuzzRun(t, client, server, l, 1, 3)); got != gapped {
				t.Fatalf("iteration %d (%s limits) with gap, byte by byte differs\nclient %q\nserver %q\n got %s\nwant %s",
					i, lim.name, client, server, got, gapped)
			}
		}
	}
}
