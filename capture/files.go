package capture

import (
	"errors"
	"io"
	"slices"

	"github.com/gopacket/gopacket/layers"
)

// fileSource is the Source over one or more capture files.
type fileSource struct {
	inputs []*input
	names  []string

	// heap orders the inputs that still have a current record by
	// (timestamp, argument position); used when there are several inputs.
	heap []*input
	// pending is the input whose record Next returned last; it is refilled
	// at the start of the following Next (its buffer is still in use until
	// then).
	pending *input

	dec   decoder
	pkt   Packet
	index uint64
	err   error // sticky error

	stats     Stats
	anomalies map[string]uint64
	links     []layers.LinkType
	formats   []string
	filter    *frameFilter // Options.Filter; nil keeps every record
}

func newFileSource() *fileSource {
	s := &fileSource{anomalies: make(map[string]uint64)}
	s.dec.init()
	return s
}

func (s *fileSource) add(in *input, name string) {
	s.inputs = append(s.inputs, in)
	s.names = append(s.names, name)
	if !slices.Contains(s.formats, in.format) {
		s.formats = append(s.formats, in.format)
	}
	if in.pcap != nil {
		s.seeLink(in.link)
	}
}

// start reads the first record of every input when merging.
func (s *fileSource) start() error {
	if len(s.inputs) == 1 {
		return nil
	}
	for _, in := range s.inputs {
		if err := s.fillInput(in); err != nil {
			return err
		}
		if !in.done {
			s.heap = append(s.heap, in)
		}
	}
	for i := len(s.heap)/2 - 1; i >= 0; i-- {
		s.down(i)
	}
	return nil
}

// fillInput reads the next record of in into its buffer, marking it done at
// its end.
func (s *fileSource) fillInput(in *input) error {
	err := in.fill()
	switch {
	case err == nil:
		return nil
	case err == io.EOF:
		in.done = true
		return nil
	case errors.Is(err, errTruncated):
		s.anomalies[AnomalyCaptureTruncatedFile]++
		in.done = true
		return nil
	default:
		return err
	}
}

// nextRecord returns the next record in merged order, or io.EOF.
func (s *fileSource) nextRecord() (*input, record, error) {
	if len(s.inputs) == 1 {
		in := s.inputs[0]
		if in.done {
			return nil, record{}, io.EOF
		}
		rec, err := in.read()
		switch {
		case err == nil:
			return in, rec, nil
		case err == io.EOF:
			in.done = true
		case errors.Is(err, errTruncated):
			s.anomalies[AnomalyCaptureTruncatedFile]++
			in.done = true
			err = io.EOF
		}
		return nil, record{}, err
	}
	if in := s.pending; in != nil {
		s.pending = nil
		if err := s.fillInput(in); err != nil {
			return nil, record{}, err
		}
		if in.done {
			last := len(s.heap) - 1
			s.heap[0] = s.heap[last]
			s.heap[last] = nil
			s.heap = s.heap[:last]
		}
		if len(s.heap) > 0 {
			s.down(0)
		}
	}
	if len(s.heap) == 0 {
		return nil, record{}, io.EOF
	}
	in := s.heap[0]
	s.pending = in
	return in, in.rec, nil
}

// less orders inputs by current timestamp, then by argument position.
func less(a, b *input) bool {
	if a.rec.ts != b.rec.ts {
		return a.rec.ts < b.rec.ts
	}
	return a.idx < b.idx
}

// down restores the heap property below position i.
func (s *fileSource) down(i int) {
	h := s.heap
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && less(h[r], h[l]) {
			m = r
		}
		if !less(h[m], h[i]) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

// Next implements Source.
func (s *fileSource) Next() (*Packet, error) {
	if s.err != nil {
		return nil, s.err
	}
	for {
		in, rec, err := s.nextRecord()
		if err != nil {
			s.err = err
			return nil, err
		}
		s.index++
		st := &s.stats
		st.Packets++
		st.Bytes += uint64(rec.wire)
		if st.Packets == 1 || rec.ts < st.First {
			st.First = rec.ts
		}
		if st.Packets == 1 || rec.ts > st.Last {
			st.Last = rec.ts
		}
		if in.ng != nil {
			s.seeLink(rec.link)
		}
		if rec.noTS {
			s.anomalies[AnomalyCaptureNoTimestamp]++
		}
		if !s.filterKeep(in, rec) {
			if s.err != nil {
				return nil, s.err
			}
			continue
		}
		p := &s.pkt
		*p = Packet{
			Index:   s.index,
			Time:    timeOf(rec.ts),
			WireLen: rec.wire,
			CapLen:  len(rec.data),
			Source:  in.idx,
		}
		if s.decode(p, rec.data, rec.link) {
			st.Decoded++
			if a := in.pcapArena(); a != nil {
				a.use()
			}
			return p, nil
		}
	}
}

// arena starts zero-copy reading (see arena) when the source is one
// classic pcap file, and returns its arena; nil otherwise (pcapng is read
// by pcapgo, and several inputs copy each record to merge them). A
// packet's payload is a part of its record.
func (s *fileSource) arena() *arena {
	if len(s.inputs) != 1 || s.inputs[0].pcap == nil {
		return nil
	}
	return s.inputs[0].pcap.startArena()
}

// pcapArena returns the arena of in's pcap reader, if it reads into one.
func (in *input) pcapArena() *arena {
	if in.pcap == nil {
		return nil
	}
	return in.pcap.arena
}

// seeLink records a link type in the distinct list.
func (s *fileSource) seeLink(lt layers.LinkType) {
	if !slices.Contains(s.links, lt) {
		s.links = append(s.links, lt)
	}
}

// Stats implements Source. The returned value shares nothing with the
// Source.
func (s *fileSource) Stats() Stats {
	st := s.stats
	st.Sources = slices.Clone(s.names)
	st.Formats = slices.Clone(s.formats)
	slices.Sort(st.Formats)
	st.LinkTypes = make([]string, 0, len(s.links))
	for _, lt := range s.links {
		name := LinkTypeName(lt)
		if !slices.Contains(st.LinkTypes, name) {
			st.LinkTypes = append(st.LinkTypes, name)
		}
	}
	slices.Sort(st.LinkTypes)
	st.Anomalies = make(map[string]uint64, len(s.anomalies))
	for k, v := range s.anomalies {
		if v != 0 {
			st.Anomalies[k] = v
		}
	}
	for _, in := range s.inputs {
		st.Interfaces += in.totalInterfaces()
	}
	return st
}

// Close implements Source: it closes every input and returns the first
// error.
func (s *fileSource) Close() error {
	var err error
	for _, in := range s.inputs {
		if e := in.close(); err == nil {
			err = e
		}
	}
	if s.err == nil {
		s.err = errors.New("capture: source closed")
	}
	return err
}
