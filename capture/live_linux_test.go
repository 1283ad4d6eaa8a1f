//go:build !libpcap

package capture

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"golang.org/x/net/bpf"
)

func TestKernelProgram(t *testing.T) {
	user := []bpf.RawInstruction{{Op: 0x06, K: 262144}, {Op: 0x06, K: 0}}
	tests := []struct {
		name          string
		user          []bpf.RawInstruction
		loop, anyIf   bool
		wantLen       int
		wantFirstLoad bpf.Extension // -1: first instruction is not an extension load
		wantLastRet   uint32
	}{
		{"plain no filter", nil, false, false, 1, -1, 96},
		{"plain filter clamps accept to snaplen", user, false, false, 2, -1, 0},
		{"loopback drops outgoing copy", nil, true, false, 4, bpf.ExtType, 96},
		{"any keeps ip only and drops loopback outgoing", user, false, true, 11, bpf.ExtProto, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			prog, err := kernelProgram(tc.user, 96, tc.loop, tc.anyIf, 1)
			if err != nil {
				t.Fatal(err)
			}
			if len(prog) != tc.wantLen {
				t.Fatalf("len = %d, want %d", len(prog), tc.wantLen)
			}
			insts, ok := bpf.Disassemble(prog)
			if !ok {
				t.Fatalf("program does not disassemble: %v", insts)
			}
			le, isExt := insts[0].(bpf.LoadExtension)
			if tc.wantFirstLoad >= 0 && (!isExt || le.Num != tc.wantFirstLoad) {
				t.Errorf("first instruction %v, want load of extension %d", insts[0], tc.wantFirstLoad)
			}
			if tc.wantFirstLoad < 0 && isExt {
				t.Errorf("first instruction %v, want no prefix", insts[0])
			}
			if r, ok := insts[len(insts)-1].(bpf.RetConstant); !ok || r.Val != tc.wantLastRet {
				t.Errorf("last instruction %v, want ret #%d", insts[len(insts)-1], tc.wantLastRet)
			}
			for i, in := range insts {
				if r, ok := in.(bpf.RetConstant); ok && r.Val > 96 {
					t.Errorf("instruction %d returns %d, above the snap length", i, r.Val)
				}
			}
		})
	}
	if _, err := kernelProgram(make([]bpf.RawInstruction, 5000), 96, false, false, 0); err == nil {
		t.Errorf("a program over 4096 instructions was accepted")
	}
}

func TestLiveOpenErrorText(t *testing.T) {
	tests := []struct {
		name  string
		err   error
		want  string
		isErr error
	}{
		{"EPERM", syscall.EPERM, `capture: open interface "eth0": permission denied (run as root or grant CAP_NET_RAW: setcap cap_net_raw+ep $(which connscope))`, fs.ErrPermission},
		{"EACCES", syscall.EACCES, `capture: open interface "eth0": permission denied (run as root or grant CAP_NET_RAW: setcap cap_net_raw+ep $(which connscope))`, fs.ErrPermission},
		{"no interface", errNoInterface, `capture: open interface "eth0": no such interface`, errNoInterface},
		{"other", syscall.ENOMEM, `capture: open interface "eth0": cannot allocate memory`, syscall.ENOMEM},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := liveOpenError("eth0", tc.err)
			if err.Error() != tc.want {
				t.Errorf("got  %s\nwant %s", err, tc.want)
			}
			if !errors.Is(err, tc.isErr) {
				t.Errorf("errors.Is(%v, %v) = false", err, tc.isErr)
			}
		})
	}
}

func TestOpenLiveUnknownInterface(t *testing.T) {
	_, err := OpenLive("nosuchif0", LiveOptions{})
	if err == nil || err.Error() != `capture: open interface "nosuchif0": no such interface` {
		t.Errorf("err = %v", err)
	}
}

// TestOpenLiveWithoutPrivilege runs the open as the unprivileged user
// nobody (through setpriv) and checks the one-line error.
func TestOpenLiveWithoutPrivilege(t *testing.T) {
	if os.Getenv("CONNSCOPE_LIVE_UNPRIVILEGED") == "1" {
		_, err := OpenLive("lo", LiveOptions{})
		if err == nil {
			t.Fatal("opened lo without privilege")
		}
		os.Stdout.WriteString("ERR: " + err.Error() + "\n")
		return
	}
	if os.Geteuid() != 0 {
		_, err := OpenLive("lo", LiveOptions{})
		if err == nil || !errors.Is(err, fs.ErrPermission) {
			t.Fatalf("err = %v, want permission error", err)
		}
		return
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("setpriv not installed")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	cmd := exec.Command(setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", exe,
		"-test.run=^TestOpenLiveWithoutPrivilege$", "-test.v")
	cmd.Env = append(os.Environ(), "CONNSCOPE_LIVE_UNPRIVILEGED=1")
	out, err := cmd.CombinedOutput()
	if err != nil && !strings.Contains(string(out), "ERR: ") {
		t.Skipf("cannot run the test binary as nobody: %v\n%s", err, out)
	}
	want := `ERR: capture: open interface "lo": permission denied (run as root or grant CAP_NET_RAW: setcap cap_net_raw+ep $(which connscope))`
	if !strings.Contains(string(out), want) {
		t.Errorf("output:\n%s\nwant line %s", out, want)
	}
}

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("live capture needs root")
	}
}

