package httpdecode_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"connscope/httpdecode"
)

var updateSeeds = flag.Bool("update-fuzz-seeds", false, "rewrite testdata/fuzz/FuzzConn from the table cases")

// fuzzLimits are small so that fuzzing reaches every limit quickly.
var fuzzLimits = httpdecode.Limits{MaxHeaderBytes: 256, MaxLineBytes: 64, MaxHeaders: 8, MaxPending: 4}

// streams returns the concatenated client and server bytes of a table case.
func streams(steps []step) (client, server []byte) {
	for _, s := range steps {
		if s.gap > 0 || s.end {
			continue
		}
		if s.d == httpdecode.ClientToServer {
			client = append(client, s.data...)
		} else {
			server = append(server, s.data...)
		}
	}
	return client, server
}

// fuzzRun feeds the client bytes then the server bytes in pieces of size
// chunk (0: whole), optionally with a gap of gap bytes in the middle of each
// direction, checking the memory bound after every call.
func fuzzRun(t *testing.T, client, server []byte, lim httpdecode.Limits, chunk, gap int) *recorder {
	r := &recorder{}
	c := httpdecode.NewConn(r, lim)
	bound := 2 * (lim.WithDefaults().MaxHeaderBytes + 2)
	feed := func(d httpdecode.Dir, ts int64, p []byte) {
		half := len(p) / 2
		for off := 0; off < len(p); {
			n := len(p) - off
			if chunk > 0 {
				n = min(n, chunk)
			}
			if gap > 0 && off < half && off+n > half {
				n = half - off
			}
			c.Feed(d, ts, p[off:off+n])
			off += n
			if gap > 0 && off == half {
				c.Gap(d, ts, gap)
			}
			if b := c.Buffered(); b > bound {
				t.Fatalf("buffered %d bytes, bound %d", b, bound)
			}
		}
	}
	feed(httpdecode.ClientToServer, 1, client)
	feed(httpdecode.ServerToClient, 2, server)
	c.Close(3)
	checkInvariants(t, r)
	return r
}

func checkInvariants(t *testing.T, r *recorder) {
	for i, e := range r.ex {
		if e.Index != i {
			t.Fatalf("exchange %d has Index %d", i, e.Index)
		}
		if e.Request == nil && e.Response == nil {
			t.Fatalf("exchange %d is empty", i)
		}
		for _, m := range []*httpdecode.Message{e.Request, e.Response} {
			if m == nil {
				continue
			}
			if m.Complete && m.Truncated {
				t.Fatalf("exchange %d: message both complete and truncated", i)
			}
			if m.Framing == httpdecode.FramingContentLength && m.Complete && m.BodyBytes+m.GapBytes != m.ContentLength {
				t.Fatalf("exchange %d: complete body %d+%d != Content-Length %d", i, m.BodyBytes, m.GapBytes, m.ContentLength)
			}
			if m.BodyBytes > m.BodyWireBytes || m.Start > m.HeadEnd || m.HeadEnd > m.End {
				t.Fatalf("exchange %d: inconsistent message %+v", i, *m)
			}
		}
	}
}

// FuzzConn: no panic, bounded memory, and the same results whatever the
// feed sizes. data is cut into client and server bytes at split.
func FuzzConn(f *testing.F) {
	for _, tc := range connCases {
		client, server := streams(tc.steps)
		f.Add(append(client, server...), uint16(len(client)))
	}
	f.Fuzz(func(t *testing.T, data []byte, split uint16) {
		cut := int(split) % (len(data) + 1)
		client, server := data[:cut], data[cut:]
		chunk := 1 + int(split)%7
		for _, lim := range []httpdecode.Limits{{}, fuzzLimits} {
			want := dump(fuzzRun(t, client, server, lim, 0, 0))
			if got := dump(fuzzRun(t, client, server, lim, chunk, 0)); got != want {
				t.Fatalf("chunks of %d differ:\n got %s\nwant %s", chunk, got, want)
			}
			if len(data) <= 1024 {
				if got := dump(fuzzRun(t, client, server, lim, 1, 0)); got != want {
					t.Fatalf("byte by byte differs:\n got %s\nwant %s", got, want)
				}
			}
			gapped := dump(fuzzRun(t, client, server, lim, 0, 1+int(split)%5))
			if got := dump(fuzzRun(t, client, server, lim, chunk, 1+int(split)%5)); got != gapped {
				t.Fatalf("with a gap, chunks of %d differ:\n got %s\nwant %s", chunk, got, gapped)
			}
		}
	})
}

// TestWriteFuzzSeeds rewrites the committed seed corpus from the table
// (go test -run TestWriteFuzzSeeds -update-fuzz-seeds).
func TestWriteFuzzSeeds(t *testing.T) {
	if !*updateSeeds {
		t.Skip("run with -update-fuzz-seeds to rewrite testdata/fuzz/FuzzConn")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzConn")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range connCases {
		client, server := streams(tc.steps)
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\nuint16(%d)\n", strconv.Quote(string(append(client, server...))), len(client))
		if err := os.WriteFile(filepath.Join(dir, tc.name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
