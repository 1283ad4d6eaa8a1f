//go:build !libpcap

package capture

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/afpacket"
	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// Linux ARPHRD_* hardware types (<linux/if_arp.h>) read from
// /sys/class/net/IFACE/type.
const (
	arphrdEther    = 1
	arphrdLoopback = 772
)

// liveBlockSize is the size of one TPACKET_V3 block: larger than any frame
// the kernel hands over (GRO/TSO super-frames reach 64 KiB).
const liveBlockSize = 1 << 20

// liveBlockTimeout is how long the kernel keeps a partly filled block before
// handing it to user space: the latency of a quiet link.
const liveBlockTimeout = 20 * time.Millisecond

// ifaceInfo is what OpenLive needs to know about an interface.
type ifaceInfo struct {
	name     string
	index    int // 0 for "any"
	any      bool
	loopback bool
	ether    bool // frames carry an Ethernet header (Ethernet or loopback)
	loIndex  int  // index of the loopback interface (for "any")
}

func lookupIface(name string) (ifaceInfo, error) {
	if name == "any" {
		info := ifaceInfo{name: name, any: true}
		if ifs, err := net.Interfaces(); err == nil {
			for _, i := range ifs {
				if i.Flags&net.FlagLoopback != 0 {
					info.loIndex = i.Index
					break
				}
			}
		}
		return info, nil
	}
	ifc, err := net.InterfaceByName(name)
	if err != nil {
		return ifaceInfo{}, errNoInterface
	}
	info := ifaceInfo{name: name, index: ifc.Index, loopback: ifc.Flags&net.FlagLoopback != 0}
	hw := -1
	if b, err := os.ReadFile("/sys/class/net/" + name + "/type"); err == nil {
		hw, _ = strconv.Atoi(strings.TrimSpace(string(b)))
	}
	switch {
	case hw == arphrdEther, hw == arphrdLoopback:
		info.ether = true
	case hw < 0:
		// No sysfs: Ethernet-like interfaces have a 6-byte address.
		info.ether = info.loopback || len(ifc.HardwareAddr) == 6
	}
	return info, nil
}

// linkType is the link type of the frames read from the interface: those
// with an Ethernet header are read whole (SOCK_RAW); every other kind, and
// "any", is read from the network header on (SOCK_DGRAM), as raw IP.
func (i ifaceInfo) linkType() layers.LinkType {
	if i.ether {
		return linkEthernet
	}
	return linkRaw
}

func (i ifaceInfo) sockType() int {
	if i.ether {
		return unix.SOCK_RAW
	}
	return unix.SOCK_DGRAM
}

// LiveLinkType returns the link type of the frames OpenLive yields for
// iface, for which a Filter must be compiled: Ethernet (1) for Ethernet and
// loopback interfaces, raw IP (101) for "any" and for interfaces without an
// Ethernet header (tun, WireGuard, PPP...), which are read from the network
// header on.
func LiveLinkType(iface string) (layers.LinkType, error) {
	info, err := lookupIface(iface)
	if err != nil {
		return 0, liveOpenError(iface, err)
	}
	return info.linkType(), nil
}

// OpenLive starts capturing on the network interface iface ("any" for all
// interfaces) and returns a Source whose packets are decoded like those of
// files. Packets are read from a memory-mapped TPACKET_V3 ring (or, when
// opts.Socket is set or the ring cannot be set up, a plain AF_PACKET
// socket) with a kernel filter that drops the duplicate outgoing copy of
// loopback packets and applies opts.Filter and opts.Snaplen.
//
// Next returns ErrTimeout when no packet arrived within opts.ReadTimeout;
// Stats.Dropped counts the packets the kernel dropped because the buffer
// was full. Without CAP_NET_RAW the error says so in one line. The Source
// must be used from one goroutine; Close ends the capture.
func OpenLive(iface string, opts LiveOptions) (Source, error) {
	opts = opts.withDefaults()
	info, err := lookupIface(iface)
	if err != nil {
		return nil, liveOpenError(iface, err)
	}
	prog, err := kernelProgram(opts.Filter, opts.Snaplen, info.loopback, info.any, info.loIndex)
	if err != nil {
		return nil, err
	}
	s := &liveSource{liveFrames: newLiveFrames(iface, opts, info.linkType()), info: info, fd: -1}
	if !opts.Socket {
		err = s.openRing(prog)
	}
	if opts.Socket || (err != nil && !isPermission(err)) {
		err = s.openSocket(prog)
	}
	if err != nil {
		s.Close()
		return nil, liveOpenError(iface, err)
	}
	return s, nil
}

