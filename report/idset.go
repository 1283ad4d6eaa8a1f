package report

// idSet is a set of connection ids kept as one bit per id from the lowest
// id not in it: every id below base is in the set. Ids are handed out in
// capture order from 1, and a live run streams connections as they close,
// so the ids below the oldest connection still open are all in and take no
// memory; a map would keep every id streamed until the end of the capture.
type idSet struct {
	base uint64   // every id from 1 to base-1 is in the set; 1 + a multiple of 64
	bits []uint64 // bits[off+w] bit i: id base+64w+i
	off  int      // words before off are spent (all their ids are in)
	zero bool     // id 0 (not a connection id) is in the set
}

// add puts id in the set.
func (s *idSet) add(id uint32) {
	if id == 0 {
		s.zero = true
		return
	}
	if s.base == 0 {
		s.base = 1
	}
	if uint64(id) < s.base {
		return
	}
	w := s.off + int((uint64(id)-s.base)/64)
	if w >= len(s.bits) {
		s.bits = append(s.bits, make([]uint64, w+1-len(s.bits))...)
	}
	s.bits[w] |= 1 << ((uint64(id) - s.base) % 64)
	// Words whose ids are all in move below base.
	for s.off < len(s.bits) && s.bits[s.off] == ^uint64(0) {
		s.bits[s.off] = 0
		s.off++
		s.base += 64
	}
	if s.off == len(s.bits) {
		s.bits, s.off = s.bits[:0], 0
	} else if s.off >= 64 && s.off > len(s.bits)/2 {
		n := copy(s.bits, s.bits[s.off:])
		s.bits, s.off = s.bits[:n], 0
	}
}

// has reports whether id is in the set.
func (s *idSet) has(id uint32) bool {
	if id == 0 {
		return s.zero
	}
	if uint64(id) < s.base {
		return true
	}
	if s.base == 0 {
		return false
	}
	w := s.off + int((uint64(id)-s.base)/64)
	return w < len(s.bits) && s.bits[w]&(1<<((uint64(id)-s.base)%64)) != 0
}
