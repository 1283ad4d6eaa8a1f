package quic

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
)

// Initial salts (RFC 9001 §5.2, RFC 9369 §3.3.1, draft-ietf-quic-tls-23 and -29).
var (
	saltV1      = []byte{0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a}
	saltV2      = []byte{0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9}
	saltDraft23 = []byte{0xc3, 0xee, 0xf7, 0x12, 0xc7, 0x2e, 0xbb, 0x5a, 0x11, 0xa7, 0xd2, 0x43, 0x2b, 0xb4, 0x63, 0x65, 0xbe, 0xf9, 0xf5, 0x02}
	saltDraft29 = []byte{0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97, 0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0, 0x43, 0x90, 0xa8, 0x99}
)

func initialSalt(v uint32) ([]byte, bool) {
	switch {
	case v == Version1:
		return saltV1, true
	case v == Version2:
		return saltV2, true
	case v >= versionDraft29 && v <= versionDraft29+3:
		return saltDraft29, true
	case v >= versionDraft29-6 && v < versionDraft29:
		return saltDraft23, true
	}
	return nil, false
}

// Keys are the packet protection keys of one direction of the Initial
// space: AEAD_AES_128_GCM key and IV, and the header protection key.
type Keys struct {
	Secret [32]byte
	Key    [16]byte
	IV     [12]byte
	HP     [16]byte
	aead   cipher.AEAD
	hp     cipher.Block
}

// expandLabel is HKDF-Expand-Label of TLS 1.3 (RFC 8446 §7.1) with an empty
// context.
func expandLabel(secret []byte, label string, n int) []byte {
	full := "tls13 " + label
	info := make([]byte, 0, 4+len(full))
	info = binary.BigEndian.AppendUint16(info, uint16(n))
	info = append(info, byte(len(full)))
	info = append(info, full...)
	info = append(info, 0)
	out, err := hkdf.Expand(sha256.New, secret, string(info), n)
	if err != nil {
		// Unreachable: n is at most 32 bytes of SHA-256 output; a zero
		// key simply fails to authenticate.
		return make([]byte, n)
	}
	return out
}

// InitialKeys derives the Initial keys of version v for the client
// (server false) or the server from the Destination Connection ID of the
// client's first Initial packet (RFC 9001 §5.2; QUIC v2 uses its own salt
// and "quicv2 " labels, RFC 9369 §3.3). ok is false for versions without
// known Initial keys.
func InitialKeys(v uint32, dcid []byte, server bool) (k *Keys, ok bool) {
	salt, ok := initialSalt(v)
	if !ok {
		return nil, false
	}
	initial, err := hkdf.Extract(sha256.New, dcid, salt)
	if err != nil {
		return nil, false
	}
	label := "client in"
	if server {
		label = "server in"
	}
	prefix := "quic "
	if v == Version2 {
		prefix = "quicv2 "
	}
	k = &Keys{}
	copy(k.Secret[:], expandLabel(initial, label, 32))
	copy(k.Key[:], expandLabel(k.Secret[:], prefix+"key", 16))
	copy(k.IV[:], expandLabel(k.Secret[:], prefix+"iv", 12))
	copy(k.HP[:], expandLabel(k.Secret[:], prefix+"hp", 16))
	block, err := aes.NewCipher(k.Key[:])
	if err != nil {
		return nil, false
	}
	if k.aead, err = cipher.NewGCM(block); err != nil {
		return nil, false
	}
	if k.hp, err = aes.NewCipher(k.HP[:]); err != nil {
		return nil, false
	}
	return k, true
}

// Mask returns the header protection mask for a 16-byte sample
// (RFC 9001 §5.4.3: AES-ECB of the sample).
func (k *Keys) Mask(sample []byte) [5]byte {
	var blk [16]byte
	k.hp.Encrypt(blk[:], sample[:16])
	var m [5]byte
	copy(m[:], blk[:5])
	return m
}

func (k *Keys) nonce(pn uint64) []byte {
	n := make([]byte, 12)
	copy(n, k.IV[:])
	for i := 0; i < 8; i++ {
		n[11-i] ^= byte(pn >> (8 * i))
	}
	return n
}

// Opened is an Initial (or other long-header) packet with its protection
// removed.
type Opened struct {
	// PN is the full packet number; Payload the decrypted frames.
	PN      uint64
	Payload []byte
	// Header is the unprotected header bytes (the AEAD's associated data).
	Header []byte
}

// DecodePN expands a truncated packet number of n bytes given the largest
// packet number received so far in the space, -1 for none (RFC 9000
// Appendix A.3).
func DecodePN(largest int64, truncated uint64, n int) uint64 {
	expected := uint64(largest + 1)
	win := uint64(1) << (8 * n)
	hwin := win / 2
	mask := win - 1
	cand := (expected &^ mask) | truncated
	switch {
	case cand+hwin <= expected && cand < (1<<62)-win:
		return cand + win
	case cand > expected+hwin && cand >= win:
		return cand - win
	}
	return cand
}

// OpenInitial removes header protection (RFC 9001 §5.4) and decrypts the
// payload (§5.3) of the long-header packet h at the start of p with keys k.
// largest is the largest packet number already received in this space (-1
// for none). p is not modified; the result is written into buf (grown as
// needed) and aliases it. ok is false when the packet is too short or does
// not authenticate.
func OpenInitial(k *Keys, h *LongHeader, p []byte, largest int64, buf []byte) (o Opened, ok bool) {
	if h.PNOffset == 0 || h.Size > len(p) || h.Length < 4+16 {
		return o, false
	}
	sampleAt := h.PNOffset + 4
	if sampleAt+16 > h.Size {
		return o, false
	}
	mask := k.Mask(p[sampleAt : sampleAt+16])
	first := p[0] ^ (mask[0] & 0x0f)
	pnLen := int(first&3) + 1
	hdrLen := h.PNOffset + pnLen
	if cap(buf) < h.Size {
		buf = make([]byte, h.Size)
	}
	buf = buf[:h.Size]
	copy(buf, p[:h.Size])
	buf[0] = first
	var tpn uint64
	for i := 0; i < pnLen; i++ {
		buf[h.PNOffset+i] ^= mask[1+i]
		tpn = tpn<<8 | uint64(buf[h.PNOffset+i])
	}
	pn := DecodePN(largest, tpn, pnLen)
	hdr := buf[:hdrLen]
	plain, err := k.aead.Open(buf[hdrLen:hdrLen], k.nonce(pn), buf[hdrLen:h.Size], hdr)
	if err != nil {
		return o, false
	}
	return Opened{PN: pn, Payload: plain, Header: hdr}, true
}

// SealInitial protects an Initial packet: hdr is the unprotected header
// ending with a pnLen-byte packet number pn, payload the frames. It is the
// inverse of OpenInitial, used to build test packets (RFC 9001 §5.3, §5.4).
func SealInitial(k *Keys, hdr []byte, pn uint64, payload []byte) []byte {
	pnLen := int(hdr[0]&3) + 1
	pnOff := len(hdr) - pnLen
	out := append([]byte(nil), hdr...)
	out = k.aead.Seal(out, k.nonce(pn), payload, hdr)
	mask := k.Mask(out[pnOff+4 : pnOff+20])
	if out[0]&0x80 != 0 {
		out[0] ^= mask[0] & 0x0f
	} else {
		out[0] ^= mask[0] & 0x1f
	}
	for i := 0; i < pnLen; i++ {
		out[pnOff+i] ^= mask[1+i]
	}
	return out
}
