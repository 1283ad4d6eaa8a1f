package capture

// RawRecord is one capture record as read from the input, not decoded.
//
// Ownership: Data aliases the reader's buffer and is valid only until the
// next call to NextRaw.
type RawRecord struct {
	// Index is the record's 1-based ordinal, the same as Packet.Index of
	// the packet decoded from it.
	Index uint64
	// Time is the capture timestamp in nanoseconds since the epoch.
	Time int64
	// WireLen is the frame length on the wire (len(Data) is the captured
	// length).
	WireLen int
	// LinkType is the record's link-layer type (LINKTYPE_* number).
	LinkType uint16
	// Source is the index of the input the record came from.
	Source int
	// Data is the captured frame.
	Data []byte
}

// RawReader yields every record of its input unchanged, in the same merged
// order and with the same ordinals as Source.Next. The Sources returned by
// OpenFiles and OpenReader implement it; a Source must be read either with
// Next or with NextRaw, not both.
type RawReader interface {
	// NextRaw returns the next record, or io.EOF at the end of the input
	// (also when the last file ends inside a record).
	NextRaw() (RawRecord, error)
}

// NextRaw implements RawReader.
func (s *fileSource) NextRaw() (RawRecord, error) {
	if s.err != nil {
		return RawRecord{}, s.err
	}
	in, rec, err := s.nextRecord()
	if err != nil {
		s.err = err
		return RawRecord{}, err
	}
	s.index++
	return RawRecord{
		Index:    s.index,
		Time:     rec.ts,
		WireLen:  rec.wire,
		LinkType: uint16(rec.link),
		Source:   in.idx,
		Data:     rec.data,
	}, nil
}

var _ RawReader = (*fileSource)(nil)
