package reassembly

import (
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"connscope/capture"
	"connscope/internal/corpus"
)

// TestCorpus runs real third-party TCP captures through the tracker and
// checks the invariants that must hold on any input; with -v it logs one
// line per connection.
func TestCorpus(t *testing.T) {
	dir := corpus.Dir(t)
	var files []string
	for _, pat := range []string{"zeek/traces/tcp/*", "zeek/traces/http/*", "zeek/traces/*.pcap", "arkime/*.pcap"} {
		m, _ := filepath.Glob(filepath.Join(dir, pat))
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Skip("no captures found")
	}
	for _, f := range files {
		name, _ := filepath.Rel(dir, f)
		t.Run(name, func(t *testing.T) {
			src, err := capture.OpenFile(f)
			if err != nil {
				t.Skipf("not readable: %v", err)
			}
			defer src.Close()
			r := newRec()
			tr := New(Config{}, r)
			for {
				p, err := src.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Skipf("read error: %v", err)
				}
				tr.Packet(p)
			}
			tr.Flush()
			st := tr.Stats()
			if st.Active != 0 || st.Buffered != 0 || uint64(len(r.order)) != st.Conns {
				t.Fatalf("stats %+v, %d closed", st, len(r.order))
			}
			for _, id := range r.order {
				cr := r.conns[id]
				for d := range 2 {
					if !strings.HasSuffix(cr.stream[d], "<end>") || strings.Count(cr.stream[d], "<end>") != 1 {
						t.Fatalf("conn %d dir %d not ended once", id, d)
					}
				}
				c := cr.closed
				t.Logf("#%d %s -> %s roles=%s close=%s init=%s tw=%s refused=%v half=%v unread=%v pkts=%d/%d payload=%d/%d retx=%d/%d gaps=%d/%d",
					id, c.Client, c.Server, c.Roles, c.Close.Kind, c.Close.Initiator, c.Close.TimeWaitHolder,
					c.Close.Refused, c.Close.HalfClosed, c.Close.RSTUnreadData,
					c.Dir[0].Packets, c.Dir[1].Packets, c.Dir[0].PayloadBytes, c.Dir[1].PayloadBytes,
					c.Dir[0].Retransmissions, c.Dir[1].Retransmissions, c.Dir[0].GapBytes, c.Dir[1].GapBytes)
			}
			if len(st.Anomalies) > 0 {
				t.Logf("anomalies %v", st.Anomalies)
			}
		})
	}
}
