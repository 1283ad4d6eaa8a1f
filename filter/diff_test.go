package filter

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// diffExprs are compiled both here and by tcpdump -ddd, for every link
// type of testLinks; their verdicts over the frame corpus must agree.
var diffExprs = []string{
	// Protocols.
	"tcp", "udp", "sctp", "icmp", "icmp6", "ip", "ip6",
	"ip and tcp", "ip6 and tcp", "ip6 and udp", "not tcp", "!udp", "tcp or udp",
	"ip and ip6", "tcp and udp", "ip6 and icmp",
	// Ports.
	"port 80", "port 53", "port 9", "port 0", "port 65535", "tcp port 80", "udp port 53",
	"udp dst port 53", "tcp src port 80", "src port 40000", "dst port 80",
	"src or dst port 80", "src and dst port 53", "dst and src port 123", "sctp port 80",
	"portrange 1-1024", "tcp portrange 8000-8080", "udp src portrange 50-60",
	"portrange 60-50", "dst portrange 1-9", "portrange 80", "tcp dst portrange 80-90",
	"port 80 or 443", "tcp port 80 or 443 or 9", "port 80 and not 443",
	"tcp port 80 or src port 9 or 22", "portrange 1-5 or 7-9",
	// Hosts and nets.
	"host 10.0.0.1", "src host 10.0.0.1", "dst host 10.0.0.2", "ip host 10.0.0.1",
	"host 10.0.0.1 and 10.0.0.2", "src host 10.0.0.1 or 192.168.1.1",
	"src and dst host 10.0.0.1", "src or dst host 172.16.5.4", "host 2001:db8::1",
	"ip6 src host 2001:db8::1", "dst host fe80::1", "host ::1", "host ::ffff:10.0.0.1",
	"host 10.0.0.1 and not 10.0.0.2", "src 10.0.0.1", "dst 2001:db8::2", "src 10.0.0.0/8",
	"net 10.0.0.0/8", "net 10.0.0.0/24", "src net 192.168.0.0/16",
	"dst net 10.0.0.0 mask 255.255.255.0", "net 10.0.0.1", "net 0.0.0.0/0",
	"ip net 10.0.0.0/8", "net 2001:db8::/32", "ip6 dst net fe80::/10", "net ::/0",
	"net 10.0.0.0 mask 255.0.255.0", "net 2001:db8::/127", "net 10.0.0.0/31",
	// VLAN (Ethernet only; refused elsewhere by both).
	"vlan", "vlan 100", "vlan 200", "vlan 0", "vlan and tcp", "vlan 100 and tcp port 80",
	"vlan and vlan", "vlan 200 and vlan 100 and host 10.0.0.1", "not vlan", "vlan or tcp",
	"tcp or vlan", "not vlan and tcp", "vlan and (port 80 or port 53)",
	"(vlan 100 or vlan 200) and ip6", "vlan and vlan and vlan and udp", "vlan and host 10.0.0.1",
	"vlan and net 10.0.0.0/8",
	// Combinations and precedence.
	"host 10.0.0.1 and tcp port 80", "(host 10.0.0.1 or host 2001:db8::1) and not port 22",
	"tcp and (port 80 or 443)", "port 80 and (81 or not 82)", "tcp or udp and port 53",
	"not tcp port 80 and udp", "! (tcp || udp) && ip", "host 10.0.0.1 or port 53 or icmp",
	"tcp&&port 80||udp", "not not tcp", "((tcp))", "not (port 80 or port 53) and ip6",
	"host 10.0.0.1 && !(10.0.0.2 || 192.168.1.1)",
}

// tcpdumpResult is tcpdump's compilation of one expression for one link
// type: a program, or an error text; rejectsAll is set when tcpdump refuses
// an expression because no packet can match it.
type tcpdumpResult struct {
	prog       *Program
	rejectsAll bool
	errText    string
}

