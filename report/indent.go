package report

// appendIndented appends src, compact JSON as encoding/json writes it (no
// insignificant white space, HTML escaping off), indented as json.Indent
// would with the given prefix and two spaces per level: each element of an
// object or array on its own line, empty ones kept as {} and [], ": " after
// a key. json.Indent validates its input with the full JSON scanner, which
// costs more than encoding the value did; this single pass only tracks
// strings, which is enough for input encoding/json produced.
func appendIndented(dst, src []byte, prefix string) []byte {
	depth := 0
	newline := func() {
		dst = append(dst, '\n')
		dst = append(dst, prefix...)
		for range depth {
			dst = append(dst, "  "...)
		}
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch c {
		case '"':
			// Copy the whole string, escapes included.
			j := stringEnd(src, i)
			if j < 0 {
				return append(dst, src[i:]...)
			}
			dst = append(dst, src[i:j+1]...)
			i = j
		case '{', '[':
			if i+1 < len(src) && (src[i+1] == '}' || src[i+1] == ']') {
				dst = append(dst, c, src[i+1])
				i++
				continue
			}
			dst = append(dst, c)
			depth++
			newline()
		case '}', ']':
			depth--
			newline()
			dst = append(dst, c)
		case ',':
			dst = append(dst, c)
			newline()
		case ':':
			dst = append(dst, ':', ' ')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// appendCompact appends src, valid JSON, without its insignificant white
// space: what json.Compact writes, in one pass that only tracks strings.
// It undoes appendIndented.
func appendCompact(dst, src []byte) []byte {
	for i := 0; i < len(src); i++ {
		switch c := src[i]; c {
		case '"':
			j := stringEnd(src, i)
			if j < 0 {
				return append(dst, src[i:]...)
			}
			dst = append(dst, src[i:j+1]...)
			i = j
		case ' ', '\t', '\n', '\r':
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// stringEnd returns the index of the quote that closes the JSON string
// opening at src[i], or -1 when src ends inside it.
func stringEnd(src []byte, i int) int {
	j := i + 1
	for j < len(src) && src[j] != '"' {
		if src[j] == '\\' {
			j++
		}
		j++
	}
	if j >= len(src) {
		return -1
	}
	return j
}
