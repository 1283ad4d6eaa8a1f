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
			if dst, i = appendString(dst, src, i); i < 0 {
				return dst
			}
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
			if dst, i = appendString(dst, src, i); i < 0 {
				return dst
			}
		case ' ', '\t', '\n', '\r':
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// appendString copies the JSON string that opens at src[i], escapes
// included, and returns the index of its closing quote; when src ends
// inside the string it copies the rest and returns -1.
func appendString(dst, src []byte, i int) ([]byte, int) {
	j := i + 1
	for j < len(src) && src[j] != '"' {
		if src[j] == '\\' {
			j++
		}
		j++
	}
	if j >= len(src) {
		return append(dst, src[i:]...), -1
	}
	return append(dst, src[i:j+1]...), j
}
