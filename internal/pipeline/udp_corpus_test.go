package pipeline_test

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"connscope/capture"
	"connscope/internal/corpus"
	"connscope/internal/pipeline"
	"connscope/report"
)

// quicCorpus lists the corpus captures whose manifest row mentions QUIC,
// each with the Zeek quic.log baselines it references.
func quicCorpus(t *testing.T, dir string) map[string][]string {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "MANIFEST.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 9 || cols[5] == "-" || cols[5] == "link_type" {
			continue
		}
		if !strings.Contains(strings.ToLower(cols[0]+" "+cols[8]), "quic") {
			continue
		}
		var logs []string
		if _, refs, ok := strings.Cut(cols[8], "references:"); ok {
			for _, r := range strings.Split(refs, ",") {
				r = strings.TrimSpace(r)
				if strings.HasSuffix(r, "/quic.log") {
					logs = append(logs, filepath.Join(filepath.Dir(filepath.Join(dir, cols[0])), r))
				}
			}
		}
		out[filepath.Join(dir, cols[0])] = logs
	}
	return out
}

type zeekQUIC struct{ client, server, version, sni, alpn string }

// readZeekQUIC reads the rows of a Zeek quic.log baseline.
func readZeekQUIC(t *testing.T, path string) []zeekQUIC {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var fields []string
	var rows []zeekQUIC
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "#fields\t"); ok {
			fields = strings.Split(rest, "\t")
			continue
		}
		if line == "" || line[0] == '#' || fields == nil {
			continue
		}
		v := map[string]string{}
		for i, x := range strings.Split(line, "\t") {
			if i < len(fields) {
				v[fields[i]] = x
			}
		}
		ep := func(h, p string) string {
			if strings.Contains(h, ":") {
				return "[" + h + "]:" + p
			}
			return h + ":" + p
		}
		z := zeekQUIC{
			client:  ep(v["id.orig_h"], v["id.orig_p"]),
			server:  ep(v["id.resp_h"], v["id.resp_p"]),
			version: v["version"],
			sni:     v["server_name"],
			alpn:    v["client_protocol"],
		}
		switch z.version {
		case "quicv2":
			z.version = "2"
		}
		if z.sni == "-" {
			z.sni = ""
		}
		if z.alpn == "-" {
			z.alpn = ""
		}
		rows = append(rows, z)
	}
	return rows
}

// runFile analyses a corpus capture on one goroutine (Workers 1). It also
// analyses it in stages with the records in a record log that spills
// every few kilobytes, and fails the test when that gives different JSON.
func runFile(t *testing.T, path string) *report.Report {
	t.Helper()
	run := func(rl pipeline.RecordLogConfig, workers int) *report.Report {
		src, err := capture.OpenFiles([]string{path}, capture.Options{})
		if err != nil {
			t.Skipf("unreadable capture: %v", err)
		}
		defer src.Close()
		cfg := pipeline.DefaultConfig()
		cfg.RecordLog = rl
		cfg.Workers = workers
		rep, _ := pipeline.Run(context.Background(), src, cfg)
		return rep
	}
	rep := run(pipeline.RecordLogConfig{}, 1)
	logged := run(pipeline.RecordLogConfig{On: true, Memory: 4096, Dir: t.TempDir()}, 2)
	defer logged.Deferred.Close()
	var a, b bytes.Buffer
	if err := report.WriteJSON(&a, rep); err != nil {
		t.Fatal(err)
	}
	if err := report.WriteJSON(&b, logged); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("the run in stages with a record log gave different JSON")
	}
	return rep
}

