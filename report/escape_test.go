package report

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestEscape(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain ascii", "GET /index.html", "GET /index.html"},
		{"empty", "", ""},
		{"printable unicode kept", "héllo 世界 ✓", "héllo 世界 ✓"},
		{"csi clear screen", "a\x1b[2Jb", `a\x1b[2Jb`},
		{"osc title with bel", "\x1b]0;pwned\x07", `\x1b]0;pwned\x07`},
		{"tab newline cr", "a\tb\nc\rd", `a\tb\nc\rd`},
		{"nul and other c0", "\x00\x01\x1f", `\x00\x01\x1f`},
		{"del", "a\x7fb", `a\x7fb`},
		{"c1 csi", "x\u009b31my", `x\u009b31my`},
		{"c1 range ends", "\u0080\u009f", `\u0080\u009f`},
		{"bidi override", "abc\u202edcba", `abc\u202edcba`},
		{"bidi isolate and mark", "\u2066\u200f\u061c", `\u2066\u200f\u061c`},
		{"line separator", "a\u2028b\u2029", `a\u2028b\u2029`},
		{"invalid utf8 byte", "a\xffb", `a\xffb`},
		{"truncated utf8 sequence", "\xe4\xb8", `\xe4\xb8`},
		{"overlong encoding", "\xc0\xaf", `\xc0\xaf`},
		{"encoded replacement char kept", "\uFFFD", "\uFFFD"},
		{"backslash doubled", `a\x1b`, `a\\x1b`},
		{"nbsp kept", "a\u00a0b", "a\u00a0b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Escape(tc.in)
			if got != tc.want {
				t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if !safeForTerminal(got) {
				t.Errorf("Escape(%q) = %q still holds a control character", tc.in, got)
			}
		})
	}
}

// safeForTerminal reports whether s is valid UTF-8 without C0, DEL, C1 or
// bidi controls.
func safeForTerminal(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || escapedRune(r) {
			return false
		}
	}
	return true
}

func TestEscapeNoAllocWhenClean(t *testing.T) {
	s := strings.Repeat("GET /a/b/c?d=e ", 8)
	if n := testing.AllocsPerRun(100, func() { _ = Escape(s) }); n != 0 {
		t.Errorf("Escape of a clean string allocates %v times", n)
	}
}

func FuzzEscape(f *testing.F) {
	for _, s := range []string{"", "abc", "\x1b[31m", "\u009b", "\xff\xfe", `\`, "\u202e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Escape(s)
		if !safeForTerminal(got) {
			t.Fatalf("Escape(%q) = %q is not terminal-safe", s, got)
		}
		if safeForTerminal(s) && !strings.Contains(s, `\`) && got != s {
			t.Fatalf("Escape changed clean %q to %q", s, got)
		}
	})
}

func TestIsASCII(t *testing.T) {
	for _, c := range []struct {
		s    string
		want bool
	}{
		{"", true},
		{"abc", true},
		{"0123456789abcdef", true},
		{"0123456789abcde\x80", false},
		{"\xff0123456789abcdef", false},
		{"01234567\u009b", false},
		{"é", false},
		{"\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f", true},
	} {
		if got := isASCII([]byte(c.s)); got != c.want {
			t.Errorf("isASCII(%q) = %v", c.s, got)
		}
	}
}
