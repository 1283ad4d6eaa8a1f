package analysis

// PortSet is a set of port numbers: a bitmap in pages of 4096 ports,
// allocated as they are first used (a set of a few ports costs a page or
// two, one that cycles through the ephemeral range about 3.5 KiB) and
// counted as it fills. The zero value is empty and ready.
type PortSet struct {
	pages [16]*[64]uint64
	n     int
}

// Add puts port in the set.
func (s *PortSet) Add(port uint16) {
	pg := s.pages[port>>12]
	if pg == nil {
		pg = new([64]uint64)
		s.pages[port>>12] = pg
	}
	w, b := &pg[port>>6&63], uint64(1)<<(port&63)
	if *w&b == 0 {
		*w |= b
		s.n++
	}
}

// Len returns the number of distinct ports in the set.
func (s *PortSet) Len() int { return s.n }
