package h2

import (
	"bytes"
	"encoding/hex"
	"testing"

	"golang.org/x/net/http2/hpack"
)

// frame builds one HTTP/2 frame (RFC 9113 §4.1).
func frame(typ, flags byte, sid uint32, payload []byte) []byte {
	n := len(payload)
	h := []byte{byte(n >> 16), byte(n >> 8), byte(n), typ, flags, byte(sid >> 24), byte(sid >> 16), byte(sid >> 8), byte(sid)}
	return append(h, payload...)
}

func unhex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func cat(bs ...[]byte) []byte { return bytes.Join(bs, nil) }

func encode(fields ...string) []byte {
	var buf bytes.Buffer
	enc := hpack.NewEncoder(&buf)
	for i := 0; i+1 < len(fields); i += 2 {
		if err := enc.WriteField(hpack.HeaderField{Name: fields[i], Value: fields[i+1]}); err != nil {
			panic(err)
		}
	}
	return buf.Bytes()
}

var settingsEmpty = frame(FrameSettings, 0, 0, nil)

// RFC 7541 Appendix C.3 (no Huffman) and C.4 (Huffman): three requests on
// one connection share the dynamic table.
func TestHPACKAppendixC(t *testing.T) {
	type req struct{ method, scheme, path, authority string }
	want := []req{
		{"GET", "http", "/", "www.example.com"},
		{"GET", "http", "/", "www.example.com"},
		{"GET", "https", "/index.html", "www.example.com"},
	}
	tests := []struct {
		name   string
		blocks []string
	}{
		{"C.3", []string{
			"828684410f7777772e6578616d706c652e636f6d",
			"828684be58086e6f2d6361636865",
			"828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565",
		}},
		{"C.4", []string{
			"828684418cf1e3c2e5f23a6ba0ab90f4ff",
			"828684be5886a8eb10649cbf",
			"828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := NewConn(Config{})
			in := cat([]byte(Preface), settingsEmpty)
			for i, b := range tc.blocks {
				in = append(in, frame(FrameHeaders, flagEndHeaders|flagEndStream, uint32(2*i+1), unhex(b))...)
			}
			c.Data(0, 1, in)
			r := c.Result()
			if len(r.Exchanges) != 3 || len(c.Anomalies()) != 0 {
				t.Fatalf("exchanges %+v anomalies %v", r.Exchanges, c.Anomalies())
			}
			for i, e := range r.Exchanges {
				got := req{e.Method, e.Scheme, e.Path, e.Authority}
				if got != want[i] {
					t.Errorf("stream %d: %+v, want %+v", e.Stream, got, want[i])
				}
			}
		})
	}
}

