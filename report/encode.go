package report

import (
	"maps"
	"slices"
	"unicode/utf8"
)

// The helpers of the generated record encoders (encode_gen.go, made by
// report/internal/encgen): they write what encoding/json writes (HTML
// characters not escaped), laid out as appendIndented lays it out, with
// the characters appendTerminalSafe escapes escaped. TestRecordEncoders
// checks the generated encoders against that path on random records.

//go:generate go run ./internal/encgen -o encode_gen.go

// jsonAppender is a type with a generated encoder.
type jsonAppender interface {
	appendJSON(b []byte, p string, d int) []byte
}

// indentSpaces holds the two spaces per level appendNewline writes.
const indentSpaces = "                                                                "

// listLines[d] is the start of a line at depth d of a list element of the
// report's top level (line prefix listPrefix): the common case, one append.
var listLines = func() (t [12]string) {
	for d := range t {
		t[d] = "\n" + listPrefix + indentSpaces[:2*d]
	}
	return t
}()

// appendNewline starts a new line with prefix p at depth d.
func appendNewline(b []byte, p string, d int) []byte {
	if p == listPrefix && d < len(listLines) {
		return append(b, listLines[d]...)
	}
	b = append(b, '\n')
	b = append(b, p...)
	for d > 0 {
		k := min(d, len(indentSpaces)/2)
		b = append(b, indentSpaces[:2*k]...)
		d -= k
	}
	return b
}

// appendKey starts member n (from 0) of an object whose members are at
// depth d: a comma before all but the first, the line, and key, a quoted
// name followed by ": ".
func appendKey(b []byte, p string, d, n int, key string) []byte {
	if n > 0 {
		b = append(b, ',')
	}
	b = appendNewline(b, p, d)
	return append(b, key...)
}

// appendMapKey is appendKey for a map key, quoted here.
func appendMapKey(b []byte, p string, d, n int, key string) []byte {
	if n > 0 {
		b = append(b, ',')
	}
	b = appendNewline(b, p, d)
	b = appendJSONString(b, key)
	return append(b, ':', ' ')
}

// appendElem starts element n (from 0) of a list whose elements are at
// depth d.
func appendElem(b []byte, p string, d, n int) []byte {
	if n > 0 {
		b = append(b, ',')
	}
	return appendNewline(b, p, d)
}

// closeJSON ends an object or list at depth d that has n members: on a
// line of its own, or right after the opening character when empty.
func closeJSON(b []byte, p string, d, n int, c byte) []byte {
	if n > 0 {
		b = appendNewline(b, p, d)
	}
	return append(b, c)
}

// sortedKeys returns m's keys in the order encoding/json writes them.
func sortedKeys[M ~map[string]V, V any](m M) []string {
	return slices.Sorted(maps.Keys(m))
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string the way encoding/json writes
// it with HTML escaping off (invalid UTF-8 as U+FFFD, U+2028 and U+2029
// escaped), then made terminal-safe (the runes escapedRune names written
// as \u escapes).
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case escapedRune(r): // BMP runes only
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
