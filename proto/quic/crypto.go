package quic

import "sort"

// MaxCrypto caps the CRYPTO bytes kept per connection while waiting for a
// complete ClientHello (post-quantum key shares make it 1.5–2 KiB; 16 KiB
// leaves room for large extensions, golang/go#70047).
const MaxCrypto = 16 << 10

// CryptoStream reassembles the client's Initial CRYPTO stream from frames
// that may arrive split over several packets, out of order and repeated
// (Chrome scrambles offsets on purpose). Bytes past MaxCrypto are dropped.
type CryptoStream struct {
	buf []byte
	// spans are the received [start, end) ranges, sorted and merged.
	spans [][2]int
	// Overflow is true when data past MaxCrypto was dropped.
	Overflow bool
}

// Add copies a frame's data into the stream.
func (s *CryptoStream) Add(off uint64, data []byte) {
	if len(data) == 0 {
		return
	}
	if off >= MaxCrypto {
		s.Overflow = true
		return
	}
	end := off + uint64(len(data))
	if end > MaxCrypto {
		s.Overflow = true
		end = MaxCrypto
		data = data[:end-off]
	}
	if int(end) > len(s.buf) {
		if int(end) > cap(s.buf) {
			nb := make([]byte, int(end), max(int(end), 2*cap(s.buf)))
			copy(nb, s.buf)
			s.buf = nb
		}
		s.buf = s.buf[:end]
	}
	copy(s.buf[off:end], data)
	s.spans = append(s.spans, [2]int{int(off), int(end)})
	sort.Slice(s.spans, func(i, j int) bool { return s.spans[i][0] < s.spans[j][0] })
	merged := s.spans[:1]
	for _, sp := range s.spans[1:] {
		last := &merged[len(merged)-1]
		if sp[0] <= last[1] {
			if sp[1] > last[1] {
				last[1] = sp[1]
			}
			continue
		}
		merged = append(merged, sp)
	}
	s.spans = merged
}

// Contiguous returns the bytes received without a hole from offset 0.
func (s *CryptoStream) Contiguous() []byte {
	if len(s.spans) == 0 || s.spans[0][0] != 0 {
		return nil
	}
	return s.buf[:s.spans[0][1]]
}

// Holes reports whether bytes are missing between received ranges.
func (s *CryptoStream) Holes() bool {
	return len(s.spans) > 1 || (len(s.spans) == 1 && s.spans[0][0] != 0)
}

// Reset drops the buffered data.
func (s *CryptoStream) Reset() { s.buf, s.spans = nil, nil }
