package lab

import (
	"bytes"
	"image/png"
	"strings"
	"testing"
)

func TestBrowserPage(t *testing.T) {
	page := BrowserPage()
	if n, want := len(page), 1+BrowserCSS+BrowserJS+BrowserImages; n != want {
		t.Fatalf("%d assets, want %d", n, want)
	}
	if page[0].Path != BrowserPagePath {
		t.Fatalf("first asset %s, want the page %s", page[0].Path, BrowserPagePath)
	}
	html := string(page[0].Body)
	again := BrowserPage()
	seen := map[string]bool{}
	for i, a := range page[1:] {
		t.Run(a.Path, func(t *testing.T) {
			if seen[a.Path] {
				t.Error("duplicate path")
			}
			seen[a.Path] = true
			if n := strings.Count(html, `"`+a.Path+`"`); n != 1 {
				t.Errorf("page references it %d times, want 1", n)
			}
			if !bytes.Equal(a.Body, again[i+1].Body) {
				t.Error("content differs between calls")
			}
			if strings.HasSuffix(a.Path, ".png") {
				img, err := png.Decode(bytes.NewReader(a.Body))
				if err != nil {
					t.Fatalf("not a PNG: %v", err)
				}
				if len(a.Body) < 1<<10 || len(a.Body) > 5<<10 {
					t.Errorf("%d bytes, want a few KiB", len(a.Body))
				}
				if b := img.Bounds(); b.Dx() < 16 || b.Dx() != b.Dy() {
					t.Errorf("bounds %v", b)
				}
			}
		})
	}
	// An inline icon keeps Chromium from asking for /favicon.ico.
	if !strings.Contains(html, `rel="icon" href="data:,"`) {
		t.Error("page has no inline icon")
	}
}

func TestBrowserNginxConfig(t *testing.T) {
	conf, err := browserNginxConfig("/tmp/x")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"text/css css;", "application/javascript js;", "image/png png;", "text/html html;", "listen " + ServerAddr(ServerPort) + ";"} {
		if !strings.Contains(conf, want) {
			t.Errorf("config lacks %q", want)
		}
	}
}
