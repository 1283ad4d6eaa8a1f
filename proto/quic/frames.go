package quic

// Frame types allowed in Initial packets (RFC 9000 §12.4, Table 3).
const (
	framePadding         = 0x00
	framePing            = 0x01
	frameAck             = 0x02
	frameAckECN          = 0x03
	frameCrypto          = 0x06
	frameConnectionClose = 0x1c
)

// CryptoFrame is one CRYPTO frame: Data (aliasing the payload) belongs at
// Offset of the handshake byte stream.
type CryptoFrame struct {
	Offset uint64
	Data   []byte
}

// Frames is what an Initial packet's payload held.
type Frames struct {
	Crypto []CryptoFrame
	// Padding counts PADDING bytes; Pings, Acks count those frames.
	Padding, Pings, Acks int
	// Close is true when a CONNECTION_CLOSE frame was present; CloseCode
	// is its error code.
	Close     bool
	CloseCode uint64
}

// ParseFrames walks the frames of a decrypted Initial or Handshake payload
// (RFC 9000 §19): PADDING, PING, ACK, CRYPTO and CONNECTION_CLOSE. Parsing
// stops at the first frame that is malformed or not allowed there; anomaly
// then names the problem and the frames before it are returned.
func ParseFrames(p []byte, f *Frames) (anomaly string) {
	*f = Frames{Crypto: f.Crypto[:0]}
	for i := 0; i < len(p); {
		t, n := ReadVarint(p[i:])
		if n == 0 {
			return AnomalyBadFrame
		}
		i += n
		switch t {
		case framePadding:
			f.Padding++
			for i < len(p) && p[i] == 0 {
				i++
				f.Padding++
			}
		case framePing:
			f.Pings++
		case frameAck, frameAckECN:
			// Largest Acknowledged, ACK Delay, ACK Range Count, First ACK
			// Range, then Range Count (Gap, Length) pairs, then three ECN
			// counts for type 0x03 (§19.3).
			var vals [4]uint64
			for j := range vals {
				v, m := ReadVarint(p[i:])
				if m == 0 {
					return AnomalyBadFrame
				}
				vals[j] = v
				i += m
			}
			more := vals[2] * 2
			if t == frameAckECN {
				more += 3
			}
			if more > uint64(len(p)-i) {
				return AnomalyBadFrame
			}
			for j := uint64(0); j < more; j++ {
				_, m := ReadVarint(p[i:])
				if m == 0 {
					return AnomalyBadFrame
				}
				i += m
			}
			f.Acks++
		case frameCrypto:
			off, m := ReadVarint(p[i:])
			if m == 0 {
				return AnomalyBadFrame
			}
			i += m
			ln, m := ReadVarint(p[i:])
			if m == 0 || ln > uint64(len(p)-i-m) {
				return AnomalyBadFrame
			}
			i += m
			f.Crypto = append(f.Crypto, CryptoFrame{Offset: off, Data: p[i : i+int(ln)]})
			i += int(ln)
		case frameConnectionClose:
			code, m := ReadVarint(p[i:])
			if m == 0 {
				return AnomalyBadFrame
			}
			i += m
			if _, m = ReadVarint(p[i:]); m == 0 { // frame type
				return AnomalyBadFrame
			}
			i += m
			rl, m := ReadVarint(p[i:])
			if m == 0 || rl > uint64(len(p)-i-m) {
				return AnomalyBadFrame
			}
			i += m + int(rl)
			f.Close, f.CloseCode = true, code
		default:
			return AnomalyBadFrame
		}
	}
	return ""
}
