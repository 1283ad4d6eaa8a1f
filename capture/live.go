package capture

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"
)

// ErrLiveUnsupported is returned by OpenLive and LiveLinkType on platforms
// without a live capture implementation.
var ErrLiveUnsupported = errors.New("capture: live capture is not supported on this platform")

// ErrTimeout is returned by the Next method of a live Source when no packet
// arrived within LiveOptions.ReadTimeout (or many records in a row were
// skipped as not TCP/UDP). It is not an end: call Next again.
var ErrTimeout = errors.New("capture: read timeout")

// Defaults of LiveOptions.
const (
	// DefaultSnaplen is the captured length per packet when
	// LiveOptions.Snaplen is 0 (libpcap's maximum).
	DefaultSnaplen = 262144
	// DefaultReadTimeout bounds how long Next waits for a packet.
	DefaultReadTimeout = 100 * time.Millisecond
	// DefaultBufferSize is the size of the kernel ring (or socket buffer).
	DefaultBufferSize = 16 << 20
)

// LiveOptions configure OpenLive. The zero value captures whole packets,
// not promiscuously, with no filter.
type LiveOptions struct {
	// Snaplen caps the bytes kept per packet (0: DefaultSnaplen). The
	// kernel filter cuts longer frames; WireLen keeps the real length.
	Snaplen int
	// Promiscuous puts the interface in promiscuous mode while capturing.
	Promiscuous bool
	// Filter is a classic BPF program, compiled for the link type that
	// LiveLinkType reports for the interface, attached in the kernel so
	// that only matching packets are copied to user space. Nil captures
	// everything.
	Filter []bpf.RawInstruction
	// ReadTimeout bounds how long Next blocks before returning ErrTimeout
	// (0: DefaultReadTimeout).
	ReadTimeout time.Duration
	// BufferSize is the size in bytes of the kernel ring buffer (0:
	// DefaultBufferSize). Packets that arrive while it is full are dropped
	// by the kernel and counted in Stats.Dropped.
	BufferSize int
	// Socket forces the plain AF_PACKET socket (one system call per packet)
	// instead of the memory-mapped ring. The socket is also used when the
	// ring cannot be set up.
	Socket bool
	// FanoutGroup, when not 0, joins the socket to the AF_PACKET fanout
	// group with that id in hash mode (packet(7), PACKET_FANOUT_HASH with
	// PACKET_FANOUT_FLAG_DEFRAG): every socket of the group on the
	// interface, in this process or another, receives a share of the
	// packets chosen by the kernel's symmetric flow hash, so both
	// directions of a connection reach the same socket. Only the
	// AF_PACKET backend on Linux supports it.
	FanoutGroup uint16
	// Dump, when set, receives every record read, before decoding, on the
	// goroutine that calls Next: its capture info and frame (valid during
	// the call only; already cut to Snaplen). An error ends the capture:
	// Next returns it.
	Dump func(ci gopacket.CaptureInfo, frame []byte) error
}

func (o LiveOptions) withDefaults() LiveOptions {
	if o.Snaplen <= 0 || o.Snaplen > DefaultSnaplen {
		o.Snaplen = DefaultSnaplen
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = DefaultReadTimeout
	}
	if o.BufferSize <= 0 {
		o.BufferSize = DefaultBufferSize
	}
	return o
}

// liveOpenError words an error from opening an interface as one line. A
// missing privilege says how to get it; errors.Is(err, fs.ErrPermission)
// still holds for it.
func liveOpenError(iface string, err error) error {
	switch {
	case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EPERM), errors.Is(err, syscall.EACCES):
		return &openError{
			msg: fmt.Sprintf("capture: open interface %q: permission denied (run as root or grant CAP_NET_RAW: setcap cap_net_raw+ep $(which connscope))", iface),
			err: fs.ErrPermission,
		}
	case errors.Is(err, errNoInterface):
		return fmt.Errorf("capture: open interface %q: %w", iface, errNoInterface)
	}
	return fmt.Errorf("capture: open interface %q: %w", iface, err)
}

// openError is an error whose text is complete as it is and which wraps a
// sentinel for errors.Is.
type openError struct {
	msg string
	err error
}

func (e *openError) Error() string { return e.msg }
func (e *openError) Unwrap() error { return e.err }

// errNoInterface reports an interface name that does not exist.
var errNoInterface = errors.New("no such interface")

// Linux packet types (sll_pkttype, <linux/if_packet.h>) and ethertypes the
// kernel filter prefix uses.
const (
	packetOutgoing = 4 // PACKET_OUTGOING
	etherTypeIPv4  = 0x0800
	etherTypeIPv6  = 0x86dd
)

