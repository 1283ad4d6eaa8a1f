package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
)

// writeJSONStream writes r (already normalised) as the same document
// encoding/json would produce with two-space indentation and HTML escaping
// off, but one top-level field and one list element at a time, so the
// whole document is never held in memory (encoding/json builds it twice:
// once compact, once indented). Field order, names and omitempty come from
// the Report struct tags.
func writeJSONStream(w io.Writer, r *Report) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	var e elemEncoder
	rv := reflect.ValueOf(r).Elem()
	rt := rv.Type()
	bw.WriteByte('{')
	first := true
	for i := range rt.NumField() {
		name, omitEmpty, ok := jsonField(rt.Field(i))
		if !ok {
			continue
		}
		v := rv.Field(i)
		if omitEmpty && isEmptyValue(v) {
			continue
		}
		if !first {
			bw.WriteByte(',')
		}
		first = false
		bw.WriteString("\n  \"" + name + "\": ")
		txs := v.Type() == transactionsType
		if d := r.Deferred; d != nil && (v.Type() == connectionsType && d.Len() > 0 || txs && d.Transactions() > 0) {
			bw.WriteByte('[')
			if err := d.writeList(bw, txs); err != nil {
				return err
			}
			bw.WriteString("\n  ]")
			continue
		}
		if v.Kind() != reflect.Slice || v.Len() == 0 {
			out, err := e.put(nil, v.Interface(), "  ")
			if err != nil {
				return err
			}
			bw.Write(out)
			continue
		}
		bw.WriteByte('[')
		if err := writeElements(bw, v, &e); err != nil {
			return err
		}
		bw.WriteString("\n  ]")
	}
	bw.WriteString("\n}\n")
	return bw.Flush()
}

// The list types whose elements a record log holds.
var (
	connectionsType  = reflect.TypeFor[[]Connection]()
	transactionsType = reflect.TypeFor[[]Transaction]()
)

// elemEncoder encodes one value the way the streaming writer needs it.
type elemEncoder struct {
	buf       bytes.Buffer
	enc       *json.Encoder
	out, safe []byte
}

// put appends v to dst: encoded compactly, indented with the given line
// prefix (appendIndented: the same bytes as the encoder's own SetIndent,
// in a fraction of the time) and made terminal-safe (appendTerminalSafe),
// without the trailing newline.
func (e *elemEncoder) put(dst []byte, v any, prefix string) ([]byte, error) {
	if a, ok := v.(jsonAppender); ok {
		// A record type: its generated encoder writes the same bytes.
		return a.appendJSON(dst, prefix, 0), nil
	}
	return e.putReflect(dst, v, prefix)
}

// putReflect is put through encoding/json.
func (e *elemEncoder) putReflect(dst []byte, v any, prefix string) ([]byte, error) {
	if e.enc == nil {
		e.enc = json.NewEncoder(&e.buf)
		e.enc.SetEscapeHTML(false)
	}
	e.buf.Reset()
	if err := e.enc.Encode(v); err != nil {
		return dst, err
	}
	src := bytes.TrimSuffix(e.buf.Bytes(), []byte{'\n'})
	if isASCII(src) {
		// Nothing for appendTerminalSafe to change.
		return appendIndented(dst, src, prefix), nil
	}
	e.out = appendIndented(e.out[:0], src, prefix)
	return appendTerminalSafe(dst, e.out), nil
}

// putRange appends the elements [lo, hi) of the list s, each preceded by
// its separator and line break.
func (e *elemEncoder) putRange(dst []byte, s reflect.Value, lo, hi int) ([]byte, error) {
	for j := lo; j < hi; j++ {
		if j > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, "\n"+listPrefix...)
		// A pointer to the element encodes the same and is not a copy.
		var err error
		if dst, err = e.put(dst, s.Index(j).Addr().Interface(), listPrefix); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// elemBatch is how many list elements one encoding job covers.
const elemBatch = 256

// writeElements writes the elements of the list s. Long lists are encoded
// in batches by up to GOMAXPROCS goroutines while the batches are written
// in order, so the bytes are those of one goroutine encoding them all; at
// most two batches per goroutine are in memory at once.
func writeElements(bw *bufio.Writer, s reflect.Value, e *elemEncoder) error {
	n := s.Len()
	workers := min(runtime.GOMAXPROCS(0), (n+elemBatch-1)/elemBatch)
	if workers < 2 {
		out, err := e.putRange(nil, s, 0, n)
		if err != nil {
			return err
		}
		_, err = bw.Write(out)
		return err
	}
	type result struct {
		out []byte
		err error
	}
	type job struct {
		lo, hi int
		done   chan result
	}
	jobs := make(chan job)
	order := make(chan chan result, 2*workers)
	free := make(chan []byte, 2*workers+1)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var we elemEncoder
			for j := range jobs {
				var buf []byte
				select {
				case buf = <-free:
				default:
				}
				out, err := we.putRange(buf[:0], s, j.lo, j.hi)
				j.done <- result{out, err}
			}
		}()
	}
	go func() {
		defer close(order)
		defer close(jobs)
		for lo := 0; lo < n; lo += elemBatch {
			done := make(chan result, 1)
			select {
			case order <- done:
			case <-stop:
				return
			}
			select {
			case jobs <- job{lo, min(lo+elemBatch, n), done}:
			case <-stop:
				done <- result{} // the writer has stopped reading results
				return
			}
		}
	}()
	var first error
	for done := range order {
		res := <-done
		if first == nil {
			first = res.err
			if first == nil {
				_, first = bw.Write(res.out)
			}
			if first != nil {
				close(stop)
			}
		}
		select {
		case free <- res.out:
		default:
		}
	}
	wg.Wait()
	return first
}

