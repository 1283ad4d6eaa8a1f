package quic

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatalf("bad hex: %v", err)
	}
	return b
}

// rfcCryptoFrame is the CRYPTO frame of the client Initial in RFC 9001
// Appendix A.2 (and RFC 9369 Appendix A.2): a ClientHello for example.com
// offering ALPN "alpn".
const rfcCryptoFrame = `060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e868
04fe3a47f06a2b69484c00000413011302010000c000000010000e00000b6578
616d706c652e636f6dff01000100000a00080006001d00170018001000070005
04616c706e000500050100000000003300260024001d00209370b2c9caa47fba
baf4559fedba753de171fa71f50f1ce15d43e994ec74d748002b000302030400
0d0010000e0403050306030203080408050806002d00020101001c0002400100
3900320408ffffffffffffffff05048000ffff07048000ffff08011001048000
75300901100f088394c8f03e51570806048000ffff`

var rfcDCID = "8394c8f03e515708"

type vector struct {
	name    string
	version uint32
	// Keys of RFC 9001 A.1 / RFC 9369 A.1.
	clientSecret, clientKey, clientIV, clientHP string
	serverSecret, serverKey, serverIV, serverHP string
	// Client Initial of A.2: unprotected header, sample, protected
	// header and the AEAD tag ending the protected packet.
	header, sample, protectedHeader, tag string
	// Server Initial of A.3, complete.
	serverPacket string
}

var vectors = []vector{
	{
		name:            "rfc9001_v1",
		version:         Version1,
		clientSecret:    "c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea",
		clientKey:       "1f369613dd76d5467730efcbe3b1a22d",
		clientIV:        "fa044b2f42a3fd3b46fb255c",
		clientHP:        "9f50449e04a0e810283a1e9933adedd2",
		serverSecret:    "3c199828fd139efd216c155ad844cc81fb82fa8d7446fa7d78be803acdda951b",
		serverKey:       "cf3a5331653c364c88f0f379b6067e37",
		serverIV:        "0ac1493ca1905853b0bba03e",
		serverHP:        "c206b8d9b9f0f37644430b490eeaa314",
		header:          "c300000001088394c8f03e5157080000449e00000002",
		sample:          "d1b1c98dd7689fb8ec11d242b123dc9b",
		protectedHeader: "c000000001088394c8f03e5157080000449e7b9aec34",
		tag:             "e221af44860018ab0856972e194cd934",
		serverPacket: `cf000000010008f067a5502a4262b5004075c0d95a482cd0991cd25b0aac406a
5816b6394100f37a1c69797554780bb38cc5a99f5ede4cf73c3ec2493a1839b3
dbcba3f6ea46c5b7684df3548e7ddeb9c3bf9c73cc3f3bded74b562bfb19fb84
022f8ef4cdd93795d77d06edbb7aaf2f58891850abbdca3d20398c276456cbc4
2158407dd074ee`,
	},
	{
		name:            "rfc9369_v2",
		version:         Version2,
		clientSecret:    "14ec9d6eb9fd7af83bf5a668bc17a7e283766aade7ecd0891f70f9ff7f4bf47b",
		clientKey:       "8b1a0bc121284290a29e0971b5cd045d",
		clientIV:        "91f73e2351d8fa91660e909f",
		clientHP:        "45b95e15235d6f45a6b19cbcb0294ba9",
		serverSecret:    "0263db1782731bf4588e7e4d93b7463907cb8cd8200b5da55a8bd488eafc37c1",
		serverKey:       "82db637861d55e1d011f19ea71d5d2a7",
		serverIV:        "dd13c276499c0249d3310652",
		serverHP:        "edf6d05c83121201b436e16877593c3a",
		header:          "d36b3343cf088394c8f03e5157080000449e00000002",
		sample:          "ffe67b6abcdb4298b485dd04de806071",
		protectedHeader: "d76b3343cf088394c8f03e5157080000449ea0c95e82",
		tag:             "a18b2faa745b6fe189cf772a9f84cbfc",
		serverPacket: `dc6b3343cf0008f067a5502a4262b5004075d92faaf16f05d8a4398c47089698
baeea26b91eb761d9b89237bbf87263017915358230035f7fd3945d88965cf17
f9af6e16886c61bfc703106fbaf3cb4cfa52382dd16a393e42757507698075b2
c984c707f0a0812d8cd5a6881eaf21ceda98f4bd23f6fe1a3e2c43edd9ce7ca8
4bed8521e2e140`,
	},
}

