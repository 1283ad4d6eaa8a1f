package websocket

import (
	"bytes"
	"testing"
)

// RFC 6455 §1.3: the example key and its accept value.
func TestAcceptKey(t *testing.T) {
	tests := []struct {
		name, key, accept string
		valid             bool
	}{
		{"rfc6455_1_3", "dGhlIHNhbXBsZSBub25jZQ==", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", true},
		{"whitespace", " dGhlIHNhbXBsZSBub25jZQ== ", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo= ", true},
		{"wrong", "dGhlIHNhbXBsZSBub25jZQ==", "AAAAAAAAAAAAAAAAAAAAAAAAAAA=", false},
		{"missing_accept", "dGhlIHNhbXBsZSBub25jZQ==", "", false},
		{"missing_key", "", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ValidAccept(tc.key, tc.accept); got != tc.valid {
				t.Fatalf("ValidAccept = %v, want %v (AcceptKey %q)", got, tc.valid, AcceptKey(tc.key))
			}
		})
	}
}

type chunk struct {
	d int
	t int64
	p []byte
}

func cat(bs ...[]byte) []byte { return bytes.Join(bs, nil) }

// RFC 6455 §5.7 examples.
var (
	unmaskedHello = []byte{0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}
	maskedHello   = []byte{0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}
	fragHel       = []byte{0x01, 0x03, 0x48, 0x65, 0x6c}
	fragLo        = []byte{0x80, 0x02, 0x6c, 0x6f}
	pingHello     = []byte{0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}
	maskedPong    = []byte{0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}
	bin256        = cat([]byte{0x82, 0x7e, 0x01, 0x00}, make([]byte, 256))
	bin64k        = cat([]byte{0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0}, make([]byte, 65536))
)

// maskedClose builds a masked client close frame with code (RFC 6455 §5.5.1).
func maskedClose(code int) []byte {
	key := []byte{1, 2, 3, 4}
	pl := []byte{byte(code >> 8), byte(code)}
	for i := range pl {
		pl[i] ^= key[i%4]
	}
	return cat([]byte{0x88, 0x82}, key, pl)
}

func TestSession(t *testing.T) {
	tests := []struct {
		name  string
		in    []chunk
		check func(t *testing.T, r Result)
		anoms map[string]int
	}{
		{
			name: "rfc_5_7_unmasked_text_server",
			in:   []chunk{{1, 1, unmaskedHello}},
			check: func(t *testing.T, r Result) {
				if r.Messages[1] != 1 || r.Bytes[1] != 5 || r.MaskingViolations != 0 {
					t.Fatalf("%+v", r)
				}
			},
		},
		{
			name: "rfc_5_7_masked_text_client_byte_by_byte",
			in: func() []chunk {
				var cs []chunk
				for _, b := range maskedHello {
					cs = append(cs, chunk{0, 1, []byte{b}})
				}
				return cs
			}(),
			check: func(t *testing.T, r Result) {
				if r.Messages[0] != 1 || r.Bytes[0] != 5 || r.MaskingViolations != 0 {
					t.Fatalf("%+v", r)
				}
			},
		},
		{
			name: "rfc_5_7_fragmented_text_is_one_message",
			in:   []chunk{{1, 1, cat(fragHel, fragLo)}},
			check: func(t *testing.T, r Result) {
				if r.Messages[1] != 1 || r.Frames[1] != 2 || r.Fragmented[1] != 1 {
					t.Fatalf("%+v", r)
				}
			},
		},
		{
			name: "rfc_5_7_ping_then_masked_pong_rtt",
			in:   []chunk{{1, 1000, pingHello}, {0, 5000, maskedPong}},
			check: func(t *testing.T, r Result) {
				if r.Pings != 1 || r.Pongs != 1 || len(r.PongRTTs) != 1 || r.PongRTTs[0] != 4000 {
					t.Fatalf("%+v", r)
				}
			},
		},
		{
			name: "rfc_5_7_16_and_64_bit_lengths",
			in:   []chunk{{1, 1, cat(bin256, bin64k)}},
			check: func(t *testing.T, r Result) {
				if r.Messages[1] != 2 || r.Bytes[1] != 256+65536 {
					t.Fatalf("%+v", r)
				}
			},
		},
		{
			name: "close_1000_client_first",
			in:   []chunk{{0, 7, maskedClose(1000)}, {1, 8, []byte{0x88, 0x02, 0x03, 0xe8}}},
			check: func(t *testing.T, r Result) {
				if r.CloseCode != 1000 || r.CloseDir != 0 || r.CloseAt != 7 || r.Closes != [2]int{1, 1} {
					t.Fatalf("%+v", r)
				}
			},
		},
		{
			name: "close_without_code_is_1005",
			in:   []chunk{{1, 1, []byte{0x88, 0x00}}},
			check: func(t *testing.T, r Result) {
				if r.CloseCode != 1005 || r.CloseDir != 1 {
					t.Fatalf("%+v", r)
				}
			},
		},
		{
			name:  "masking_violation_unmasked_client_and_masked_server",
			in:    []chunk{{0, 1, unmaskedHello}, {1, 2, maskedHello}},
			check: func(t *testing.T, r Result) { wantInt(t, r.MaskingViolations, 2) },
			anoms: map[string]int{AnomalyMasking: 2},
		},
		{
			name:  "control_too_long_and_fragmented",
			in:    []chunk{{1, 1, cat([]byte{0x09, 0x7e, 0x00, 0x80}, make([]byte, 128))}},
			check: func(t *testing.T, r Result) { wantInt(t, r.Pings, 1) },
			anoms: map[string]int{AnomalyControlTooLong: 1, AnomalyControlFragmented: 1},
		},
		{
			name:  "unexpected_continuation",
			in:    []chunk{{1, 1, fragLo}},
			check: func(t *testing.T, r Result) { wantInt(t, r.Messages[1], 0) },
			anoms: map[string]int{AnomalyUnexpectedContinuation: 1},
		},
		{
			name:  "reserved_opcode_stops_direction",
			in:    []chunk{{1, 1, cat([]byte{0x83, 0x00}, unmaskedHello)}},
			check: func(t *testing.T, r Result) { wantInt(t, r.Messages[1], 0); wantBool(t, r.Stopped[1], true) },
			anoms: map[string]int{AnomalyBadOpcode: 1},
		},
		{
			name:  "non_minimal_length",
			in:    []chunk{{1, 1, cat([]byte{0x82, 0x7e, 0x00, 0x05}, make([]byte, 5))}},
			check: func(t *testing.T, r Result) { wantInt(t, r.Messages[1], 1) },
			anoms: map[string]int{AnomalyNonMinimalLength: 1},
		},
		{
			name:  "bad_close_code",
			in:    []chunk{{1, 1, []byte{0x88, 0x02, 0x03, 0xee}}}, // 1006 never on the wire
			check: func(t *testing.T, r Result) { wantInt(t, r.CloseCode, 1006) },
			anoms: map[string]int{AnomalyBadClose: 1},
		},
		{
			name:  "frame_after_close",
			in:    []chunk{{1, 1, cat([]byte{0x88, 0x02, 0x03, 0xe8}, unmaskedHello)}},
			check: func(t *testing.T, r Result) { wantInt(t, r.Messages[1], 1) },
			anoms: map[string]int{AnomalyAfterClose: 1},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSession()
			for _, c := range tc.in {
				s.Data(c.d, c.t, c.p)
			}
			tc.check(t, s.Result())
			got := s.Anomalies()
			if tc.anoms == nil {
				tc.anoms = map[string]int{}
			}
			if len(got) != len(tc.anoms) {
				t.Fatalf("anomalies %v, want %v", got, tc.anoms)
			}
			for k, v := range tc.anoms {
				if got[k] != v {
					t.Fatalf("anomalies %v, want %v", got, tc.anoms)
				}
			}
		})
	}
}

