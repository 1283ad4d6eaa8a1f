package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
)

// writeJSONStream writes r (already normalised) as the same document
// encoding/json would produce with two-space indentation and HTML escaping
// off, but one top-level field and one list element at a time, so the
// whole document is never held in memory (encoding/json builds it twice:
// once compact, once indented). Field order, names and omitempty come from
// the Report struct tags.
func writeJSONStream(w io.Writer, r *Report) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	var buf bytes.Buffer
	var out, safe []byte
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	// put encodes v compactly, indents it with the given line prefix
	// (appendIndented: the same bytes as the encoder's own SetIndent, in a
	// fraction of the time) and writes it terminal-safe
	// (appendTerminalSafe) without the trailing newline.
	put := func(v any, prefix string) error {
		buf.Reset()
		if err := enc.Encode(v); err != nil {
			return err
		}
		out = appendIndented(out[:0], bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), prefix)
		safe = appendTerminalSafe(safe[:0], out)
		_, err := bw.Write(safe)
		return err
	}
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
		if v.Kind() != reflect.Slice || v.Len() == 0 {
			if err := put(v.Interface(), "  "); err != nil {
				return err
			}
			continue
		}
		bw.WriteByte('[')
		for j := range v.Len() {
			if j > 0 {
				bw.WriteByte(',')
			}
			bw.WriteString("\n    ")
			// A pointer to the element encodes the same and is not a copy.
			if err := put(v.Index(j).Addr().Interface(), "    "); err != nil {
				return err
			}
		}
		bw.WriteString("\n  ]")
	}
	bw.WriteString("\n}\n")
	return bw.Flush()
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
