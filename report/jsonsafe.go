package report

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"unicode/utf8"
)

// appendTerminalSafe appends src, JSON text as encoding/json writes it
// (valid UTF-8), with every character Escape would hide from a terminal
// that encoding/json leaves raw written as a \uNNNN escape instead: the C1
// controls (U+009B is a CSI) and the bidirectional formatting characters.
// Outside strings JSON text is ASCII, so only string contents change, and
// a JSON parser reads the same values: a report cat-ed to a terminal can
// neither inject control sequences nor reorder what is shown.
func appendTerminalSafe(dst, src []byte) []byte {
	for len(src) > 0 {
		i := 0
		for i < len(src) && src[i] < utf8.RuneSelf {
			i++
		}
		dst = append(dst, src[:i]...)
		src = src[i:]
		if len(src) == 0 {
			break
		}
		r, n := utf8.DecodeRune(src)
		if escapedRune(r) {
			dst = fmt.Appendf(dst, `\u%04x`, r)
		} else {
			dst = append(dst, src[:n]...)
		}
		src = src[n:]
	}
	return dst
}

// isASCII reports whether b has no byte of 0x80 or above.
func isASCII(b []byte) bool {
	for len(b) >= 8 {
		if binary.LittleEndian.Uint64(b)&0x8080808080808080 != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// safeEncoder encodes values as encoding/json does (HTML characters not
// escaped, optionally indented) and writes them terminal-safe
// (appendTerminalSafe).
type safeEncoder struct {
	w   io.Writer
	buf bytes.Buffer
	enc *json.Encoder
	out []byte
}

func newSafeEncoder(w io.Writer, indent string) *safeEncoder {
	e := &safeEncoder{w: w}
	e.enc = json.NewEncoder(&e.buf)
	e.enc.SetEscapeHTML(false)
	if indent != "" {
		e.enc.SetIndent("", indent)
	}
	return e
}

// Encode writes v and a newline.
func (e *safeEncoder) Encode(v any) error {
	e.buf.Reset()
	if err := e.enc.Encode(v); err != nil {
		return err
	}
	e.out = appendTerminalSafe(e.out[:0], e.buf.Bytes())
	_, err := e.w.Write(e.out)
	return err
}
