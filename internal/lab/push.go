package lab

import (
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The polling, long-polling, streaming and DNS scenarios and their helpers.
func init() {
	helpers["push-server"] = helperPushServer
	helpers["dns-web-server"] = helperDNSWebServer
	helpers["dns-client"] = helperDNSClient
}

// DNSName is the name the DNS scenario's client resolves.
const DNSName = "web.test"

// pushScenarios returns the polling, long-polling, SSE and DNS scenarios.
func pushScenarios() []Scenario {
	return []Scenario{
		{
			Name:         "http_polling",
			Shows:        "curl polls /status?i=N 6 times, 1 s apart, a new connection each (periodic polling)",
			ServerHelper: []string{"push-server"},
			Steps: []Step{{Argv: sh(`for i in 1 2 3 4 5 6; do curl -sS --max-time 5 -o /dev/null "{URL}/status?i=$i"; ` +
				`[ $i -lt 6 ] && sleep 1; done; true`)}},
			Expect: Expect{Streams: Exactly(6), SYNs: Exactly(6), RSTs: Exactly(0), Requests: Exactly(6), Responses: Exactly(6)},
		},
		{
			Name:         "http_long_polling",
			Shows:        "Go handler holds /longpoll 6 s then answers 204; curl asks 3 times in a row on one connection (long polling)",
			ServerHelper: []string{"push-server", "-hold", "6s"},
			Steps:        []Step{{Argv: curl(append(repeat(3, "-o", "/dev/null"), repeatURL(3, "{URL}/longpoll?n=")...)...), Timeout: 40 * time.Second}},
			Expect:       Expect{Streams: Exactly(1), SYNs: Exactly(1), RSTs: Exactly(0), Requests: Exactly(3), Responses: Exactly(3)},
		},
		{
			Name:         "sse_stream",
			Shows:        "Go Server-Sent Events handler: one event per second for 32 s, flushed each time; curl -N reads the stream",
			ServerHelper: []string{"push-server", "-events", "32", "-every", "1s"},
			Steps: []Step{{Argv: []string{"curl", "-sS", "-N", "--max-time", "45", "-o", "/dev/null", "{URL}/sse"},
				Timeout: 50 * time.Second}},
			Expect: Expect{Streams: Exactly(1), SYNs: Exactly(1), RSTs: Exactly(0), Requests: Exactly(1), Responses: Exactly(1)},
		},
		{
			Name: "dns_lookup",
			Shows: "a Go client resolves " + DNSName + " (A and AAAA in parallel) with the lab's DNS responder, " +
				"which delays answers 150 ms, then GETs / from the answered address",
			ServerHelper: []string{"dns-web-server", "-delay", "150ms"},
			Steps:        []Step{{Argv: []string{"{SELF}", "helper", "dns-client", "-name", DNSName}}},
			Expect:       Expect{Streams: Exactly(1), SYNs: Exactly(1), RSTs: Exactly(0), Requests: Exactly(1), Responses: Exactly(1)},
		},
		{
			Name: "dns_tcp_lookup",
			Shows: "the same over TCP: the Go resolver, told to use TCP, opens one connection to port 53 per question " +
				"(A and AAAA in parallel), each answered 150 ms late, then the GET follows",
			ServerHelper: []string{"dns-web-server", "-delay", "150ms"},
			Steps:        []Step{{Argv: []string{"{SELF}", "helper", "dns-client", "-name", DNSName, "-tcp"}}},
			Expect:       Expect{Streams: Exactly(3), SYNs: Exactly(3), RSTs: Exactly(0), Requests: Exactly(1), Responses: Exactly(1)},
		},
	}
}

// helperPushServer serves /status (a small answer), /longpoll (held for
// -hold, then 204) and /sse (-events Server-Sent Events, one every -every).
func helperPushServer(fs *flag.FlagSet, args []string, out io.Writer) error {
	listen := fs.String("listen", ServerAddr(ServerPort), "listen address")
	hold := fs.Duration("hold", 6*time.Second, "how long /longpoll holds a request")
	events := fs.Int("events", 32, "events /sse sends (at most 600)")
	every := fs.Duration("every", time.Second, "interval between /sse events")
	max := fs.Duration("max", 90*time.Second, "wall-clock limit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	limit(*max, "push-server")
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	n := min(max0(*events), 600)
	mux := http.NewServeMux()
	mux.HandleFunc("/status", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintln(w, `{"status":"unchanged"}`)
	})
	mux.HandleFunc("/longpoll", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(*hold):
		case <-r.Context().Done():
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("/sse", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-cache")
		fl, _ := w.(http.Flusher)
		for i := 1; i <= n; i++ {
			fmt.Fprintf(w, "id: %d\nevent: tick\ndata: {\"n\":%d}\n\n", i, i)
			if fl != nil {
				fl.Flush()
			}
			if i == n {
				break
			}
			select {
			case <-time.After(*every):
			case <-r.Context().Done():
				return
			}
		}
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 30 * time.Second}
	return srv.Serve(ln)
}

func max0(n int) int {
	if n < 0 {
		return 0
	}
	return n
}

// helperDNSWebServer answers DNS queries on port 53 of the server address,
// over UDP and over TCP (A for -name → the server address, an empty
// NOERROR for other types of that name, NXDOMAIN otherwise; each answer
// delayed by -delay) and serves HTTP on the usual port.
func helperDNSWebServer(fs *flag.FlagSet, args []string, out io.Writer) error {
	listen := fs.String("listen", ServerAddr(ServerPort), "HTTP listen address")
	dnsAddr := fs.String("dns", ServerIP+":53", "DNS listen address (UDP and TCP)")
	name := fs.String("name", DNSName, "the name answered")
	delay := fs.Duration("delay", 0, "delay before each DNS answer (at most 5 s)")
	max := fs.Duration("max", 60*time.Second, "wall-clock limit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	limit(*max, "dns-web-server")
	pc, err := net.ListenPacket("udp", *dnsAddr)
	if err != nil {
		return fmt.Errorf("dns-web-server: %w", err)
	}
	ip := net.ParseIP(ServerIP).To4()
	d := min(*delay, 5*time.Second)
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			resp := dnsAnswer(buf[:n], strings.ToLower(*name), ip)
			if resp == nil {
				continue
			}
			time.AfterFunc(d, func() { _, _ = pc.WriteTo(resp, from) })
		}
	}()
	tl, err := net.Listen("tcp", *dnsAddr)
	if err != nil {
		return fmt.Errorf("dns-web-server: %w", err)
	}
	go serveDNSOverTCP(tl, strings.ToLower(*name), ip, d)
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "hello from %s\n", r.Host)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 30 * time.Second}
	return srv.Serve(ln)
}

