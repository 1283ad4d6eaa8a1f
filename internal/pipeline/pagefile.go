package pipeline

import (
	"fmt"
	"os"
	"slices"
	"sync"
)

// pageFile is the analysis.PageStore of an offline run with a record log:
// the full pages of the analysers' histories (reuse, timewait and peers
// keep a row per connection until Finish) go to a temporary file in the
// record log's directory, so that what the run holds in memory follows the
// connections open rather than the capture's length. If the file cannot be
// created or written, the pages stay in memory (inMemory reports it) and
// nothing is lost. A page that cannot be read back is missing from its
// history and Err reports it.
type pageFile struct {
	dir           string
	f             *os.File
	size          int64
	locs          []pageLoc
	writeErr      error // the file could not be created or written: pages kept in memory since
	removeOnClose string
	closed        bool

	mu      sync.Mutex // Load runs on several goroutines (Engine.Finish)
	readErr error
}

// pageLoc is where a page is: n bytes at off in the file, or mem.
type pageLoc struct {
	off int64
	n   int
	mem []byte
}

func newPageFile(dir string) *pageFile { return &pageFile{dir: dir} }

// usePageFile gives the analysers of cfg a page file in the record log's
// directory, unless the caller gave them a PageStore (then it returns nil).
// Whoever gets it closes it (run.finish does).
func usePageFile(cfg *Config) *pageFile {
	if cfg.Analysis.Pages != nil {
		return nil
	}
	p := newPageFile(cfg.RecordLog.Dir)
	cfg.Analysis.Pages = p
	return p
}

// pagesErr returns err, or when it is nil the error reading the run's
// history pages back, if any.
func (r *run) pagesErr(err error) error {
	if err == nil && r.pages != nil {
		return r.pages.Err()
	}
	return err
}

// Put implements analysis.PageStore.
func (p *pageFile) Put(page []byte) int64 {
	ref := int64(len(p.locs))
	if p.f == nil && p.writeErr == nil {
		f, err := os.CreateTemp(p.dir, "connscope-history-*")
		if err != nil {
			p.writeErr = err
		} else {
			// Unlinked at once, like the record log's spill file.
			if os.Remove(f.Name()) != nil {
				p.removeOnClose = f.Name()
			}
			p.f = f
		}
	}
	if p.writeErr == nil {
		_, err := p.f.WriteAt(page, p.size)
		if err == nil {
			p.locs = append(p.locs, pageLoc{off: p.size, n: len(page)})
			p.size += int64(len(page))
			return ref
		}
		p.writeErr = err // the pages written so far stay readable
	}
	p.locs = append(p.locs, pageLoc{n: len(page), mem: slices.Clone(page)})
	return ref
}

// Load implements analysis.PageStore.
func (p *pageFile) Load(dst []byte, ref int64) []byte {
	l := p.locs[ref]
	if l.mem != nil {
		return append(dst, l.mem...)
	}
	n := len(dst)
	dst = slices.Grow(dst, l.n)[:n+l.n]
	if _, err := p.f.ReadAt(dst[n:], l.off); err != nil {
		p.mu.Lock()
		if p.readErr == nil {
			p.readErr = fmt.Errorf("reading the analysers' history pages back: %w; the reuse, TIME_WAIT and peer results miss some connections", err)
		}
		p.mu.Unlock()
		return dst[:n]
	}
	return dst
}

// inMemory reports whether pages had to be kept in memory.
func (p *pageFile) inMemory() bool { return p.writeErr != nil }

// Err returns the first error reading a page back.
func (p *pageFile) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.readErr
}

// Close removes the file; the pages cannot be loaded after it. A nil
// pageFile has nothing to close.
func (p *pageFile) Close() {
	if p == nil || p.closed {
		return
	}
	p.closed = true
	if p.f != nil {
		p.f.Close()
		if p.removeOnClose != "" {
			os.Remove(p.removeOnClose)
		}
	}
}
