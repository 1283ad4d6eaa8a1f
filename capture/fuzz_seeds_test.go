package capture_test

import (
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"connscope/internal/hostile"
	"connscope/internal/pcapgen"
)

// TestWriteReadFileSeeds rewrites testdata/fuzz/FuzzReadFile: generated
// captures in every format and several link types, a gzip-compressed one,
// a file cut in the middle of a record, and the small hostile files
// (absurd pcapng block lengths, a 4 GiB pcap record) (go test -run
// TestWriteReadFileSeeds -update-fuzz-seeds).
func TestWriteReadFileSeeds(t *testing.T) {
	if f := flag.Lookup("update-fuzz-seeds"); f == nil || f.Value.String() != "true" {
		t.Skip("run with -update-fuzz-seeds to rewrite testdata/fuzz/FuzzReadFile")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzReadFile")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	seeds := map[string][]byte{}
	for i, o := range []pcapgen.Options{
		{Format: pcapgen.PcapMicro, Link: pcapgen.Ethernet},
		{Format: pcapgen.PcapNano, Link: pcapgen.QinQ, BigEndian: true},
		{Format: pcapgen.PcapNG, Link: pcapgen.SLL2, TSResol: 9},
		{Format: pcapgen.PcapNG, Link: pcapgen.Null, BigEndian: true},
		{Format: pcapgen.PcapMicro, Link: pcapgen.Raw, Snaplen: 60},
		{Format: pcapgen.PcapNG, Link: pcapgen.SLL, TSResol: 0x80 | 20},
	} {
		w := pcapgen.New(o)
		c := pcapgen.NewConn(w, cli6, srv6, t0)
		c.Handshake()
		c.ClientSend(payload)
		seg := c.Segment(false)
		seg.IPv6Ext = []uint8{pcapgen.ExtHopByHop, pcapgen.ExtFragment}
		c.Write(seg)
		c.Close()
		seeds[fmt.Sprintf("generated_%d", i)] = w.Bytes()
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(seeds["generated_0"])
	zw.Close()
	seeds["gzip"] = gz.Bytes()
	full := seeds["generated_2"]
	seeds["pcapng_cut_in_record"] = full[:len(full)-13]
	seeds["pcap_cut_in_record"] = seeds["generated_0"][:len(seeds["generated_0"])-7]
	for _, k := range []hostile.Kind{hostile.PcapngHugeBlock, hostile.PcapngCaplenOverBlock, hostile.PcapngHugeOption, hostile.PcapngManyInterfaces, hostile.PcapHugeRecord} {
		var b bytes.Buffer
		if err := hostile.Write(&b, k, 3); err != nil {
			t.Fatal(err)
		}
		seeds["hostile_"+string(k)] = b.Bytes()
	}
	for name, data := range seeds {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\n", strconv.Quote(string(data)))
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
