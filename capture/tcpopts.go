package capture

import "encoding/binary"

// TCP option kinds (RFC 9293 §3.2, RFC 7323, RFC 2018).
const (
	optEnd           = 0
	optNOP           = 1
	optMSS           = 2 // RFC 9293 §3.2, length 4
	optWScale        = 3 // RFC 7323 §2.2, length 3
	optSACKPermitted = 4 // RFC 2018 §2, length 2
	optSACK          = 5 // RFC 2018 §3, length 2+8n
	optTimestamps    = 8 // RFC 7323 §3.2, length 10
)

// parseTCPOptions decodes the options area b of a TCP header into o. It
// returns false when an option has an impossible length (RFC 9293 §3.2: the
// length octet counts kind and length, so it is at least 2 and cannot run
// past the header); the options before it are kept. Options of a known kind
// with the wrong length are ignored, as receivers do.
func parseTCPOptions(b []byte, o *TCPOptions) bool {
	*o = TCPOptions{}
	for len(b) > 0 {
		kind := b[0]
		switch kind {
		case optEnd:
			return true
		case optNOP:
			b = b[1:]
			continue
		}
		if len(b) < 2 {
			return false
		}
		n := int(b[1])
		if n < 2 || n > len(b) {
			return false
		}
		v := b[2:n]
		switch kind {
		case optMSS:
			if len(v) == 2 {
				o.MSS = binary.BigEndian.Uint16(v)
				o.HasMSS = true
			}
		case optWScale:
			if len(v) == 1 {
				o.WScale = v[0]
				o.HasWScale = true
			}
		case optSACKPermitted:
			if len(v) == 0 {
				o.SACKPermitted = true
			}
		case optSACK:
			if len(v) > 0 && len(v)%8 == 0 {
				o.NumSACK = 0
				for i := 0; i+8 <= len(v) && int(o.NumSACK) < MaxSACKBlocks; i += 8 {
					o.SACK[o.NumSACK] = SACKBlock{
						Left:  binary.BigEndian.Uint32(v[i:]),
						Right: binary.BigEndian.Uint32(v[i+4:]),
					}
					o.NumSACK++
				}
			}
		case optTimestamps:
			if len(v) == 8 {
				o.TSval = binary.BigEndian.Uint32(v[0:4])
				o.TSecr = binary.BigEndian.Uint32(v[4:8])
				o.HasTimestamps = true
			}
		}
		b = b[n:]
	}
	return true
}
