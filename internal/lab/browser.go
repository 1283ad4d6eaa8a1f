package lab

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The real-browser page-load scenario and its server helper.
func init() {
	helpers["browser-nginx"] = helperBrowserNginx
}

// Shape of the page the browser scenario loads: BrowserCSS stylesheets,
// BrowserJS scripts and BrowserImages PNG images, all referenced from
// /page.html.
const (
	BrowserCSS    = 3
	BrowserJS     = 3
	BrowserImages = 24
)

// BrowserPagePath is the URL path of the page the browser loads.
const BrowserPagePath = "/page.html"

// BrowserAsset is one file of the browser scenario's document root.
type BrowserAsset struct {
	Path string // URL path, e.g. "/img/07.png"
	Body []byte
}

// BrowserPage returns the page (first) and its BrowserCSS + BrowserJS +
// BrowserImages subresources in the order the page references them. The
// content is deterministic: text is generated from fixed strings and the
// images from a seeded generator, so every run serves the same bytes.
func BrowserPage() []BrowserAsset {
	var subs []BrowserAsset
	for i := 1; i <= BrowserCSS; i++ {
		var b strings.Builder
		fmt.Fprintf(&b, "/* connscope lab stylesheet %d */\n", i)
		for j := 0; j < 40*i; j++ {
			fmt.Fprintf(&b, ".c%d-%d { margin: %dpx; padding: %dpx; color: #%06x; }\n", i, j, j%8, j%5, (i*7919+j*104729)&0xffffff)
		}
		subs = append(subs, BrowserAsset{fmt.Sprintf("/css/style%d.css", i), []byte(b.String())})
	}
	for i := 1; i <= BrowserJS; i++ {
		var b strings.Builder
		fmt.Fprintf(&b, "// connscope lab script %d\n(function () {\n  var t = [];\n", i)
		for j := 0; j < 30*i; j++ {
			fmt.Fprintf(&b, "  t.push(%d * %d + %d);\n", i, j, j%7)
		}
		fmt.Fprintf(&b, "  document.documentElement.setAttribute('data-script%d', String(t.length));\n})();\n", i)
		subs = append(subs, BrowserAsset{fmt.Sprintf("/js/app%d.js", i), []byte(b.String())})
	}
	for i := 1; i <= BrowserImages; i++ {
		subs = append(subs, BrowserAsset{fmt.Sprintf("/img/%02d.png", i), browserImage(i)})
	}

	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>connscope lab page</title>\n")
	// An inline icon: without it Chromium asks for /favicon.ico after the
	// load event and --dump-dom exits while that request may still be
	// unanswered (the late 404 is then reset), a run-to-run race.
	b.WriteString("<link rel=\"icon\" href=\"data:,\">\n")
	for _, a := range subs {
		if strings.HasSuffix(a.Path, ".css") {
			fmt.Fprintf(&b, "<link rel=\"stylesheet\" href=\"%s\">\n", a.Path)
		}
	}
	b.WriteString("</head><body>\n<h1>connscope lab page</h1>\n")
	for _, a := range subs {
		if strings.HasSuffix(a.Path, ".png") {
			fmt.Fprintf(&b, "<img src=\"%s\" width=\"32\" height=\"32\" alt=\"\">\n", a.Path)
		}
	}
	for _, a := range subs {
		if strings.HasSuffix(a.Path, ".js") {
			fmt.Fprintf(&b, "<script src=\"%s\"></script>\n", a.Path)
		}
	}
	b.WriteString("</body></html>\n")
	return append([]BrowserAsset{{BrowserPagePath, []byte(b.String())}}, subs...)
}

// browserImage renders image n: a square of 22..36 pixels of seeded RGB
// noise, 1.5..4 KiB as PNG (noise does not compress).
func browserImage(n int) []byte {
	side := 22 + (n%8)*2
	r := rand.New(rand.NewPCG(uint64(n), 0x636f6e6e73636f70))
	img := image.NewNRGBA(image.Rect(0, 0, side, side))
	for y := 0; y < side; y++ {
		for x := 0; x < side; x++ {
			v := r.Uint32()
			img.SetNRGBA(x, y, color.NRGBA{R: uint8(v), G: uint8(v >> 8), B: uint8(v >> 16), A: 255})
		}
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, img) // writing to a bytes.Buffer cannot fail
	return buf.Bytes()
}

// browserTypes are the MIME types the browser scenario's nginx adds to the
// generated configuration, so that Chromium accepts the stylesheets and
// scripts.
const browserTypes = "text/css css; application/javascript js; image/png png; image/x-icon ico; "

// browserScenarios returns the headless Chromium page-load scenario.
func browserScenarios() []Scenario {
	chromium := []string{"timeout", "-k", "2", "10", "chromium",
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-features=NetworkPrediction,OptimizationHints",
		"--user-data-dir={DIR}/chromium-profile", "--dump-dom", "{URL}" + BrowserPagePath}
	subs := BrowserCSS + BrowserJS + BrowserImages
	return []Scenario{
		{
			Name: "browser_page",
			Shows: fmt.Sprintf("headless Chromium loads a page with %d subresources (%d CSS, %d JS, %d small PNGs) "+
				"from nginx over HTTP/1.1: up to 6 parallel keep-alive connections, each reused for several requests",
				subs, BrowserCSS, BrowserJS, BrowserImages),
			ServerHelper: []string{"browser-nginx"},
			// timeout(1) bounds the browser at 10 s (SIGKILL 2 s later).
			Steps:  []Step{{Argv: chromium, Timeout: 20 * time.Second}},
			Settle: 500 * time.Millisecond,
			// One page plus every subresource on at most 6 connections
			// (Chromium's HTTP/1.1 limit per host); the browser closes them
			// all with FIN when it exits.
			Expect: Expect{Streams: Range{2, 6}, SYNs: Range{2, 6}, RSTs: Exactly(0),
				Requests: Exactly(1 + subs), Responses: Exactly(1 + subs)},
		},
	}
}

// helperBrowserNginx writes the standard document root plus BrowserPage
// into a temporary directory and runs nginx (default keep-alive settings)
// in the foreground until stopped.
func helperBrowserNginx(fs *flag.FlagSet, args []string, out io.Writer) error {
	max := fs.Duration("max", 60*time.Second, "wall-clock limit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	limit(*max, "browser-nginx")
	d, err := os.MkdirTemp("", "connscope-browser-nginx-")
	if err != nil {
		return fmt.Errorf("browser-nginx: %w", err)
	}
	defer os.RemoveAll(d)
	if err := WriteDocroot(d); err != nil {
		return err
	}
	for _, a := range BrowserPage() {
		p := filepath.Join(d, "www", filepath.FromSlash(a.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("browser-nginx: %w", err)
		}
		if err := os.WriteFile(p, a.Body, 0o644); err != nil {
			return fmt.Errorf("browser-nginx: %w", err)
		}
	}
	conf, err := browserNginxConfig(d)
	if err != nil {
		return err
	}
	return runNginx("browser-nginx", d, conf, out)
}

// browserNginxConfig is NginxConfig with the CSS, JavaScript, PNG and icon
// MIME types added.
func browserNginxConfig(dir string) (string, error) {
	conf := NginxConfig(dir, ServerAddr(ServerPort), NginxOptions{})
	const anchor = "  types { "
	if !strings.Contains(conf, anchor) {
		return "", errors.New("browser-nginx: generated nginx.conf has no types block")
	}
	return strings.Replace(conf, anchor, anchor+browserTypes, 1), nil
}