// rfcClientInitial returns the protected client Initial of Appendix A.2:
// the CRYPTO frame padded with PADDING to 1162 bytes, packet number 2.
func rfcClientInitial(t testing.TB, v vector) []byte {
	t.Helper()
	k, ok := InitialKeys(v.version, unhex(t, rfcDCID), false)
	if !ok {
		t.Fatalf("no keys for version %x", v.version)
	}
	payload := make([]byte, 1162)
	copy(payload, unhex(t, rfcCryptoFrame))
	return SealInitial(k, unhex(t, v.header), 2, payload)
}

// TestInitialKeys checks key derivation against RFC 9001 Appendix A.1 and
// RFC 9369 Appendix A.1.
func TestInitialKeys(t *testing.T) {
	for _, v := range vectors {
		for _, server := range []bool{false, true} {
			name := v.name + "/client"
			want := [4]string{v.clientSecret, v.clientKey, v.clientIV, v.clientHP}
			if server {
				name = v.name + "/server"
				want = [4]string{v.serverSecret, v.serverKey, v.serverIV, v.serverHP}
			}
			t.Run(name, func(t *testing.T) {
				k, ok := InitialKeys(v.version, unhex(t, rfcDCID), server)
				if !ok {
					t.Fatal("no keys")
				}
				got := [4]string{hex.EncodeToString(k.Secret[:]), hex.EncodeToString(k.Key[:]), hex.EncodeToString(k.IV[:]), hex.EncodeToString(k.HP[:])}
				if got != want {
					t.Errorf("keys (secret, key, iv, hp) = %v, want %v", got, want)
				}
			})
		}
	}
}

// TestClientInitialVector seals the Appendix A.2 client Initial, compares
// the protected header, the header-protection sample and the AEAD tag with
// the RFC, then removes the protection again and reads the ClientHello.
func TestClientInitialVector(t *testing.T) {
	for _, v := range vectors {
		t.Run(v.name, func(t *testing.T) {
			pkt := rfcClientInitial(t, v)
			if len(pkt) != 1200 {
				t.Fatalf("packet is %d bytes, want 1200", len(pkt))
			}
			hdr := unhex(t, v.protectedHeader)
			if !bytes.Equal(pkt[:len(hdr)], hdr) {
				t.Errorf("protected header = %x, want %x", pkt[:len(hdr)], hdr)
			}
			if got := hex.EncodeToString(pkt[22:38]); got != v.sample {
				t.Errorf("sample = %s, want %s", got, v.sample)
			}
			if got := hex.EncodeToString(pkt[len(pkt)-16:]); got != v.tag {
				t.Errorf("tag = %s, want %s", got, v.tag)
			}

			h, a := ParseLongHeader(pkt)
			if a != "" {
				t.Fatalf("ParseLongHeader: %s", a)
			}
			if h.Version != v.version || h.Type != TypeInitial || hex.EncodeToString(h.DCID) != rfcDCID || len(h.SCID) != 0 || h.Size != 1200 {
				t.Fatalf("header = %+v", h)
			}
			k, _ := InitialKeys(v.version, h.DCID, false)
			o, ok := OpenInitial(k, &h, pkt, -1, nil)
			if !ok {
				t.Fatal("OpenInitial failed")
			}
			if o.PN != 2 {
				t.Errorf("packet number = %d, want 2", o.PN)
			}
			if got := hex.EncodeToString(o.Header); got != v.header {
				t.Errorf("unprotected header = %s, want %s", got, v.header)
			}
			frame := unhex(t, rfcCryptoFrame)
			if !bytes.Equal(o.Payload[:len(frame)], frame) {
				t.Errorf("decrypted CRYPTO frame differs")
			}
			var f Frames
			if a := ParseFrames(o.Payload, &f); a != "" {
				t.Fatalf("ParseFrames: %s", a)
			}
			if len(f.Crypto) != 1 || f.Crypto[0].Offset != 0 || len(f.Crypto[0].Data) != 241 || f.Padding != 1162-len(frame) {
				t.Fatalf("frames = %d crypto, padding %d", len(f.Crypto), f.Padding)
			}
			ch, more, a := ParseClientHello(f.Crypto[0].Data)
			if a != "" || more {
				t.Fatalf("ParseClientHello: more=%v anomaly=%q", more, a)
			}
			if ch.SNI != "example.com" || len(ch.ALPN) != 1 || ch.ALPN[0] != "alpn" || len(ch.Versions) != 1 || ch.Versions[0] != 0x0304 {
				t.Errorf("ClientHello = %+v", ch)
			}
			// A flipped ciphertext bit must fail authentication.
			bad := append([]byte(nil), pkt...)
			bad[100] ^= 1
			if _, ok := OpenInitial(k, &h, bad, -1, nil); ok {
				t.Error("tampered packet authenticated")
			}
		})
	}
}

