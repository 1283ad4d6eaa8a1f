package capture_test

import (
	"bytes"
	"io"
	"testing"

	"connscope/capture"
	"connscope/internal/pcapgen"
)

// FuzzReadFile feeds arbitrary bytes as a capture file. Opening either
// fails or yields a Source; reading always ends (io.EOF or an error) with
// no panic, every packet's Payload fits in PayloadLen, and no decode panic
// is counted.
func FuzzReadFile(f *testing.F) {
	for _, o := range []pcapgen.Options{
		{Format: pcapgen.PcapMicro, Link: pcapgen.Ethernet},
		{Format: pcapgen.PcapNano, Link: pcapgen.QinQ, BigEndian: true},
		{Format: pcapgen.PcapNG, Link: pcapgen.SLL2, TSResol: 9},
		{Format: pcapgen.PcapNG, Link: pcapgen.Null, BigEndian: true},
		{Format: pcapgen.PcapMicro, Link: pcapgen.Raw, Snaplen: 60},
	} {
		w := pcapgen.New(o)
		c := pcapgen.NewConn(w, cli6, srv6, t0)
		c.Handshake()
		c.ClientSend(payload)
		seg := c.Segment(false)
		seg.IPv6Ext = []uint8{pcapgen.ExtHopByHop, pcapgen.ExtFragment}
		c.Write(seg)
		f.Add(w.Bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := capture.OpenReader("fuzz", bytes.NewReader(data))
		if err != nil {
			return
		}
		defer s.Close()
		for i := 0; ; i++ {
			p, err := s.Next()
			if err != nil {
				if err != io.EOF && s.Stats().Packets > uint64(len(data)) {
					t.Fatalf("more records than bytes")
				}
				break
			}
			if len(p.Payload) > p.PayloadLen || p.PayloadLen < 0 {
				t.Fatalf("payload %d > PayloadLen %d", len(p.Payload), p.PayloadLen)
			}
			if i > len(data) {
				t.Fatalf("more packets than input bytes")
			}
		}
		if n := s.Stats().Anomalies[capture.AnomalyDecodePanic]; n != 0 {
			t.Fatalf("decode panics: %d", n)
		}
	})
}