// kernelProgram builds the program attached to the socket: a prefix that
// drops what libpcap drops (on a loopback interface, the outgoing copy of
// every packet, which AF_PACKET delivers a second time as incoming; on
// "any", the same for the loopback interface loIndex, and everything that
// is not IPv4 or IPv6), then the user's filter, whose accepting returns are
// lowered to snaplen so the kernel cuts long frames. Without a filter the
// program accepts snaplen bytes of every packet.
func kernelProgram(user []bpf.RawInstruction, snaplen int, loopback, anyIface bool, loIndex int) ([]bpf.RawInstruction, error) {
	var pre []bpf.Instruction
	if anyIface {
		pre = append(pre,
			bpf.LoadExtension{Num: bpf.ExtProto},
			bpf.JumpIf{Cond: bpf.JumpEqual, Val: etherTypeIPv4, SkipTrue: 2},
			bpf.JumpIf{Cond: bpf.JumpEqual, Val: etherTypeIPv6, SkipTrue: 1},
			bpf.RetConstant{Val: 0},
		)
		if loIndex > 0 {
			pre = append(pre,
				bpf.LoadExtension{Num: bpf.ExtType},
				bpf.JumpIf{Cond: bpf.JumpEqual, Val: packetOutgoing, SkipFalse: 3},
				bpf.LoadExtension{Num: bpf.ExtInterfaceIndex},
				bpf.JumpIf{Cond: bpf.JumpEqual, Val: uint32(loIndex), SkipFalse: 1},
				bpf.RetConstant{Val: 0},
			)
		}
	} else if loopback {
		pre = append(pre,
			bpf.LoadExtension{Num: bpf.ExtType},
			bpf.JumpIf{Cond: bpf.JumpEqual, Val: packetOutgoing, SkipFalse: 1},
			bpf.RetConstant{Val: 0},
		)
	}
	if len(user) == 0 {
		pre = append(pre, bpf.RetConstant{Val: uint32(snaplen)})
	}
	prog, err := bpf.Assemble(pre)
	if err != nil {
		return nil, fmt.Errorf("capture: assemble kernel filter: %w", err)
	}
	const retK = 0x06 // BPF_RET | BPF_K
	for _, in := range user {
		if in.Op == retK && in.K > uint32(snaplen) {
			in.K = uint32(snaplen)
		}
		prog = append(prog, in)
	}
	if len(prog) > 4096 { // BPF_MAXINSNS
		return nil, fmt.Errorf("capture: filter too long (%d instructions, at most 4096)", len(prog))
	}
	return prog, nil
}

// maxSkippedPerNext bounds the records one Next call skips (not TCP/UDP)
// before it returns ErrTimeout, so that a flood of other traffic cannot keep
// Next from returning.
const maxSkippedPerNext = 4096

// errReadTimeout marks a read that found no packet in time.
var errReadTimeout = errors.New("read timeout")

// frameReader is a live capture backend: read returns the next record
// (valid until the next call), or errReadTimeout when none arrived in
// time.
type frameReader interface {
	read() ([]byte, gopacket.CaptureInfo, error)
}

// liveFrames is what every live backend shares: the options, the decoder
// and counters of file reading, and the handling of each record read.
type liveFrames struct {
	iface string
	opts  LiveOptions
	link  layers.LinkType
	// fs supplies the decoder and the counters shared with file reading;
	// it has no inputs.
	fs    *fileSource
	index uint64
	err   error // sticky
}

func newLiveFrames(iface string, opts LiveOptions, link layers.LinkType) liveFrames {
	l := liveFrames{iface: iface, opts: opts, link: link, fs: newFileSource()}
	l.fs.seeLink(link)
	return l
}

// next reads records from r until one decodes to a TCP or UDP packet: it
// cuts each to the snap length, hands it to opts.Dump, counts it, and
// decodes it as the backend's link type. ErrTimeout when none arrived in
// time or maxSkippedPerNext records were skipped.
func (l *liveFrames) next(r frameReader) (*Packet, error) {
	if l.err != nil {
		return nil, l.err
	}
	for range maxSkippedPerNext {
		data, ci, err := r.read()
		if err != nil {
			if errors.Is(err, errReadTimeout) {
				return nil, ErrTimeout
			}
			l.err = fmt.Errorf("capture: read interface %q: %w", l.iface, err)
			return nil, l.err
		}
		if len(data) > l.opts.Snaplen {
			data = data[:l.opts.Snaplen]
			ci.CaptureLength = len(data)
		}
		wire := max(ci.Length, len(data))
		if l.opts.Dump != nil {
			ci.CaptureLength, ci.Length = len(data), wire
			if err := l.opts.Dump(ci, data); err != nil {
				l.err = err
				return nil, err
			}
		}
		ts := ci.Timestamp.UnixNano()
		l.index++
		st := &l.fs.stats
		st.Packets++
		st.Bytes += uint64(wire)
		if st.Packets == 1 || ts < st.First {
			st.First = ts
		}
		if st.Packets == 1 || ts > st.Last {
			st.Last = ts
		}
		p := &l.fs.pkt
		*p = Packet{
			Index:   l.index,
			Time:    timeOf(ts),
			WireLen: wire,
			CapLen:  len(data),
		}
		if l.fs.decode(p, data, l.link) {
			st.Decoded++
			return p, nil
		}
	}
	return nil, ErrTimeout
}
