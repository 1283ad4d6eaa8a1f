package capture

import (
	"testing"

	"github.com/gopacket/gopacket/layers"
)

// TestParseTCPOptions covers option-area edge cases (RFC 9293 §3.2: kind
// and length octets, length counts both; RFC 7323 and RFC 2018 lengths).
func TestParseTCPOptions(t *testing.T) {
	cases := []struct {
		name string
		in   []byte
		ok   bool
		want TCPOptions
	}{
		{"empty", nil, true, TCPOptions{}},
		{"nops_then_end", []byte{1, 1, 0, 2, 4, 5, 0xb4}, true, TCPOptions{}},
		{"mss", []byte{2, 4, 5, 0xb4}, true, TCPOptions{MSS: 1460, HasMSS: true}},
		{"mss_wrong_length_ignored", []byte{2, 3, 5, 1}, true, TCPOptions{}},
		{"wscale_sackperm", []byte{3, 3, 14, 4, 2}, true, TCPOptions{WScale: 14, HasWScale: true, SACKPermitted: true}},
		{"timestamps", []byte{8, 10, 0, 0, 0, 1, 0, 0, 0, 2}, true, TCPOptions{HasTimestamps: true, TSval: 1, TSecr: 2}},
		{"sack_five_blocks_keeps_four", append([]byte{5, 42}, make([]byte, 40)...), true, TCPOptions{NumSACK: 4}},
		{"sack_odd_length_ignored", []byte{5, 6, 0, 0, 0, 1}, true, TCPOptions{}},
		{"unknown_kind_skipped", []byte{30, 4, 0, 0, 2, 4, 0, 10}, true, TCPOptions{MSS: 10, HasMSS: true}},
		{"length_below_two", []byte{2, 4, 0, 10, 30, 1}, false, TCPOptions{MSS: 10, HasMSS: true}},
		{"length_past_end", []byte{8, 10, 0, 0}, false, TCPOptions{}},
		{"kind_without_length", []byte{1, 2}, false, TCPOptions{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got TCPOptions
			got.MSS = 999 // must be reset
			ok := parseTCPOptions(c.in, &got)
			if ok != c.ok || got != c.want {
				t.Errorf("got %+v ok=%v, want %+v ok=%v", got, ok, c.want, c.ok)
			}
		})
	}
}

// TestDecodePanicRecovered checks that a panic while decoding one record
// is counted as decode_panic and the record skipped.
func TestDecodePanicRecovered(t *testing.T) {
	s := newFileSource()
	// Break the decoder so that decoding dereferences a nil parser.
	s.dec.parsers[layers.LayerTypeEthernet] = nil
	p := &Packet{CapLen: 60, WireLen: 60}
	if s.decode(p, make([]byte, 60), linkEthernet) {
		t.Fatal("decoded with a broken parser")
	}
	if got := s.anomalies[AnomalyDecodePanic]; got != 1 {
		t.Errorf("decode_panic = %d", got)
	}
}

// TestLinkTypeName checks the stable names of Stats.LinkTypes.
func TestLinkTypeName(t *testing.T) {
	for lt, want := range map[layers.LinkType]string{
		0: "null", 1: "ethernet", 12: "raw", 14: "raw", 101: "raw", 108: "loop",
		113: "linux_sll", 228: "ipv4", 229: "ipv6", 276: "linux_sll2", 127: "linktype_127",
	} {
		if got := LinkTypeName(lt); got != want {
			t.Errorf("LinkTypeName(%d) = %q, want %q", lt, got, want)
		}
	}
}