// TestServerInitialVector removes protection from the Appendix A.3 server
// Initial (packet number 1: an ACK and the ServerHello in CRYPTO).
func TestServerInitialVector(t *testing.T) {
	for _, v := range vectors {
		t.Run(v.name, func(t *testing.T) {
			pkt := unhex(t, v.serverPacket)
			h, a := ParseLongHeader(pkt)
			if a != "" || h.Type != TypeInitial || h.Size != len(pkt) {
				t.Fatalf("header %+v anomaly %q", h, a)
			}
			k, _ := InitialKeys(v.version, unhex(t, rfcDCID), true)
			o, ok := OpenInitial(k, &h, pkt, -1, nil)
			if !ok {
				t.Fatal("OpenInitial failed")
			}
			if o.PN != 1 {
				t.Errorf("packet number = %d, want 1", o.PN)
			}
			var f Frames
			if a := ParseFrames(o.Payload, &f); a != "" {
				t.Fatalf("ParseFrames: %s", a)
			}
			if f.Acks != 1 || len(f.Crypto) != 1 || f.Crypto[0].Data[0] != 2 {
				t.Errorf("frames: acks %d, crypto %d", f.Acks, len(f.Crypto))
			}
		})
	}
}

// TestDecodePN follows RFC 9000 Appendix A.3's example.
func TestDecodePN(t *testing.T) {
	cases := []struct {
		name      string
		largest   int64
		truncated uint64
		n         int
		want      uint64
	}{
		{"rfc_example", 0xa82f30ea, 0x9b32, 2, 0xa82f9b32},
		{"first_packet", -1, 0, 1, 0},
		{"small", 3, 4, 4, 4},
		{"wrap_forward", 0xfe, 0x01, 1, 0x101},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := DecodePN(c.largest, c.truncated, c.n); got != c.want {
				t.Errorf("DecodePN = %#x, want %#x", got, c.want)
			}
		})
	}
}

func TestVersionName(t *testing.T) {
	cases := []struct {
		v    uint32
		want string
	}{
		{Version1, "1"}, {Version2, "2"}, {0, "negotiation"}, {0x1a2a3a4a, "grease"},
		{0xff00001d, "draft-29"}, {0x10010000, "unknown-10010000"},
	}
	for _, c := range cases {
		t.Run(c.want, func(t *testing.T) {
			if got := VersionName(c.v); got != c.want {
				t.Errorf("VersionName(%#x) = %q, want %q", c.v, got, c.want)
			}
		})
	}
}
