package loss_test

import (
	"testing"
	"time"

	"connscope/analysis/internal/eventgen"
	"connscope/analysis/loss"
	"connscope/analysis/nagle"
	"connscope/analysis/rtt"
	"connscope/analysis/slowstart"
)

// BenchmarkSegments measures the per-segment cost of the segment-handling
// TCP detectors together on a bulk transfer (one ACK per two segments).
func BenchmarkSegments(b *testing.B) {
	w := eventgen.New(rtt.New(), loss.New(loss.Config{}), nagle.New(nagle.Config{}), slowstart.New(slowstart.Config{}))
	c := w.Handshake(cl, sv, 0, 10*ms, 10*ms, 1460)
	at := 100 * ms
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.Send(s2c, at, 1460)
		if i%2 == 1 {
			c.Ack(c2s, at+10*time.Microsecond)
		}
		at += 10 * time.Microsecond
	}
}