func isPermission(err error) bool {
	return errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES)
}

// liveSource is the Source over a network interface.
type liveSource struct {
	liveFrames
	info ifaceInfo

	ring *afpacket.TPacket
	// ringFrom: ring frames captured before this (ns since the epoch, the
	// kernel's clock) are dropped. The ring is bound to the interface
	// before its filter is attached and before it joins a fanout group,
	// so what it queued until then passed no filter and no fanout split.
	ringFrom int64
	fd       int // plain socket; -1 when the ring is used
	buf      []byte
	oob      []byte
	dropped  uint64 // plain socket: kernel drops so far
}

func (s *liveSource) openRing(prog []bpf.RawInstruction) error {
	ifname := s.iface
	if s.info.any {
		ifname = ""
	}
	nblocks := max(s.opts.BufferSize/liveBlockSize, 2)
	ring, err := afpacket.NewTPacket(
		afpacket.OptInterface(ifname),
		afpacket.OptSocketType(s.info.sockType()),
		afpacket.OptTPacketVersion(afpacket.TPacketVersion3),
		afpacket.OptBlockSize(liveBlockSize),
		afpacket.OptFrameSize(afpacket.DefaultFrameSize),
		afpacket.OptNumBlocks(nblocks),
		afpacket.OptBlockTimeout(liveBlockTimeout),
		afpacket.OptPollTimeout(s.opts.ReadTimeout),
	)
	if err != nil {
		return err
	}
	s.ring = ring
	if err := ring.SetBPF(prog); err != nil {
		return fmt.Errorf("attach filter: %w", err)
	}
	if s.opts.Promiscuous && !s.info.any {
		if err := ring.SetPromiscuous(true); err != nil {
			return fmt.Errorf("set promiscuous mode: %w", err)
		}
	}
	if g := s.opts.FanoutGroup; g != 0 {
		if err := ring.SetFanout(afpacket.FanoutHashWithDefrag, g); err != nil {
			return fanoutError(g, err)
		}
	}
	s.ringFrom = time.Now().UnixNano()
	return nil
}

// fanoutError explains a failure to join fanout group g: the kernel
// refuses (EINVAL) a group that exists with another mode or on another
// interface.
func fanoutError(g uint16, err error) error {
	if errors.Is(err, unix.EINVAL) {
		return fmt.Errorf("join fanout group %d: %w (the group exists with another mode or on another interface)", g, err)
	}
	return fmt.Errorf("join fanout group %d: %w", g, err)
}