// jsonField returns the JSON name of a Report field and whether it has
// omitempty; ok is false for fields encoding/json skips.
func jsonField(f reflect.StructField) (name string, omitEmpty, ok bool) {
	if !f.IsExported() {
		return "", false, false
	}
	tag := f.Tag.Get("json")
	if tag == "-" {
		return "", false, false
	}
	name, opts, _ := strings.Cut(tag, ",")
	if name == "" {
		name = f.Name
	}
	return name, slices.Contains(strings.Split(opts, ","), "omitempty"), true
}

// isEmptyValue is encoding/json's omitempty rule.
func isEmptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

// streamable reports whether writeJSONStream renders Report exactly as
// encoding/json does: every field has a plain JSON name (no embedded
// struct, no ",string" option, no character that needs escaping).
var streamable = func() bool {
	rt := reflect.TypeFor[Report]()
	for i := range rt.NumField() {
		f := rt.Field(i)
		if f.Anonymous || strings.Contains(f.Tag.Get("json"), ",string") {
			return false
		}
		name, _, ok := jsonField(f)
		if ok && strings.ContainsAny(name, "\"\\<>&") {
			return false
		}
	}
	return true
}()

// isNormalized reports whether Normalize would leave r unchanged, so a
// writer may render r itself instead of a normalised deep copy. It is a
// read-only scan in time linear in the report.
func isNormalized(r *Report) bool {
	if r.SchemaVersion == "" || r.Capture.Sources == nil || r.Capture.Formats == nil ||
		r.Capture.LinkTypes == nil || r.Capture.Anomalies == nil || r.Summary.Findings == nil ||
		r.Connections == nil || r.Transactions == nil || r.Findings == nil || r.Peers == nil || r.DNSLookups == nil {
		return false
	}
	for i := range r.Connections {
		c := &r.Connections[i]
		if c.Findings == nil || !slices.IsSorted(c.Findings) || i > 0 && r.Connections[i-1].ID > c.ID {
			return false
		}
	}
	for i := range r.Transactions {
		t := &r.Transactions[i]
		if !slices.IsSorted(t.Findings) {
			return false
		}
		if i > 0 {
			p := &r.Transactions[i-1]
			if p.Connection > t.Connection || p.Connection == t.Connection && p.Index > t.Index {
				return false
			}
		}
	}
	for i := range r.Findings {
		f := &r.Findings[i]
		if f.Count < 1 || f.Evidence == nil {
			return false
		}
		for _, v := range f.Evidence {
			switch fv := v.(type) {
			case float64:
				if !finite(fv) {
					return false
				}
			case float32:
				if !finite(float64(fv)) {
					return false
				}
			}
		}
	}
	for i := range r.Peers {
		p := &r.Peers[i]
		if !finite(p.ConnectionRatePerS) {
			return false
		}
		if i > 0 {
			q := &r.Peers[i-1]
			if c := strings.Compare(q.Client, p.Client); c > 0 || c == 0 && q.Server > p.Server {
				return false
			}
		}
	}
	for i := range r.DNSLookups {
		d := &r.DNSLookups[i]
		if d.Answers == nil {
			return false
		}
		if i > 0 && compareDNS(&r.DNSLookups[i-1], d) > 0 {
			return false
		}
	}
	return true
}

// writeJSONDirect is WriteJSON's fast path; see WriteJSON.
func writeJSONDirect(w io.Writer, r *Report) error {
	if r != nil && r.Deferred != nil && (!onlyInLog(r) || !streamable) {
		// Records in both places (or no streaming writer): decode the log.
		var err error
		if r, err = materialized(r); err != nil {
			return err
		}
	}
	if r == nil || !isNormalized(r) {
		r = normalized(r)
	}
	if !streamable {
		return newSafeEncoder(w, "  ").Encode(r)
	}
	if err := writeJSONStream(w, r); err != nil {
		return fmt.Errorf("stream: %w", err)
	}
	return nil
}
