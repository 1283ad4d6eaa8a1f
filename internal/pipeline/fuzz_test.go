package pipeline_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"connscope/capture"
	"connscope/internal/pcapgen"
	"connscope/internal/pipeline"
	"connscope/report"
	"connscope/report/reporttest"
)

// fuzzPayloads are the canned payloads FuzzPipeline's operations pick from
// when they do not take fuzz bytes.
var fuzzPayloads = [][]byte{
	[]byte("GET /a HTTP/1.1\r\nHost: fuzz.example\r\n\r\n"),
	[]byte("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"),
	[]byte("POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
	[]byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x05hello"),
	[]byte("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"),
	[]byte("HTTP/1.0 200 OK\r\n\r\nclose-delimited"),
	[]byte("\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00"),
	[]byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00"),
}

// buildFuzzCapture turns fuzz bytes into a capture. data[0] picks the
// file format and link type; the next byte the number of operations;
// then every 4 bytes are one operation on one of four connections (two
// IPv4, two IPv6, two of them sharing a server): handshake, data from a
// canned payload or from the fuzz bytes after the operations, FIN, RST,
// a segment at a crafted offset (retransmission, overlap, hole), a time
// jump, a SYN on a reused tuple, or a UDP datagram.
func buildFuzzCapture(data []byte) []byte {
	if len(data) < 2 {
		return nil
	}
	formats := []pcapgen.Format{pcapgen.PcapMicro, pcapgen.PcapNano, pcapgen.PcapNG}
	links := []pcapgen.Link{pcapgen.Ethernet, pcapgen.SLL2, pcapgen.Raw, pcapgen.EthernetVLAN}
	w := pcapgen.New(pcapgen.Options{Format: formats[int(data[0])%3], Link: links[int(data[0]>>2)%len(links)], Snaplen: []int{0, 0, 0, 96}[int(data[0]>>4)%4]})
	t0 := time.Unix(1700000000, 0)
	eps := [][2]netip.AddrPort{
		{netip.MustParseAddrPort("192.0.2.1:40000"), netip.MustParseAddrPort("192.0.2.2:80")},
		{netip.MustParseAddrPort("192.0.2.1:40001"), netip.MustParseAddrPort("192.0.2.2:80")},
		{netip.MustParseAddrPort("[2001:db8::1]:50000"), netip.MustParseAddrPort("[2001:db8::2]:8080")},
		{netip.MustParseAddrPort("[2001:db8::3]:50001"), netip.MustParseAddrPort("[2001:db8::2]:443")},
	}
	conns := make([]*pcapgen.Conn, len(eps))
	now := t0
	for i, e := range eps {
		conns[i] = pcapgen.NewConn(w, e[0], e[1], t0)
		conns[i].SetISN(0xFFFFFF00-uint32(i)*1000, 0x7FFFFFF0+uint32(i))
	}
	nops := int(data[1])
	body := data[2:]
	if len(body) > 4*nops {
		body = data[2 : 2+4*nops]
	}
	pool := data[2+len(body):]
	take := func(n int) []byte {
		if len(pool) == 0 {
			return fuzzPayloads[n%len(fuzzPayloads)]
		}
		n = min(n, len(pool))
		p := pool[:n]
		pool = pool[n:]
		return p
	}
	for ; len(body) >= 4; body = body[4:] {
		c := conns[body[0]&3]
		fromClient := body[0]&4 == 0
		arg := int(body[2])<<8 | int(body[3])
		c.Now = now
		switch body[1] % 12 {
		case 0:
			c.Handshake(time.Duration(arg) * time.Microsecond)
		case 1:
			c.Send(fromClient, pcapgen.ACK|pcapgen.PSH, fuzzPayloads[arg%len(fuzzPayloads)])
		case 2:
			c.Send(fromClient, pcapgen.ACK|pcapgen.PSH, take(1+arg%512))
		case 3:
			c.Send(fromClient, pcapgen.FIN|pcapgen.ACK, nil)
		case 4:
			c.Send(fromClient, pcapgen.RST|pcapgen.ACK, nil)
		case 5:
			// A segment at an offset from the sender's next sequence
			// number: a retransmission, an overlap or a hole.
			s := c.Segment(fromClient)
			s.Seq += uint32(int32(int16(arg)))
			s.Payload = take(1 + int(body[3])%300)
			c.Write(s)
		case 6:
			now = now.Add(time.Duration(arg) * time.Millisecond * 10)
		case 7:
			c.Send(fromClient, pcapgen.ACK, nil)
		case 8:
			c.SetISN(c.ClientISN+uint32(arg)*100000, c.ServerISN+uint32(arg))
			c.Send(true, pcapgen.SYN, nil)
		case 9:
			c.Close()
		case 10:
			src, dst := c.Client, netip.AddrPortFrom(c.Server.Addr(), []uint16{53, 443, 5353, 123}[arg%4])
			if !fromClient {
				src, dst = dst, src
			}
			w.WriteSegment(c.Now, pcapgen.UDP(src, dst, take(1+arg%200)))
			c.Advance(c.Step)
		case 11:
			s := c.Segment(fromClient)
			s.Window = 0
			c.Write(s)
		}
		now = c.Now
	}
	return w.Bytes()
}

// fuzzConfigs are the configurations FuzzPipeline runs: the defaults and
// small limits that every input can reach.
func fuzzConfigs() []pipeline.Config {
	small := pipeline.DefaultConfig()
	small.Tracker.MaxConns = 2
	small.Tracker.MaxBufferPerDir = 400
	small.Tracker.MaxBufferTotal = 600
	small.Tracker.IdleTimeout = 3 * time.Second
	small.HTTP.MaxHeaderBytes = 128
	small.HTTP.MaxPending = 2
	small.Analysis.MaxPeers = 2
	staged := pipeline.DefaultConfig()
	staged.Workers = 2
	return []pipeline.Config{staged, small}
}

// loggedConfig is the default configuration on one goroutine with the
// records in a record log that spills after every few records and takes
// each transaction ahead of its connection's record: its report must be
// that of the default configuration in stages.
func loggedConfig() pipeline.Config {
	cfg := pipeline.DefaultConfig()
	cfg.Workers = 1
	cfg.RecordLog = pipeline.RecordLogConfig{On: true, Memory: 1024, TransactionsAhead: 1}
	return cfg
}

func runFuzzCapture(t *testing.T, file []byte, cfg pipeline.Config) []byte {
	t.Helper()
	src, err := capture.OpenReader("fuzz.pcap", bytes.NewReader(file))
	if err != nil {
		t.Fatalf("generated capture refused: %v", err)
	}
	rep, err := pipeline.Run(context.Background(), src, cfg)
	src.Close()
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	defer rep.Deferred.Close()
	var buf bytes.Buffer
	if err := report.WriteJSON(&buf, rep); err != nil {
		t.Fatalf("WriteJSON: %v", err)
	}
	return buf.Bytes()
}

// FuzzPipeline builds a capture from the fuzz bytes with pcapgen, runs the
// whole pipeline (capture, reassembly, HTTP and other decoders, every
// analyser) and writes the JSON report. Checks: no panic, the report is
// valid against its schema, a second run gives the same bytes, and so
// does a run on one goroutine whose records go through a record log that
// spills often and takes transactions ahead of their connections.
func FuzzPipeline(f *testing.F) {
	for _, s := range pipelineSeeds() {
		f.Add(s.data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file := buildFuzzCapture(data)
		if file == nil {
			return
		}
		var first []byte
		for i, cfg := range fuzzConfigs() {
			a := runFuzzCapture(t, file, cfg)
			if err := reporttest.ValidateBytes(a); err != nil {
				t.Fatalf("%v\n%s", err, a)
			}
			if b := runFuzzCapture(t, file, cfg); !bytes.Equal(a, b) {
				t.Fatalf("two runs differ:\n%s\n---\n%s", a, b)
			}
			if i == 0 {
				first = a
			}
		}
		if b := runFuzzCapture(t, file, loggedConfig()); !bytes.Equal(first, b) {
			t.Fatalf("the report of a run with a record log differs:\n%s\n---\n%s", first, b)
		}
	})
}

type pipelineSeed struct {
	name string
	data []byte
}

// pop encodes one FuzzPipeline operation.
func pop(conn int, server bool, kind int, arg uint16) []byte {
	b := byte(conn & 3)
	if server {
		b |= 4
	}
	return []byte{b, byte(kind), byte(arg >> 8), byte(arg)}
}

func pseed(name string, format byte, pool string, list ...[]byte) pipelineSeed {
	b := []byte{format, byte(len(list))}
	for _, o := range list {
		b = append(b, o...)
	}
	return pipelineSeed{name, append(b, pool...)}
}

func pipelineSeeds() []pipelineSeed {
	return []pipelineSeed{
		pseed("http_exchange_close", 0, "",
			pop(0, false, 0, 500), pop(0, false, 1, 0), pop(0, true, 1, 1), pop(0, false, 9, 0)),
		pseed("keepalive_two_requests", 6, "",
			pop(1, false, 0, 800), pop(1, false, 1, 0), pop(1, true, 1, 1), pop(1, false, 1, 0), pop(1, true, 1, 1), pop(1, true, 3, 0), pop(1, false, 3, 0)),
		pseed("refused_and_reset", 1, "",
			pop(0, false, 8, 0), pop(0, true, 4, 0), pop(2, false, 0, 100), pop(2, false, 1, 2), pop(2, true, 4, 0)),
		pseed("fuzz_bytes_payload", 2, "GET / HTTP/1.1\r\nHost: \x1b]0;t\x07\r\n\r\nHTTP/1.1 200 \x9b2J\r\nContent-Length: 3\r\n\r\nabc",
			pop(3, false, 0, 50), pop(3, false, 2, 40), pop(3, true, 2, 50), pop(3, true, 3, 0)),
		pseed("overlap_and_hole", 8, "0123456789abcdefghijklmnopqrstuvwxyz",
			pop(0, false, 0, 10), pop(0, false, 5, 10), pop(0, false, 5, 0xFFF0), pop(0, false, 2, 20), pop(0, true, 7, 0), pop(0, false, 4, 0)),
		pseed("websocket_upgrade", 12, "",
			pop(1, false, 0, 10), pop(1, false, 1, 4), pop(1, true, 1, 3), pop(1, false, 6, 500), pop(1, true, 9, 0)),
		pseed("udp_dns_quic", 5, "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07example\x03com\x00\x00\x01\x00\x01",
			pop(2, false, 10, 0), pop(2, true, 10, 0), pop(3, false, 10, 1)),
		pseed("idle_timeout_and_reuse", 3, "",
			pop(0, false, 0, 10), pop(0, false, 1, 0), pop(0, false, 6, 0xFFFF), pop(0, false, 8, 3), pop(0, true, 0, 1), pop(0, false, 11, 0)),
		pseed("snaplen_cut", 0x30, "",
			pop(0, false, 0, 10), pop(0, false, 1, 2), pop(0, true, 1, 1), pop(0, false, 9, 0)),
	}
}

// TestWritePipelineSeeds rewrites testdata/fuzz/FuzzPipeline (go test
// -run TestWritePipelineSeeds -update-fuzz-seeds).
func TestWritePipelineSeeds(t *testing.T) {
	if !*updateSeeds {
		t.Skip("run with -update-fuzz-seeds to rewrite testdata/fuzz/FuzzPipeline")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzPipeline")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, s := range pipelineSeeds() {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\n", strconv.Quote(string(s.data)))
		if err := os.WriteFile(filepath.Join(dir, s.name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

var updateSeeds = flag.Bool("update-fuzz-seeds", false, "rewrite the committed fuzz seed corpora under testdata/fuzz")
