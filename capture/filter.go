package capture

import (
	"fmt"
	"io"

	"github.com/gopacket/gopacket/layers"
)

// FilterFunc returns the frame filter for frames of one link type
// (LINKTYPE_* number): match reports whether a raw frame, starting at its
// link-layer header, is kept. An error means the filter cannot be applied
// to that link type; the Source then fails with it. connscope/filter
// provides FilterFuncs (Expr.ForLinkType, Program.ForLinkType).
type FilterFunc func(linkType uint16) (match func(frame []byte) bool, err error)

// frameFilter applies Options.Filter, asking it once per link type.
type frameFilter struct {
	get   FilterFunc
	links []layers.LinkType
	match []func(frame []byte) bool
}

func newFrameFilter(get FilterFunc) *frameFilter {
	if get == nil {
		return nil
	}
	return &frameFilter{get: get}
}

// forLink returns the matcher of link type lt, building it on first use.
func (f *frameFilter) forLink(lt layers.LinkType) (func([]byte) bool, error) {
	for i, l := range f.links {
		if l == lt {
			return f.match[i], nil
		}
	}
	m, err := f.get(uint16(lt))
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, fmt.Errorf("filter returned no matcher for link type %s", LinkTypeName(lt))
	}
	f.links = append(f.links, lt)
	f.match = append(f.match, m)
	return m, nil
}

// checkFilter prepares the filter for the link types an input declares at
// open: the pcap file's link type, or the pcapng interfaces read so far
// (interfaces described later are checked when their first record comes).
func (s *fileSource) checkFilter(in *input) error {
	if s.filter == nil {
		return nil
	}
	if in.pcap != nil {
		_, err := s.filter.forLink(in.link)
		return err
	}
	if in.ng != nil {
		for i := 0; i < in.ng.NInterfaces(); i++ {
			ifc, err := in.ng.Interface(i)
			if err != nil {
				continue
			}
			if _, err := s.filter.forLink(ifc.LinkType); err != nil {
				return err
			}
		}
	}
	return nil
}

// filterKeep reports whether Next keeps rec. A rejected record counts in
// Stats.Filtered. A link type the filter cannot handle sets the sticky
// error and returns false.
func (s *fileSource) filterKeep(in *input, rec record) bool {
	if s.filter == nil {
		return true
	}
	m, err := s.filter.forLink(rec.link)
	if err != nil {
		s.err = fmt.Errorf("capture: read %q: %w", in.path, err)
		return false
	}
	if m(rec.data) {
		return true
	}
	s.stats.Filtered++
	return false
}

// OpenReaderOptions is OpenReader with options (Stdin is unused).
func OpenReaderOptions(name string, r io.Reader, opts Options) (Source, error) {
	closer, _ := r.(io.Closer)
	s := newFileSource()
	s.filter = newFrameFilter(opts.Filter)
	in, err := openInput(0, name, r, closer)
	if err != nil {
		if closer != nil {
			closer.Close()
		}
		return nil, err
	}
	s.add(in, name)
	if err := s.openFilter(in); err != nil {
		return nil, err
	}
	if err := s.start(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// openFilter runs checkFilter for a just-added input; on error it closes
// the Source and returns an error naming the input.
func (s *fileSource) openFilter(in *input) error {
	if err := s.checkFilter(in); err != nil {
		s.Close()
		return fmt.Errorf("capture: open %q: %w", in.path, err)
	}
	return nil
}