// TestOpenLiveLoopback captures one TCP connection on lo (ring and plain
// socket, "lo" and "any") and checks that every packet is seen once, that
// the snap length cuts frames, and that Dump sees every record.
func TestOpenLiveLoopback(t *testing.T) {
	needRoot(t)
	tests := []struct {
		name    string
		iface   string
		socket  bool
		snaplen int
	}{
		{"lo ring", "lo", false, 0},
		{"lo socket", "lo", true, 0},
		{"any ring", "any", false, 0},
		{"any socket", "any", true, 0},
		{"lo ring snaplen", "lo", false, 80},
		{"lo socket snaplen", "lo", true, 80},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ln, port := loopbackListener(t)
			lt, err := LiveLinkType(tc.iface)
			if err != nil {
				t.Fatal(err)
			}
			dumped := 0
			src, err := OpenLive(tc.iface, LiveOptions{
				Filter:      tcpPortFilter(t, lt, port),
				Snaplen:     tc.snaplen,
				Socket:      tc.socket,
				ReadTimeout: 50 * time.Millisecond,
				Dump:        func(gopacket.CaptureInfo, []byte) error { dumped++; return nil },
			})
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			sendOnce(t, ln, 1000)
			n := countConn(t, src, port)
			if n.other > 0 {
				t.Errorf("%d packets of other ports passed the filter", n.other)
			}
			syns, fins, payload, cut := n.syns, n.fins, n.payload, n.cut
			if syns != 1 {
				t.Errorf("saw %d SYNs, want 1 (outgoing loopback copies must be dropped)", syns)
			}
			if fins != 2 {
				t.Errorf("saw %d FINs, want 2", fins)
			}
			if payload != 1000 {
				t.Errorf("payload = %d, want 1000", payload)
			}
			if tc.snaplen > 0 && cut == 0 {
				t.Errorf("no frame was cut at snaplen %d", tc.snaplen)
			}
			st := src.Stats()
			if uint64(dumped) != st.Packets {
				t.Errorf("dumped %d records, read %d", dumped, st.Packets)
			}
			if len(st.Sources) != 1 || st.Sources[0] != tc.iface || st.Formats[0] != "live" {
				t.Errorf("stats sources %v formats %v", st.Sources, st.Formats)
			}
			if tc.snaplen > 0 && st.Anomalies[AnomalyCaptureSnaplenCut] == 0 {
				t.Errorf("anomalies %v: want %s", st.Anomalies, AnomalyCaptureSnaplenCut)
			}
		})
	}
}

// TestOpenLiveFanout: two sockets in one fanout group on lo (ring and
// plain socket) split the packets of many connections between them, every
// connection whole on one side (the kernel's hash is symmetric), and
// together see each packet once.
func TestOpenLiveFanout(t *testing.T) {
	needRoot(t)
	for _, socket := range []bool{false, true} {
		t.Run(fmt.Sprintf("socket=%v", socket), func(t *testing.T) {
			ln, port := loopbackListener(t)
			lt, err := LiveLinkType("lo")
			if err != nil {
				t.Fatal(err)
			}
			group := uint16(0x5c00 + rand.IntN(0x100))
			if socket {
				group += 0x100
			}
			var srcs [2]Source
			for i := range srcs {
				srcs[i], err = OpenLive("lo", LiveOptions{
					Filter:      tcpPortFilter(t, lt, port),
					Socket:      socket,
					ReadTimeout: 50 * time.Millisecond,
					FanoutGroup: group,
				})
				if err != nil {
					t.Fatal(err)
				}
				defer srcs[i].Close()
			}
			const conns = 40
			for range conns {
				sendOnce(t, ln, 100)
			}
			// Each member counts SYNs, FINs and payload per client port.
			type counts struct{ syn, fin, payload int }
			var per [2]map[uint16]*counts
			var wg sync.WaitGroup
			for i, src := range srcs {
				per[i] = map[uint16]*counts{}
				wg.Add(1)
				go func() {
					defer wg.Done()
					quiet := 0
					for quiet < 10 { // 0.5 s without a packet ends the read
						p, err := src.Next()
						if errors.Is(err, ErrTimeout) {
							quiet++
							continue
						}
						if err != nil {
							t.Error(err)
							return
						}
						quiet = 0
						client := p.Src.Port
						if client == port {
							client = p.Dst.Port
						}
						c := per[i][client]
						if c == nil {
							c = &counts{}
							per[i][client] = c
						}
						if p.Has(FlagSYN) && !p.Has(FlagACK) {
							c.syn++
						}
						if p.Has(FlagFIN) {
							c.fin++
						}
						c.payload += p.PayloadLen
					}
				}()
			}
			wg.Wait()
			if len(per[0]) == 0 || len(per[1]) == 0 {
				t.Fatalf("one member got no connection: %d and %d of %d", len(per[0]), len(per[1]), conns)
			}
			if len(per[0])+len(per[1]) != conns {
				t.Errorf("members saw %d + %d connections, want %d in all, none on both", len(per[0]), len(per[1]), conns)
			}
			for i := range per {
				for client, c := range per[i] {
					if _, both := per[1-i][client]; both {
						t.Errorf("connection from port %d reached both members", client)
					}
					if c.syn != 1 || c.fin != 2 || c.payload != 100 {
						t.Errorf("member %d, port %d: %d SYNs, %d FINs, %d payload bytes; want 1, 2, 100", i, client, c.syn, c.fin, c.payload)
					}
				}
			}
		})
	}
}
