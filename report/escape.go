package report

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Escape makes a string that came from a capture safe to print on a
// terminal: every character that could move the cursor, change colours,
// reorder text or hide bytes is replaced by visible text.
//
//   - C0 controls and DEL: \t, \n, \r, otherwise \xNN (so ESC is \x1b);
//   - C1 controls U+0080–U+009F (CSI is U+009B): \u0080 … \u009f;
//   - bidirectional formatting characters (U+061C, U+200E, U+200F,
//     U+202A–U+202E, U+2066–U+2069) and the line and paragraph separators
//     U+2028, U+2029: \uNNNN;
//   - bytes that are not valid UTF-8: \xNN;
//   - the backslash itself: \\, so escaped output is never ambiguous.
//
// All other characters, including printable non-ASCII text, are kept.
// Strings that need no escaping are returned unchanged without allocating.
func Escape(s string) string {
	i := 0
	for i < len(s) {
		b := s[i]
		if b < utf8.RuneSelf {
			if b < 0x20 || b == 0x7f || b == '\\' {
				break
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 1) || escapedRune(r) {
			break
		}
		i += n
	}
	if i == len(s) {
		return s
	}
	var sb strings.Builder
	sb.Grow(len(s) + 8)
	sb.WriteString(s[:i])
	for i < len(s) {
		b := s[i]
		if b < utf8.RuneSelf {
			switch {
			case b == '\\':
				sb.WriteString(`\\`)
			case b == '\t':
				sb.WriteString(`\t`)
			case b == '\n':
				sb.WriteString(`\n`)
			case b == '\r':
				sb.WriteString(`\r`)
			case b < 0x20 || b == 0x7f:
				fmt.Fprintf(&sb, `\x%02x`, b)
			default:
				sb.WriteByte(b)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&sb, `\x%02x`, b)
		case escapedRune(r):
			fmt.Fprintf(&sb, `\u%04x`, r)
		default:
			sb.WriteString(s[i : i+n])
		}
		i += n
	}
	return sb.String()
}

// escapedRune reports whether a non-ASCII rune must be shown as \uNNNN.
func escapedRune(r rune) bool {
	switch {
	case r >= 0x80 && r <= 0x9f: // C1 controls
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f: // bidi marks
		return true
	case r >= 0x202a && r <= 0x202e: // bidi embeddings and overrides
		return true
	case r >= 0x2066 && r <= 0x2069: // bidi isolates
		return true
	case r == 0x2028, r == 0x2029: // line and paragraph separators
		return true
	}
	return false
}