func TestFrames(t *testing.T) {
	reqBlock := encode(":method", "GET", ":scheme", "http", ":path", "/a", ":authority", "x")
	respBlock := encode(":status", "200")
	// HEADERS with PADDED and PRIORITY: pad length 2, 5 priority bytes.
	padded := cat([]byte{2}, []byte{0, 0, 0, 0, 16}, reqBlock, []byte{0, 0})
	tests := []struct {
		name  string
		c2s   []byte
		s2c   []byte
		check func(t *testing.T, r Result)
		anoms map[string]int
	}{
		{
			name: "padded_priority_headers_and_padded_data",
			c2s:  cat([]byte(Preface), settingsEmpty, frame(FrameHeaders, flagEndHeaders|flagEndStream|flagPadded|flagPriority, 1, padded)),
			s2c: cat(settingsEmpty, frame(FrameHeaders, flagEndHeaders, 1, respBlock),
				frame(FrameData, flagPadded|flagEndStream, 1, cat([]byte{3}, []byte("hello"), []byte{0, 0, 0}))),
			check: func(t *testing.T, r Result) {
				e := r.Exchanges[0]
				if e.Path != "/a" || e.Status != 200 || e.ResponseBytes != 5 || r.Streams != 1 || r.MaxConcurrent != 1 {
					t.Fatalf("%+v", r)
				}
			},
		},
		{
			name: "continuation_joins_block",
			c2s: cat([]byte(Preface), frame(FrameHeaders, flagEndStream, 1, reqBlock[:3]),
				frame(FrameContinuation, 0, 1, reqBlock[3:6]), frame(FrameContinuation, flagEndHeaders, 1, reqBlock[6:])),
			check: func(t *testing.T, r Result) {
				if r.Exchanges[0].Method != "GET" || r.Exchanges[0].Path != "/a" {
					t.Fatalf("%+v", r.Exchanges)
				}
			},
		},
		{
			name: "interrupted_continuation_poisons",
			c2s: cat([]byte(Preface), frame(FrameHeaders, flagEndStream, 1, reqBlock[:3]),
				frame(FramePing, 0, 0, make([]byte, 8))),
			check: func(t *testing.T, r Result) { wantBool(t, r.HPACKPoisoned[0], true) },
			anoms: map[string]int{AnomalyExpectedContinuation: 1},
		},
		{
			name: "settings_rst_goaway_ping_push",
			c2s: cat([]byte(Preface),
				frame(FrameSettings, 0, 0, []byte{0, 3, 0, 0, 0, 100, 0, 1, 0, 0, 0x10, 0}),
				frame(FrameHeaders, flagEndHeaders|flagEndStream, 1, reqBlock),
				frame(FrameHeaders, flagEndHeaders|flagEndStream, 3, encode(":method", "GET", ":path", "/b")),
				frame(FramePing, 0, 0, []byte("12345678")),
				frame(FrameRSTStream, 0, 3, []byte{0, 0, 0, 8})),
			s2c: cat(frame(FrameSettings, 0, 0, []byte{0, 3, 0, 0, 0, 10}),
				frame(FrameSettings, flagAck, 0, nil),
				frame(FramePushPromise, flagEndHeaders, 1, cat([]byte{0, 0, 0, 2}, encode(":method", "GET", ":path", "/pushed"))),
				frame(FramePing, flagAck, 0, []byte("12345678")),
				frame(FrameHeaders, flagEndHeaders|flagEndStream, 1, respBlock),
				frame(FrameWindowUpdate, 0, 0, []byte{0, 0, 1, 0}),
				frame(FrameGoAway, 0, 0, []byte{0, 0, 0, 3, 0, 0, 0, 0})),
			check: func(t *testing.T, r Result) {
				// Stream 3 was reset before the push opened stream 2.
				if r.Streams != 3 || r.MaxConcurrent != 2 || r.RSTStreams != 1 || !r.GoAway || r.GoAwayLastStream != 3 ||
					r.Pings != 1 || r.PingAcks != 1 || len(r.PingRTTs) != 1 || r.SettingsMaxConcurrent != [2]int64{100, 10} ||
					r.HeaderTableSize[0] != 4096 {
					t.Fatalf("%+v", r)
				}
				if e := r.Exchanges[1]; !e.Reset || e.ResetCode != 8 || e.ResetByServer {
					t.Fatalf("stream 3: %+v", e)
				}
				if e := r.Exchanges[2]; !e.Pushed || e.Stream != 2 || e.Path != "/pushed" {
					t.Fatalf("push: %+v", e)
				}
			},
		},
		{
			name:  "bad_preface",
			c2s:   []byte("GET / HTTP/1.1\r\n\r\n........"),
			check: func(t *testing.T, r Result) { wantBool(t, r.Stopped[0], true) },
			anoms: map[string]int{AnomalyBadPreface: 1},
		},
		{
			name:  "bad_settings_length",
			c2s:   cat([]byte(Preface), frame(FrameSettings, 0, 0, []byte{0, 3, 0})),
			check: func(t *testing.T, r Result) { wantInt(t, r.Frames[0], 1) },
			anoms: map[string]int{AnomalyBadFrame: 1},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := NewConn(Config{})
			c.Data(0, 1, tc.c2s)
			c.Data(1, 2, tc.s2c)
			tc.check(t, c.Result())
			got := c.Anomalies()
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

// go-stack §6.4: after a missing header block HPACK would return wrong
// headers; the decoder must be poisoned instead.
func TestGapPoisonsHPACK(t *testing.T) {
	var buf bytes.Buffer
	enc := hpack.NewEncoder(&buf)
	block := func(path string) []byte {
		buf.Reset()
		for _, f := range []hpack.HeaderField{{Name: ":method", Value: "GET"}, {Name: ":path", Value: path}} {
			_ = enc.WriteField(f)
		}
		return append([]byte(nil), buf.Bytes()...)
	}
	f1 := frame(FrameHeaders, flagEndHeaders|flagEndStream, 1, block("/a"))
	f2 := frame(FrameHeaders, flagEndHeaders|flagEndStream, 3, block("/b"))
	f3 := frame(FrameHeaders, flagEndHeaders|flagEndStream, 5, block("/a"))
	c := NewConn(Config{})
	c.Data(0, 1, cat([]byte(Preface), f1, f2[:9]))
	c.Gap(0, 2, len(f2)-9) // the whole header block of stream 3 is missing
	c.Data(0, 3, f3)
	r := c.Result()
	if !r.HPACKPoisoned[0] || r.Gaps[0] != 1 || r.Stopped[0] {
		t.Fatalf("%+v", r)
	}
	if r.Exchanges[0].Path != "/a" || !r.Exchanges[1].HeadersUnknown || !r.Exchanges[2].HeadersUnknown || r.Exchanges[2].Path != "" {
		t.Fatalf("exchanges %+v", r.Exchanges)
	}
}

// A gap inside a DATA payload keeps frame alignment and HPACK state; the
// missing bytes still count as DATA payload the peer received.
func TestGapInsideDataKeepsParsing(t *testing.T) {
	c := NewConn(Config{})
	c.Data(0, 1, cat([]byte(Preface), frame(FrameHeaders, flagEndHeaders, 1, encode(":method", "POST", ":path", "/u"))))
	d := frame(FrameData, flagEndStream, 1, make([]byte, 100))
	c.Data(0, 2, d[:30])
	c.Gap(0, 3, 50)
	c.Data(0, 4, d[80:])
	c.Data(0, 5, frame(FrameHeaders, flagEndHeaders|flagEndStream, 3, encode(":method", "GET", ":path", "/v")))
	r := c.Result()
	if r.HPACKPoisoned[0] || r.Stopped[0] || r.Exchanges[1].Path != "/v" || r.Exchanges[0].RequestBytes != 100 {
		t.Fatalf("%+v", r)
	}
}

func TestUpgrade(t *testing.T) {
	// HTTP2-Settings: SETTINGS_MAX_CONCURRENT_STREAMS 100 (base64url).
	c := NewConn(Config{Upgrade: true, UpgradeAt: 5, Method: "GET", Path: "/", Authority: "h", HTTP2Settings: "AAMAAABk"})
	c.Data(1, 6, cat(settingsEmpty, frame(FrameHeaders, flagEndHeaders, 1, encode(":status", "200")),
		frame(FrameData, flagEndStream, 1, []byte("ok"))))
	c.Data(0, 7, cat([]byte(Preface), settingsEmpty))
	r := c.Result()
	if !r.Upgrade || !r.Preface || r.Streams != 1 || r.SettingsMaxConcurrent[0] != 100 {
		t.Fatalf("%+v", r)
	}
	if e := r.Exchanges[0]; e.Stream != 1 || e.Method != "GET" || e.Status != 200 || e.ResponseBytes != 2 {
		t.Fatalf("%+v", e)
	}
}

// Head-of-line: a server segment beyond a hole arrives at t=20 and waits
// for the retransmission at t=50; the held bytes carry frames of streams 3
// and 5.
func TestHeadOfLine(t *testing.T) {
	c := NewConn(Config{})
	c.Data(0, 1, cat([]byte(Preface),
		frame(FrameHeaders, flagEndHeaders|flagEndStream, 1, encode(":method", "GET", ":path", "/1")),
		frame(FrameHeaders, flagEndHeaders|flagEndStream, 3, encode(":method", "GET", ":path", "/3")),
		frame(FrameHeaders, flagEndHeaders|flagEndStream, 5, encode(":method", "GET", ":path", "/5"))))
	c.Segment(0, 1, 100, false)
	lost := frame(FrameData, 0, 1, make([]byte, 91))                                                // 100 bytes
	held := cat(frame(FrameData, 0, 3, make([]byte, 41)), frame(FrameData, 0, 5, make([]byte, 41))) // 100 bytes
	c.Segment(1, 20, len(held), true)                                                               // arrives beyond the hole, buffered
	c.Data(1, 50, lost)                                                                             // retransmission fills the hole...
	c.Data(1, 50, held)                                                                             // ...and releases the buffered bytes
	c.Segment(1, 50, len(lost), false)
	r := c.Result()
	if len(r.HOL) != 1 {
		t.Fatalf("HOL %+v", r.HOL)
	}
	ev := r.HOL[0]
	if ev.Dir != 1 || ev.Hold != 30 || ev.HeldBytes != 100 || len(ev.Streams) != 2 || ev.Streams[0] != 3 || ev.Streams[1] != 5 || ev.Cause != "retransmission" {
		t.Fatalf("%+v", ev)
	}
	// A plain in-order segment afterwards opens nothing.
	c.Data(1, 60, frame(FrameData, flagEndStream, 1, nil))
	c.Segment(1, 60, 9, false)
	if n := len(c.Result().HOL); n != 1 {
		t.Fatalf("HOL events %d", n)
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

func FuzzH2(f *testing.F) {
	f.Add(cat([]byte(Preface), settingsEmpty, frame(FrameHeaders, flagEndHeaders, 1, unhex("828684410f7777772e6578616d706c652e636f6d"))),
		cat(settingsEmpty, frame(FrameHeaders, flagEndHeaders|flagPadded, 1, []byte{1, 0x88, 0}), frame(FrameData, flagPadded|flagEndStream, 1, []byte{9, 1})),
		uint8(5), false)
	f.Add([]byte(Preface), frame(FramePushPromise, flagEndHeaders, 1, []byte{0, 0, 0, 2, 0x82}), uint8(0x81), true)
	f.Fuzz(func(t *testing.T, c2s, s2c []byte, split uint8, upgrade bool) {
		c := NewConn(Config{Upgrade: upgrade, Method: "GET", Path: "/", HTTP2Settings: string(s2c[:min(8, len(s2c))])})
		k := int(split&0x3f) + 1
		for i := 0; i < len(c2s) || i < len(s2c); i += k {
			if i < len(c2s) {
				c.Data(0, int64(i), c2s[i:min(i+k, len(c2s))])
				c.Segment(0, int64(i), k, split&0x40 != 0 && i%3 == 0)
			}
			if i < len(s2c) {
				c.Data(1, int64(i), s2c[i:min(i+k, len(s2c))])
			}
			if split&0x80 != 0 && i == k {
				c.Gap(1, int64(i), 7)
			}
		}
		r := c.Result()
		if r.MaxConcurrent > r.Streams || len(r.Exchanges) > MaxExchanges {
			t.Fatalf("inconsistent %+v", r)
		}
	})
}