func TestGapStopsDirection(t *testing.T) {
	s := NewSession()
	s.Data(1, 1, unmaskedHello[:3])
	s.Gap(1, 2, 2)
	s.Data(1, 3, unmaskedHello) // not parsed: alignment lost
	s.Data(0, 3, maskedHello)   // the other direction goes on
	r := s.Result()
	if r.Messages != [2]int{1, 0} || r.Gaps[1] != 1 || !r.Stopped[1] || r.Stopped[0] {
		t.Fatalf("%+v", r)
	}
}

func wantInt(t *testing.T, got, want int) {
	t.Helper()
	if got != want {
		t.Fatalf("got %d, want %d", got, want)
	}
}

func wantBool(t *testing.T, got, want bool) {
	t.Helper()
	if got != want {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func FuzzWebSocket(f *testing.F) {
	f.Add(cat(maskedHello, maskedPong, maskedClose(1000)), cat(unmaskedHello, fragHel, fragLo, pingHello), uint8(3))
	f.Add(bin256, []byte{0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0}, uint8(1))
	f.Fuzz(func(t *testing.T, c2s, s2c []byte, split uint8) {
		s := NewSession()
		k := int(split)%8 + 1
		for i := 0; i < len(c2s) || i < len(s2c); i += k {
			if i < len(c2s) {
				s.Data(0, int64(i), c2s[i:min(i+k, len(c2s))])
			}
			if i < len(s2c) {
				s.Data(1, int64(i), s2c[i:min(i+k, len(s2c))])
			}
			if split&0x80 != 0 && i == k {
				s.Gap(1, int64(i), 3)
			}
		}
		s.End(0, 1)
		s.End(1, 1)
		r := s.Result()
		if r.Messages[0] > r.Frames[0] || r.Messages[1] > r.Frames[1] {
			t.Fatalf("more messages than frames: %+v", r)
		}
	})
}