// openSocket opens a plain AF_PACKET socket. The filter is attached before
// the socket is bound, so no unfiltered packet is ever queued.
func (s *liveSource) openSocket(prog []bpf.RawInstruction) error {
	if s.ring != nil {
		s.ring.Close()
		s.ring = nil
	}
	fd, err := unix.Socket(unix.AF_PACKET, s.info.sockType()|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	s.fd = fd
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: (*unix.SockFilter)(unsafe.Pointer(&prog[0]))}
	if err := unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &fprog); err != nil {
		return fmt.Errorf("attach filter: %w", err)
	}
	// The buffer size is a request; the kernel caps it at rmem_max unless
	// the privileged variant succeeds.
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, s.opts.BufferSize) != nil {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, s.opts.BufferSize)
	}
	tv := unix.NsecToTimeval(s.opts.ReadTimeout.Nanoseconds())
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		return fmt.Errorf("set read timeout: %w", err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1); err != nil {
		return fmt.Errorf("enable timestamps: %w", err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_AUXDATA, 1); err != nil {
		return fmt.Errorf("enable packet aux data: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: s.info.index}); err != nil {
		return fmt.Errorf("bind: %w", err)
	}
	if s.opts.Promiscuous && !s.info.any {
		mreq := unix.PacketMreq{Ifindex: int32(s.info.index), Type: unix.PACKET_MR_PROMISC}
		if err := unix.SetsockoptPacketMreq(fd, unix.SOL_PACKET, unix.PACKET_ADD_MEMBERSHIP, &mreq); err != nil {
			return fmt.Errorf("set promiscuous mode: %w", err)
		}
	}
	if g := s.opts.FanoutGroup; g != 0 {
		// A bound socket joins; the argument is the group id in the low
		// 16 bits and mode and flags in the high ones.
		arg := int(g) | (unix.PACKET_FANOUT_HASH|unix.PACKET_FANOUT_FLAG_DEFRAG)<<16
		if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_FANOUT, arg); err != nil {
			return fanoutError(g, err)
		}
	}
	s.buf = make([]byte, s.opts.Snaplen)
	s.oob = make([]byte, 256)
	return nil
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// read returns the next frame (valid until the next call).
func (s *liveSource) read() ([]byte, gopacket.CaptureInfo, error) {
	for s.ring != nil {
		data, ci, err := s.ring.ZeroCopyReadPacketData()
		if errors.Is(err, afpacket.ErrTimeout) {
			return nil, ci, errReadTimeout
		}
		if err == nil && ci.Timestamp.UnixNano() < s.ringFrom {
			continue // queued before the filter and fanout were in place
		}
		return data, ci, err
	}
	if s.fd < 0 {
		return nil, gopacket.CaptureInfo{}, errors.New("source closed")
	}
	for {
		n, oobn, _, from, err := unix.Recvmsg(s.fd, s.buf, s.oob, 0)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EAGAIN):
			return nil, gopacket.CaptureInfo{}, errReadTimeout
		case err != nil:
			return nil, gopacket.CaptureInfo{}, err
		}
		if ll, ok := from.(*unix.SockaddrLinklayer); ok && ll.Pkttype == packetOutgoing &&
			(s.info.loopback || (s.info.any && ll.Ifindex == s.info.loIndex)) {
			continue // the kernel filter drops these; belt and braces
		}
		ci := gopacket.CaptureInfo{CaptureLength: n, Length: n}
		if ll, ok := from.(*unix.SockaddrLinklayer); ok {
			ci.InterfaceIndex = ll.Ifindex
		}
		s.parseControl(s.oob[:oobn], &ci)
		if ci.Timestamp.IsZero() {
			ci.Timestamp = time.Now()
		}
		return s.buf[:n], ci, nil
	}
}

// parseControl takes the timestamp and the original length from the
// control messages of one received packet.
func (s *liveSource) parseControl(oob []byte, ci *gopacket.CaptureInfo) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return
	}
	for _, m := range msgs {
		switch {
		case m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SCM_TIMESTAMPNS && len(m.Data) >= 16:
			sec := int64(binary.NativeEndian.Uint64(m.Data[0:8]))
			nsec := int64(binary.NativeEndian.Uint64(m.Data[8:16]))
			ci.Timestamp = time.Unix(sec, nsec)
		case m.Header.Level == unix.SOL_PACKET && m.Header.Type == unix.PACKET_AUXDATA && len(m.Data) >= 8:
			// struct tpacket_auxdata: tp_status, tp_len (before the filter
			// cut it), tp_snaplen, ...
			if l := int(binary.NativeEndian.Uint32(m.Data[4:8])); l > ci.Length {
				ci.Length = l
			}
		}
	}
}

// Next implements Source.
func (s *liveSource) Next() (*Packet, error) { return s.next(s) }

// Stats implements Source. Dropped is read from the kernel at each call.
func (s *liveSource) Stats() Stats {
	st := s.fs.Stats()
	st.Sources = []string{s.iface}
	st.Formats = []string{"live"}
	switch {
	case s.ring != nil:
		if _, v3, err := s.ring.SocketStats(); err == nil {
			s.dropped = uint64(v3.Drops())
		}
	case s.fd >= 0:
		if ts, err := unix.GetsockoptTpacketStats(s.fd, unix.SOL_PACKET, unix.PACKET_STATISTICS); err == nil {
			s.dropped += uint64(ts.Drops) // reading resets the kernel counter
		}
	}
	st.Dropped = s.dropped
	st.Interfaces = 1
	return st
}

// Close implements Source. It is safe to call more than once.
func (s *liveSource) Close() error {
	if s.ring != nil {
		if _, v3, err := s.ring.SocketStats(); err == nil {
			s.dropped = uint64(v3.Drops())
		}
		s.ring.Close()
		s.ring = nil
	}
	var err error
	if s.fd >= 0 {
		if ts, e := unix.GetsockoptTpacketStats(s.fd, unix.SOL_PACKET, unix.PACKET_STATISTICS); e == nil {
			s.dropped += uint64(ts.Drops)
		}
		err = unix.Close(s.fd)
		s.fd = -1
	}
	if s.err == nil {
		s.err = errors.New("capture: source closed")
	}
	return err
}