// TestQUICCorpus runs every QUIC capture of the corpus (no panic, counted
// anomalies only) and compares version, SNI and first ALPN with Zeek's
// quic.log where a baseline exists.
func TestQUICCorpus(t *testing.T) {
	dir := corpus.Dir(t)
	files := quicCorpus(t, dir)
	names := make([]string, 0, len(files))
	for f := range files {
		names = append(names, f)
	}
	sort.Strings(names)
	var rows, agree, withSNI, conns, skipped, unknown int
	_, tsErr := exec.LookPath("tshark")
	var tsHellos, tsAgree int
	for _, path := range names {
		rel, _ := filepath.Rel(dir, path)
		t.Run(rel, func(t *testing.T) {
			rep := runFile(t, path)
			if rep.Capture.Decoded == 0 {
				for _, log := range files[path] {
					skipped += len(readZeekQUIC(t, log))
				}
				t.Skipf("no packet decoded (anomalies %v)", rep.Capture.Anomalies)
			}
			byPair := map[string]*report.Connection{}
			for i := range rep.Connections {
				c := &rep.Connections[i]
				if c.Transport != "udp" {
					continue
				}
				conns++
				if c.QUIC != nil && c.QUIC.SNI != "" {
					withSNI++
				}
				if byPair[c.Client+" "+c.Server] == nil {
					byPair[c.Client+" "+c.Server] = c
				}
			}
			if tsErr == nil {
				for _, h := range tsharkQUICHellos(t, path) {
					tsHellos++
					if c := byClient(rep, h[0]); c != nil && c.QUIC.SNI == h[1] {
						tsAgree++
					} else {
						t.Errorf("tshark ClientHello from %s with SNI %q: not found", h[0], h[1])
					}
				}
			}
			for _, log := range files[path] {
				for _, z := range readZeekQUIC(t, log) {
					rows++
					if strings.HasPrefix(z.version, "unknown") {
						// Zeek logs a crafted long header of an unknown
						// version as a connection; we track only versions
						// we can read, so there is nothing to compare.
						unknown++
						continue
					}
					c := byPair[z.client+" "+z.server]
					if c == nil {
						t.Errorf("zeek connection %s → %s not found", z.client, z.server)
						continue
					}
					alpn := ""
					if len(c.QUIC.ALPN) > 0 {
						alpn = c.QUIC.ALPN[0]
					}
					if c.QUIC.Version == z.version && c.QUIC.SNI == z.sni && alpn == z.alpn {
						agree++
						continue
					}
					t.Errorf("%s: got version %q sni %q alpn %q, zeek %q %q %q", z.client, c.QUIC.Version, c.QUIC.SNI, alpn, z.version, z.sni, z.alpn)
				}
			}
		})
	}
	t.Logf("QUIC corpus: %d captures, %d QUIC connections (%d with SNI); zeek quic.log: %d/%d rows agree on version, SNI and first ALPN (%d rows of an unknown version not compared; %d in captures whose link type is not decoded)",
		len(names), conns, withSNI, agree, rows-unknown, unknown, skipped)
	if tsErr == nil {
		t.Logf("tshark QUIC ClientHellos: %d/%d found with the same client endpoint and SNI", tsAgree, tsHellos)
	}
}

// tsharkQUICHellos lists (client endpoint, SNI) of the QUIC ClientHellos
// tshark decrypts in a capture.
func tsharkQUICHellos(t *testing.T, path string) [][2]string {
	t.Helper()
	out, err := exec.Command("tshark", "-n", "-r", path, "-Y", "quic && tls.handshake.type == 1", "-T", "fields",
		"-e", "ip.src", "-e", "ipv6.src", "-e", "udp.srcport", "-e", "tls.handshake.extensions_server_name").Output()
	if err != nil && len(out) == 0 {
		return nil // tshark cannot read every link type; our reader is tested above
	}
	seen := map[[2]string]bool{}
	var res [][2]string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "\t")
		if len(f) < 4 {
			continue
		}
		first := func(s string) string { v, _, _ := strings.Cut(s, ","); return v }
		ep := first(f[0]) + ":" + first(f[2])
		if f[0] == "" {
			ep = "[" + first(f[1]) + "]:" + first(f[2])
		}
		h := [2]string{ep, first(f[3])}
		if !seen[h] {
			seen[h] = true
			res = append(res, h)
		}
	}
	return res
}

// byClient returns the QUIC connection of a client endpoint that has an
// SNI, else the first one of that endpoint.
func byClient(rep *report.Report, client string) *report.Connection {
	var first *report.Connection
	for i := range rep.Connections {
		c := &rep.Connections[i]
		if c.Transport != "udp" || c.Client != client || c.QUIC == nil {
			continue
		}
		if c.QUIC.SNI != "" {
			return c
		}
		if first == nil {
			first = c
		}
	}
	return first
}
