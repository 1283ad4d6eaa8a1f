//go:build linux

package lab

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// htons converts a 16-bit value to network byte order for AF_PACKET.
func htons(v uint16) uint16 { return v<<8 | v>>8 }

// packetSocket is an AF_PACKET raw socket bound to one interface.
type packetSocket struct {
	fd      int
	ifindex int
}

func openPacketSocket(name string) (*packetSocket, error) {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return nil, fmt.Errorf("delayline: interface %s: %w", name, err)
	}
	fd, err := syscall.Socket(syscall.AF_PACKET, syscall.SOCK_RAW, int(htons(syscall.ETH_P_ALL)))
	if err != nil {
		return nil, fmt.Errorf("delayline: AF_PACKET socket: %w", err)
	}
	sa := &syscall.SockaddrLinklayer{Protocol: htons(syscall.ETH_P_ALL), Ifindex: ifi.Index}
	if err := syscall.Bind(fd, sa); err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("delayline: bind %s: %w", name, err)
	}
	_ = syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_RCVBUF, 8<<20)
	return &packetSocket{fd: fd, ifindex: ifi.Index}, nil
}

// read returns the next frame received from the wire (our own transmissions,
// PACKET_OUTGOING, are skipped).
func (p *packetSocket) read(buf []byte) (int, error) {
	for i := 0; i < 1<<20; i++ {
		n, from, err := syscall.Recvfrom(p.fd, buf, 0)
		if err != nil {
			if errors.Is(err, syscall.EINTR) {
				continue
			}
			return 0, err
		}
		if ll, ok := from.(*syscall.SockaddrLinklayer); ok && ll.Pkttype == syscall.PACKET_OUTGOING {
			continue
		}
		return n, nil
	}
	return 0, errors.New("delayline: only outgoing frames seen")
}

func (p *packetSocket) write(frame []byte) error {
	sa := &syscall.SockaddrLinklayer{Ifindex: p.ifindex, Halen: 6}
	copy(sa.Addr[:], frame[:6])
	return syscall.Sendto(p.fd, frame, 0, sa)
}

type delayedFrame struct {
	due   time.Time
	frame []byte
}

// DelayStats counts what one direction of the delay line did.
type DelayStats struct {
	Forwarded, Dropped, Overflow, WriteErrors atomic.Int64
}

// forward moves frames from src to dst, each held for delay and dropped with
// probability loss. The queue holds at most queueLen frames; more are
// counted as Overflow and dropped (a tail-drop router).
func forward(src, dst *packetSocket, delay time.Duration, loss float64, rng *rand.Rand, queueLen int, st *DelayStats, stop <-chan struct{}) {
	q := make(chan delayedFrame, queueLen)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			case f := <-q:
				if d := time.Until(f.due); d > 0 {
					time.Sleep(d)
				}
				if err := dst.write(f.frame); err != nil {
					st.WriteErrors.Add(1)
					continue
				}
				st.Forwarded.Add(1)
			}
		}
	}()
	buf := make([]byte, 65536)
	for {
		n, err := src.read(buf)
		if err != nil {
			break
		}
		if loss > 0 && rng.Float64() < loss {
			st.Dropped.Add(1)
			continue
		}
		f := delayedFrame{due: time.Now().Add(delay), frame: append([]byte(nil), buf[:n]...)}
		select {
		case q <- f:
		default:
			st.Overflow.Add(1)
		}
	}
	wg.Wait()
}

// helperDelayLine bridges two interfaces at layer 2 in user space (the
// interfaces must be in promiscuous mode, which the runner sets), holding
// every frame for -delay in each direction and dropping a fraction of them
// (-loss-ab from -a to -b, -loss-ba back). It replaces `tc netem` on kernels
// without sch_netem (detection-methods §6.3). Loss is drawn from a seeded
// generator, so the drop pattern is the same for the same frame sequence.
func helperDelayLine(fs *flag.FlagSet, args []string, out io.Writer) error {
	a := fs.String("a", "", "first interface")
	b := fs.String("b", "", "second interface")
	delay := fs.Duration("delay", 40*time.Millisecond, "one-way delay in each direction")
	lossAB := fs.Float64("loss-ab", 0, "drop probability a->b (0..1)")
	lossBA := fs.Float64("loss-ba", 0, "drop probability b->a (0..1)")
	seed := fs.Int64("seed", 1, "random seed for drops")
	queue := fs.Int("queue", 4096, "frames held per direction before tail drop")
	max := fs.Duration("max", 120*time.Second, "wall-clock limit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *a == "" || *b == "" {
		return errors.New("delayline: -a and -b are required")
	}
	if *lossAB < 0 || *lossAB > 1 || *lossBA < 0 || *lossBA > 1 {
		return errors.New("delayline: loss must be within 0..1")
	}
	limit(*max, "delayline")
	sa, err := openPacketSocket(*a)
	if err != nil {
		return err
	}
	sb, err := openPacketSocket(*b)
	if err != nil {
		return err
	}
	stop := make(chan struct{})
	var ab, ba DelayStats
	go forward(sa, sb, *delay, *lossAB, rand.New(rand.NewSource(*seed)), *queue, &ab, stop)
	go forward(sb, sa, *delay, *lossBA, rand.New(rand.NewSource(*seed+1)), *queue, &ba, stop)
	fmt.Fprintf(out, "delayline: %s <-> %s delay %v loss %.3f/%.3f\n", *a, *b, *delay, *lossAB, *lossBA)
	// Report counters every second until killed (the runner sends SIGTERM).
	for i := 0; i < int(*max/time.Second)+1; i++ {
		time.Sleep(time.Second)
		fmt.Fprintf(out, "delayline: a->b forwarded %d dropped %d overflow %d; b->a forwarded %d dropped %d overflow %d\n",
			ab.Forwarded.Load(), ab.Dropped.Load(), ab.Overflow.Load(), ba.Forwarded.Load(), ba.Dropped.Load(), ba.Overflow.Load())
	}
	close(stop)
	return nil
}

func init() { helpers["delayline"] = helperDelayLine }