// serveDNSOverTCP answers length-prefixed queries (RFC 1035 §4.2.2) on
// each connection accepted from ln, each after delay, until the client
// closes.
func serveDNSOverTCP(ln net.Listener, name string, ip net.IP, delay time.Duration) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			for {
				var n [2]byte
				if _, err := io.ReadFull(c, n[:]); err != nil {
					return
				}
				q := make([]byte, binary.BigEndian.Uint16(n[:]))
				if _, err := io.ReadFull(c, q); err != nil {
					return
				}
				resp := dnsAnswer(q, name, ip)
				if resp == nil {
					return
				}
				time.Sleep(delay)
				out := binary.BigEndian.AppendUint16(nil, uint16(len(resp)))
				if _, err := c.Write(append(out, resp...)); err != nil {
					return
				}
			}
		}()
	}
}

// dnsAnswer builds the response to one query (RFC 1035 §4.1), or nil when
// q is not a standard query with one question.
func dnsAnswer(q []byte, name string, ip net.IP) []byte {
	if len(q) < 12 || q[2]&0x80 != 0 || binary.BigEndian.Uint16(q[4:]) != 1 {
		return nil
	}
	var labels []string
	i := 12
	for i < len(q) && q[i] != 0 {
		l := int(q[i])
		if l > 63 || i+1+l > len(q) {
			return nil
		}
		labels = append(labels, string(q[i+1:i+1+l]))
		i += 1 + l
	}
	if i+5 > len(q) {
		return nil
	}
	qend := i + 5
	qtype := binary.BigEndian.Uint16(q[i+1:])
	r := append([]byte(nil), q[:qend]...)
	r[2] = 0x84 | q[2]&0x01 // QR, AA, RD copied
	r[3] = 0x80             // RA, NOERROR
	binary.BigEndian.PutUint16(r[6:], 0)
	binary.BigEndian.PutUint16(r[8:], 0)
	binary.BigEndian.PutUint16(r[10:], 0)
	switch {
	case strings.ToLower(strings.Join(labels, ".")) != name:
		r[3] |= 3 // NXDOMAIN
	case qtype == 1:
		binary.BigEndian.PutUint16(r[6:], 1)
		r = append(r, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4)
		r = append(r, ip...)
	}
	return r
}

// helperDNSClient resolves -name with a Go resolver that asks the lab's
// DNS responder (over UDP, or TCP with -tcp), then GETs / from the first
// IPv4 answer by name.
func helperDNSClient(fs *flag.FlagSet, args []string, out io.Writer) error {
	name := fs.String("name", DNSName, "name to resolve")
	server := fs.String("server", ServerIP+":53", "DNS server")
	overTCP := fs.Bool("tcp", false, "ask over TCP")
	max := fs.Duration("max", 20*time.Second, "wall-clock limit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	limit(*max, "dns-client")
	res := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		if *overTCP {
			return d.DialContext(ctx, "tcp", *server)
		}
		return d.DialContext(ctx, "udp", *server)
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	addrs, err := res.LookupHost(ctx, *name)
	if err != nil {
		return fmt.Errorf("dns-client: %w", err)
	}
	var ip string
	for _, a := range addrs {
		if net.ParseIP(a).To4() != nil {
			ip = a
			break
		}
	}
	if ip == "" {
		return fmt.Errorf("dns-client: no IPv4 answer for %s: %v", *name, addrs)
	}
	tr := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", net.JoinHostPort(ip, strconv.Itoa(ServerPort)))
	}}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get("http://" + *name + ":" + strconv.Itoa(ServerPort) + "/")
	if err != nil {
		return fmt.Errorf("dns-client: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	fmt.Fprintf(out, "%s -> %s: %s\n", *name, ip, resp.Status)
	return nil
}
