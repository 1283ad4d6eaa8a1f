package archtest

import (
	"bytes"
	"encoding/json"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

type pkg struct {
	ImportPath string
	Dir        string
	Name       string
	Doc        string
	GoFiles    []string
	Imports    []string
	Deps       []string
	Standard   bool
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go command not found")
	}
	cmd := exec.Command("go", "list", "-deps=false", "-json", "connscope/...")
	cmd.Dir = moduleRoot(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var ps []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	// Deps need a second listing.
	cmd = exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Deps \" \"}}", "connscope/...")
	cmd.Dir = moduleRoot(t)
	out, err = cmd.Output()
	if err != nil {
		t.Fatalf("go list deps: %v", err)
	}
	deps := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) > 0 {
			deps[f[0]] = f[1:]
		}
	}
	for i := range ps {
		ps[i].Deps = deps[ps[i].ImportPath]
	}
	return ps
}

func moduleRoot(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found")
		}
		dir = parent
	}
}

// TestPackageDocs: every package has a doc.go whose package comment says
// what the package is for (at least a couple of sentences).
func TestPackageDocs(t *testing.T) {
	for _, p := range listPackages(t) {
		t.Run(p.ImportPath, func(t *testing.T) {
			docFile := filepath.Join(p.Dir, "doc.go")
			src, err := os.ReadFile(docFile)
			if p.Name == "main" {
				// A command documents itself in main.go or doc.go.
				if err != nil {
					src, err = os.ReadFile(filepath.Join(p.Dir, "main.go"))
				}
			}
			if err != nil {
				t.Fatalf("package has no doc.go: %v", err)
			}
			f, err := parser.ParseFile(token.NewFileSet(), docFile, src, parser.ParseComments|parser.PackageClauseOnly)
			if err != nil {
				t.Fatal(err)
			}
			if f.Doc == nil || len(strings.Fields(f.Doc.Text())) < 12 {
				t.Errorf("package comment missing or too short in %s", docFile)
			}
		})
	}
}

func hasDep(p pkg, prefix string) string {
	for _, d := range p.Deps {
		if d == prefix || strings.HasPrefix(d, prefix+"/") {
			return d
		}
	}
	return ""
}

// TestImportRules enforces the layering of ARCHITECTURE.md.
func TestImportRules(t *testing.T) {
	ps := listPackages(t)
	for _, p := range ps {
		ip := p.ImportPath
		under := func(root string) bool { return ip == root || strings.HasPrefix(ip, root+"/") }
		check := func(forbidden, why string) {
			if d := hasDep(p, forbidden); d != "" {
				t.Errorf("%s depends on %s: %s", ip, d, why)
			}
		}
		if under("connscope/analysis") {
			check("github.com/gopacket/gopacket", "analysers see typed events only")
			check("connscope/reassembly", "analysers see typed events only")
			check("connscope/capture", "analysers see typed events only")
		}
		if ip == "connscope/report" || ip == "connscope/httpdecode" || ip == "connscope/flow" {
			for _, d := range p.Deps {
				if ip == "connscope/report" && (d == "github.com/klauspost/compress/s2" || strings.HasPrefix(d, "github.com/klauspost/compress/internal/")) {
					continue // the record log compresses its spill file
				}
				if strings.Contains(strings.SplitN(d, "/", 2)[0], ".") || strings.HasPrefix(d, "connscope/") {
					t.Errorf("%s must use only the standard library, depends on %s", ip, d)
				}
			}
		}
		if !under("connscope/tui") && !under("connscope/internal/cli") && !under("connscope/cmd") {
			check("github.com/gdamore/tcell", "only tui draws on the terminal")
			check("github.com/rivo/tview", "only tui draws on the terminal")
		}
		if !under("connscope/capture") && !strings.HasSuffix(ip, "pcapgen") && !under("connscope/internal/lab") {
			check("github.com/gopacket/gopacket/pcap", "only capture talks to libpcap")
		}
		if under("connscope/capture") || under("connscope/reassembly") || under("connscope/httpdecode") || under("connscope/analysis") || under("connscope/report") || under("connscope/flow") {
			check("github.com/spf13/cobra", "libraries do not parse flags")
		}
	}
}

// TestNoWallClockBelowPipeline: library stages never read the wall clock;
// time comes from packets (ARCHITECTURE.md invariant 2).
func TestNoWallClockBelowPipeline(t *testing.T) {
	root := moduleRoot(t)
	for _, dir := range []string{"flow", "capture", "reassembly", "httpdecode", "analysis", "report"} {
		_ = filepath.Walk(filepath.Join(root, dir), func(path string, info os.FileInfo, err error) error {
			if err != nil || info.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			src, err := os.ReadFile(path)
			if err != nil {
				t.Error(err)
				return nil
			}
			for _, bad := range []string{"time.Now(", "time.Since(", "time.Until(", "time.Tick(", "time.NewTicker(", "time.After("} {
				if bytes.Contains(src, []byte(bad)) && !strings.Contains(path, "/live") {
					t.Errorf("%s calls %s: only internal/pipeline, internal/cli and tui may read the wall clock", path, bad)
				}
			}
			return nil
		})
	}
}
