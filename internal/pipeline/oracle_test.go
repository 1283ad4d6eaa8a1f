package pipeline_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"connscope/report"
)

// tsStream is what the oracle derives for one tshark tcp.stream.
type tsStream struct {
	id             int
	client, server string // from the SYN (empty when not seen)
	a, b           string // first packet's source and destination
	first, last    float64
	packets        map[string]int // by sender
	bytes          map[string]int // frame bytes by sender
	firstFIN       string         // sender of the first FIN
	finFrom        map[string]bool
	rstFrom        string // sender of the first RST
	rstAt, fin2At  float64
	synAnswered    bool
}

func endpoint(ip4, ip6, port string) string {
	if ip4 != "" {
		return ip4 + ":" + port
	}
	return "[" + ip6 + "]:" + port
}

// tsharkStreams reads a capture with tshark and rebuilds per-stream facts
// from raw fields (tshark's own TCP analysis is not used, only its
// dissection and stream numbering).
func tsharkStreams(t *testing.T, path string) []*tsStream {
	t.Helper()
	cmd := exec.Command("tshark", "-n", "-r", path, "-Y", "tcp", "-T", "fields", "-E", "separator=|",
		"-e", "tcp.stream", "-e", "ip.src", "-e", "ipv6.src", "-e", "tcp.srcport",
		"-e", "ip.dst", "-e", "ipv6.dst", "-e", "tcp.dstport", "-e", "tcp.flags", "-e", "frame.len",
		"-e", "frame.time_epoch")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark: %v: %s", err, stderr.String())
	}
	streams := map[int]*tsStream{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "|")
		if len(f) < 10 || f[0] == "" {
			continue
		}
		id, _ := strconv.Atoi(f[0])
		src := endpoint(f[1], f[2], f[3])
		dst := endpoint(f[4], f[5], f[6])
		flags, _ := strconv.ParseUint(strings.TrimPrefix(f[7], "0x"), 16, 16)
		flen, _ := strconv.Atoi(f[8])
		ts, _ := strconv.ParseFloat(f[9], 64)
		s := streams[id]
		if s == nil {
			s = &tsStream{id: id, a: src, b: dst, first: ts, packets: map[string]int{}, bytes: map[string]int{}, finFrom: map[string]bool{}}
			streams[id] = s
		}
		s.last = ts
		s.packets[src]++
		s.bytes[src] += flen
		syn, ack, fin, rst := flags&0x02 != 0, flags&0x10 != 0, flags&0x01 != 0, flags&0x04 != 0
		if syn && !ack && s.client == "" {
			s.client, s.server = src, dst
		}
		if syn && ack {
			s.synAnswered = true
			if s.client == "" {
				s.client, s.server = dst, src
			}
		}
		if fin && !s.finFrom[src] {
			if s.firstFIN == "" {
				s.firstFIN = src
			}
			s.finFrom[src] = true
			if len(s.finFrom) == 2 {
				s.fin2At = ts
			}
		}
		if rst && s.rstFrom == "" && len(s.finFrom) < 2 {
			s.rstFrom = src
			s.rstAt = ts
		}
	}
	var out2 []*tsStream
	for _, s := range streams {
		out2 = append(out2, s)
	}
	sort.Slice(out2, func(i, j int) bool { return out2[i].id < out2[j].id })
	return out2
}