// tcpdumpProgram compiles expr with tcpdump for DLT name.
func tcpdumpProgram(tcpdump, dlt, expr string) (tcpdumpResult, error) {
	cmd := exec.Command(tcpdump, "-y", dlt, "-ddd", expr)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		return tcpdumpResult{rejectsAll: strings.Contains(msg, "expression rejects all packets"), errText: msg}, nil
	}
	raw, err := ParseDDD(stdout.String())
	if err != nil {
		return tcpdumpResult{}, fmt.Errorf("tcpdump -y %s -ddd %q: %w", dlt, expr, err)
	}
	p, err := FromRaw(raw)
	if err != nil {
		return tcpdumpResult{}, fmt.Errorf("tcpdump -y %s -ddd %q: %w", dlt, expr, err)
	}
	return tcpdumpResult{prog: p}, nil
}

// tcpdumpPrograms compiles every expression for every link type with
// tcpdump, several processes at a time (each mostly waits).
func tcpdumpPrograms(t *testing.T, tcpdump string, links []testLink, exprs []string) map[[2]string]tcpdumpResult {
	type job struct{ dlt, expr string }
	jobs := make(chan job)
	out := map[[2]string]tcpdumpResult{}
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		errs []error
	)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				r, err := tcpdumpProgram(tcpdump, j.dlt, j.expr)
				mu.Lock()
				out[[2]string{j.dlt, j.expr}] = r
				if err != nil {
					errs = append(errs, err)
				}
				mu.Unlock()
			}
		}()
	}
	for _, l := range links {
		for _, e := range exprs {
			jobs <- job{l.name, e}
		}
	}
	close(jobs)
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}
	return out
}

// TestDifferentialTcpdump runs our program and tcpdump's over the same
// frames and requires identical verdicts (instructions are not compared).
func TestDifferentialTcpdump(t *testing.T) {
	tcpdump, err := exec.LookPath("tcpdump")
	if err != nil {
		t.Skip("tcpdump not installed")
	}
	perFile := 300
	if testing.Short() {
		perFile = 30
	}
	files, nfiles := fileFrames(perFile)
	// A long chain makes a program of several hundred instructions,
	// exercising jumps wider than 255.
	long := "tcp port 1"
	for p := 2; p < 70; p++ {
		long += " or " + itoa(p)
	}
	long += " or host 10.0.0.1 or vlan 100 and udp"
	exprs := append(diffExprs[:len(diffExprs):len(diffExprs)], long)
	links := testLinks
	if testing.Short() {
		links = links[:1] // Ethernet only
	}
	theirs := tcpdumpPrograms(t, tcpdump, links, exprs)
	var compared, refused, frames, verdicts int
	perLink := map[string]int{}
	for _, l := range links {
		corpus := append(syntheticFrames(l.lt), files[l.lt]...)
		if l.lt == LinkTypeIPv4 || l.lt == LinkTypeIPv6 {
			corpus = append(corpus, files[LinkTypeRaw]...)
		}
		perLink[l.name] = len(corpus)
		frames += len(corpus)
		t.Run(l.name, func(t *testing.T) {
			for _, expr := range exprs {
				t.Run(expr, func(t *testing.T) {
					th := theirs[[2]string{l.name, expr}]
					ours, ourErr := Compile(expr, l.lt)
					switch {
					case th.prog == nil && !th.rejectsAll:
						if ourErr == nil {
							t.Fatalf("tcpdump refuses %q on %s (%s) but we compile it", expr, l.name, th.errText)
						}
						refused++
						return
					case ourErr != nil:
						t.Fatalf("we refuse %q on %s but tcpdump compiles it: %v", expr, l.name, ourErr)
					}
					for i, f := range corpus {
						want := !th.rejectsAll && th.prog.Match(f)
						if got := ours.Match(f); got != want {
							t.Fatalf("%q on %s, frame %d (%d bytes): ours %v, tcpdump %v\nframe %s\nours:\n%s", expr, l.name, i, len(f), got, want, hex.EncodeToString(f), ours)
						}
					}
					compared++
					verdicts += len(corpus)
				})
			}
		})
	}
	t.Logf("differential: %d expressions x %d link types: %d compiled by both and compared, %d refused by both; %d frames (%v) from %d capture files plus generated ones; %d verdict pairs compared",
		len(exprs), len(links), compared, refused, frames, perLink, nfiles, verdicts)
}
