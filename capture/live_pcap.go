//go:build libpcap

package capture

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcap"
	"golang.org/x/net/bpf"
)

// This file is the optional libpcap backend of live capture, built with
// -tags libpcap (cgo and the libpcap headers required). It replaces the
// pure-Go AF_PACKET backend of live_linux.go and brings live capture to
// every platform libpcap supports. libpcap itself drops the duplicate
// outgoing copy of loopback packets on Linux, picks the link type (Linux
// "any" is cooked SLL or SLL2) and keeps the kernel drop counters.

// LiveLinkType returns the link type libpcap reports for iface, for which
// a Filter must be compiled.
func LiveLinkType(iface string) (layers.LinkType, error) {
	h, err := activate(iface, LiveOptions{}.withDefaults())
	if err != nil {
		return 0, liveOpenError(iface, err)
	}
	defer h.Close()
	return h.LinkType(), nil
}

// OpenLive starts capturing on the network interface iface through
// libpcap and returns a Source whose packets are decoded like those of
// files. opts.Filter is attached in the kernel (as libpcap attaches
// compiled filters); opts.Socket is ignored. Next returns ErrTimeout when
// no packet arrived within opts.ReadTimeout; Stats.Dropped is libpcap's
// count of packets dropped by the kernel and the interface. Without the
// privilege to capture, the error says so in one line.
func OpenLive(iface string, opts LiveOptions) (Source, error) {
	opts = opts.withDefaults()
	if opts.FanoutGroup != 0 {
		return nil, liveOpenError(iface, errors.New("fanout groups need the AF_PACKET backend (a build without -tags libpcap)"))
	}
	h, err := activate(iface, opts)
	if err != nil {
		return nil, liveOpenError(iface, err)
	}
	if opts.Filter != nil {
		if err := h.SetBPFInstructionFilter(pcapProgram(opts.Filter)); err != nil {
			h.Close()
			return nil, liveOpenError(iface, fmt.Errorf("attach filter: %w", err))
		}
	}
	return &pcapSource{liveFrames: newLiveFrames(iface, opts, h.LinkType()), h: h}, nil
}

// activate opens and activates a libpcap handle with opts.
func activate(iface string, opts LiveOptions) (*pcap.Handle, error) {
	in, err := pcap.NewInactiveHandle(iface)
	if err != nil {
		return nil, pcapError(err)
	}
	defer in.CleanUp()
	for _, set := range []error{
		in.SetSnapLen(opts.Snaplen),
		in.SetPromisc(opts.Promiscuous),
		in.SetTimeout(opts.ReadTimeout),
		in.SetBufferSize(opts.BufferSize),
	} {
		if set != nil {
			return nil, pcapError(set)
		}
	}
	h, err := in.Activate()
	if err != nil {
		return nil, pcapError(err)
	}
	return h, nil
}

// pcapError maps libpcap's texts for a missing privilege or interface to
// the errors the rest of connscope recognises.
func pcapError(err error) error {
	msg := strings.ToLower(err.Error())
	switch {
	case strings.Contains(msg, "permission") || strings.Contains(msg, "not permitted"):
		return fmt.Errorf("%w: %v", fs.ErrPermission, err)
	case strings.Contains(msg, "no such device") || strings.Contains(msg, "doesn't exist"):
		return errNoInterface
	}
	return err
}

func pcapProgram(prog []bpf.RawInstruction) []pcap.BPFInstruction {
	out := make([]pcap.BPFInstruction, len(prog))
	for i, ins := range prog {
		out[i] = pcap.BPFInstruction{Code: ins.Op, Jt: ins.Jt, Jf: ins.Jf, K: ins.K}
	}
	return out
}

// pcapSource is the Source over a libpcap handle.
type pcapSource struct {
	liveFrames
	h       *pcap.Handle
	dropped uint64
}

// Next implements Source.
func (s *pcapSource) Next() (*Packet, error) { return s.next(s) }

func (s *pcapSource) read() ([]byte, gopacket.CaptureInfo, error) {
	if s.h == nil {
		return nil, gopacket.CaptureInfo{}, errors.New("source closed")
	}
	data, ci, err := s.h.ZeroCopyReadPacketData()
	if errors.Is(err, pcap.NextErrorTimeoutExpired) {
		return nil, ci, errReadTimeout
	}
	return data, ci, err
}

func (s *pcapSource) readDrops() {
	if s.h == nil {
		return
	}
	if st, err := s.h.Stats(); err == nil {
		s.dropped = uint64(st.PacketsDropped) + uint64(st.PacketsIfDropped)
	}
}

// Stats implements Source. Dropped is read from libpcap at each call.
func (s *pcapSource) Stats() Stats {
	s.readDrops()
	st := s.fs.Stats()
	st.Sources = []string{s.iface}
	st.Formats = []string{"live"}
	st.Dropped = s.dropped
	st.Interfaces = 1
	return st
}

// Close implements Source. It is safe to call more than once.
func (s *pcapSource) Close() error {
	s.readDrops()
	if s.h != nil {
		s.h.Close()
		s.h = nil
	}
	if s.err == nil {
		s.err = errors.New("capture: source closed")
	}
	return nil
}