// TestTsharkOracle compares, for every committed capture, our connections
// with the TCP streams tshark numbers: the same count in the same order, and
// per connection the endpoints and roles, packets and frame bytes per
// direction, close kind, initiator and TIME_WAIT holder (derived here from
// the raw flags tshark dissects), and per peer the most connections open at
// once. It also checks the row count of `tshark -q -z conv,tcp`.
func TestTsharkOracle(t *testing.T) {
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("tshark not installed")
	}
	for _, path := range captures(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			var rep report.Report
			if err := json.Unmarshal(analyze(t, path), &rep); err != nil {
				t.Fatal(err)
			}
			ts := tsharkStreams(t, path)
			if len(ts) != len(rep.Connections) {
				t.Fatalf("tshark has %d TCP streams, we have %d connections", len(ts), len(rep.Connections))
			}
			if n := convRows(t, path); n != len(ts) {
				t.Errorf("tshark conv,tcp has %d rows, its streams %d", n, len(ts))
			}
			for i, s := range ts {
				c := rep.Connections[i]
				label := fmt.Sprintf("conn %d / stream %d", c.ID, s.id)
				client, server := s.client, s.server
				if client == "" { // no handshake: compare endpoints only
					if !(c.Client == s.a && c.Server == s.b) && !(c.Client == s.b && c.Server == s.a) {
						t.Errorf("%s: endpoints %s/%s, tshark %s/%s", label, c.Client, c.Server, s.a, s.b)
					}
					client, server = c.Client, c.Server
				} else if c.Client != client || c.Server != server {
					t.Errorf("%s: roles %s -> %s, tshark SYN %s -> %s", label, c.Client, c.Server, client, server)
				}
				if got, want := c.Packets.ClientToServer, uint64(s.packets[client]); got != want {
					t.Errorf("%s: client packets %d, tshark %d", label, got, want)
				}
				if got, want := c.Packets.ServerToClient, uint64(s.packets[server]); got != want {
					t.Errorf("%s: server packets %d, tshark %d", label, got, want)
				}
				if got, want := c.Bytes.ClientToServer, uint64(s.bytes[client]); got != want {
					t.Errorf("%s: client bytes %d, tshark %d", label, got, want)
				}
				if got, want := c.Bytes.ServerToClient, uint64(s.bytes[server]); got != want {
					t.Errorf("%s: server bytes %d, tshark %d", label, got, want)
				}
				side := func(ep string) string {
					switch ep {
					case "":
						return "none"
					case client:
						return "client"
					}
					return "server"
				}
				kind, initiator, holder := "open", "none", "none"
				switch {
				case s.rstFrom != "":
					kind = "rst"
					initiator = side(s.rstFrom)
					if s.firstFIN != "" {
						initiator = side(s.firstFIN)
					}
				case len(s.finFrom) == 2:
					kind, initiator, holder = "fin", side(s.firstFIN), side(s.firstFIN)
				}
				if c.Close.Kind != kind || c.Close.Initiator != initiator {
					t.Errorf("%s: close %s by %s, oracle %s by %s", label, c.Close.Kind, c.Close.Initiator, kind, initiator)
				}
				if c.Close.TimeWaitHolder != holder && !(c.Close.Simultaneous && c.Close.TimeWaitHolder == "both") {
					t.Errorf("%s: TIME_WAIT holder %s, oracle %s", label, c.Close.TimeWaitHolder, holder)
				}
				if refused := s.rstFrom == server && !s.synAnswered && s.client != ""; refused != c.Close.Refused {
					t.Errorf("%s: refused %v, oracle %v", label, c.Close.Refused, refused)
				}
			}
			// Most connections open at once per (client host, server endpoint).
			per := map[string][]iv{}
			for i, s := range ts {
				c := rep.Connections[i]
				end := s.last
				switch {
				case s.rstAt != 0:
					end = s.rstAt
				case s.fin2At != 0:
					end = s.fin2At
				}
				host := c.Client[:strings.LastIndex(c.Client, ":")]
				per[host+" -> "+c.Server] = append(per[host+" -> "+c.Server], iv{s.first, end})
			}
			for _, p := range rep.Peers {
				ivs := per[p.Client+" -> "+p.Server]
				if got, want := p.MaxParallel, maxOpen(ivs); got != want {
					t.Errorf("peer %s -> %s: max parallel %d, oracle %d", p.Client, p.Server, got, want)
				}
				if p.Connections != len(ivs) {
					t.Errorf("peer %s -> %s: %d connections, oracle %d", p.Client, p.Server, p.Connections, len(ivs))
				}
			}
		})
	}
}

type iv struct{ s, e float64 }

func maxOpen(ivs []iv) int {
	type ev struct {
		t float64
		d int
	}
	var evs []ev
	for _, v := range ivs {
		evs = append(evs, ev{v.s, 1}, ev{v.e, -1})
	}
	sort.Slice(evs, func(i, j int) bool {
		if evs[i].t != evs[j].t {
			return evs[i].t < evs[j].t
		}
		return evs[i].d < evs[j].d
	})
	cur, best := 0, 0
	for _, e := range evs {
		cur += e.d
		if cur > best {
			best = cur
		}
	}
	return best
}

// convRows counts the conversations of `tshark -q -z conv,tcp`.
func convRows(t *testing.T, path string) int {
	t.Helper()
	out, err := exec.Command("tshark", "-n", "-r", path, "-q", "-z", "conv,tcp").Output()
	if err != nil {
		t.Fatalf("tshark conv: %v", err)
	}
	n := 0
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "<->") {
			n++
		}
	}
	return n
}

// TestTsharkDNSOracle compares the DNS lookups of the committed captures
// that have any (over UDP and over TCP) with tshark's: every response
// tshark pairs with its query (dns.time) is one of our lookups, with the
// same name, type and round trip to the microsecond.
func TestTsharkDNSOracle(t *testing.T) {
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("tshark not installed")
	}
	for _, name := range []string{"dns_lookup.pcap", "dns_tcp_lookup.pcap"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("..", "..", "testdata", "pcaps", name)
			out, err := exec.Command("tshark", "-n", "-r", path, "-Y", "dns.flags.response == 1 && dns.time",
				"-T", "fields", "-E", "separator=|", "-e", "dns.qry.name", "-e", "dns.qry.type", "-e", "dns.time").Output()
			if err != nil {
				t.Fatalf("tshark: %v", err)
			}
			var rep report.Report
			if err := json.Unmarshal(analyze(t, path), &rep); err != nil {
				t.Fatal(err)
			}
			got := map[string]int64{}
			for _, l := range rep.DNSLookups {
				got[l.Name+"|"+l.Type] = l.RTTUS
			}
			lines := strings.Fields(strings.TrimSpace(string(out)))
			if len(lines) == 0 || len(lines) != len(rep.DNSLookups) {
				t.Fatalf("tshark pairs %d responses, we have %d lookups", len(lines), len(rep.DNSLookups))
			}
			types := map[string]string{"1": "A", "28": "AAAA"}
			for _, line := range lines {
				f := strings.Split(line, "|")
				secs, err := strconv.ParseFloat(f[2], 64)
				if err != nil {
					t.Fatalf("tshark line %q: %v", line, err)
				}
				key := f[0] + "|" + types[f[1]]
				rtt, ok := got[key]
				if !ok {
					t.Errorf("tshark lookup %s not in the report (%v)", key, got)
					continue
				}
				if want := int64(math.Round(secs * 1e6)); rtt != want {
					t.Errorf("%s: RTT %d µs, tshark %d µs", key, rtt, want)
				}
			}
		})
	}
}
