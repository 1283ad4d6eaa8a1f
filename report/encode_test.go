package report

import (
	"bytes"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// encodeStrings are the strings random records are made of: JSON's
// special characters, controls, invalid UTF-8, the runes the terminal-safe
// pass escapes, and others it keeps.
var encodeStrings = []string{
	"", "a", "GET", "/index.html?q=1&r=<2>", `quote " and \ backslash`,
	"\x00\x01\x08\x09\x0a\x0c\x0d\x1b\x1f\x7f", "bad \xff\xfe utf-8", "cut \xe2\x82",
	"\u2028\u2029", "C1 \u0085 \u009b[31m", "bidi \u202e\u2066\u061c\u200f", "é ü 日本 🚀",
	"\ufffd", strings.Repeat("long ", 40),
}

// randomValue fills v (settable) with random contents: every field,
// pointers and lists sometimes nil, sometimes empty, sometimes full.
func randomValue(rng *rand.Rand, v reflect.Value, depth int) {
	switch v.Kind() {
	case reflect.Bool:
		v.SetBool(rng.IntN(2) == 0)
	case reflect.String:
		v.SetString(encodeStrings[rng.IntN(len(encodeStrings))])
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		switch rng.IntN(4) {
		case 0:
			v.SetInt(0)
		case 1:
			v.SetInt(-rng.Int64N(1 << 40))
		default:
			v.SetInt(rng.Int64() >> (64 - v.Type().Bits()))
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if rng.IntN(4) == 0 {
			v.SetUint(0)
		} else {
			v.SetUint(rng.Uint64() >> (64 - v.Type().Bits()))
		}
	case reflect.Pointer:
		if depth > 6 || rng.IntN(3) == 0 {
			v.SetZero()
			return
		}
		p := reflect.New(v.Type().Elem())
		randomValue(rng, p.Elem(), depth+1)
		v.Set(p)
	case reflect.Slice:
		switch r := rng.IntN(4); {
		case r == 0 || depth > 6:
			v.SetZero()
		case r == 1:
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		default:
			n := 1 + rng.IntN(3)
			s := reflect.MakeSlice(v.Type(), n, n)
			for i := range n {
				randomValue(rng, s.Index(i), depth+1)
			}
			v.Set(s)
		}
	case reflect.Map:
		switch r := rng.IntN(4); {
		case r == 0 || depth > 6:
			v.SetZero()
		case r == 1:
			v.Set(reflect.MakeMap(v.Type()))
		default:
			m := reflect.MakeMap(v.Type())
			for range 1 + rng.IntN(4) {
				k := reflect.New(v.Type().Key()).Elem()
				randomValue(rng, k, depth+1)
				e := reflect.New(v.Type().Elem()).Elem()
				randomValue(rng, e, depth+1)
				m.SetMapIndex(k, e)
			}
			v.Set(m)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				randomValue(rng, v.Field(i), depth+1)
			}
		}
	default:
		panic("randomValue: kind " + v.Kind().String())
	}
}

// TestRecordEncoders: the generated encoders of the record types write
// exactly what encoding/json, appendIndented and appendTerminalSafe write,
// on random records (every field set, nil, empty or full) and on zero
// ones, at several prefixes.
func TestRecordEncoders(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var e elemEncoder
	for _, v := range []any{&Connection{}, &Transaction{}} {
		if _, ok := v.(jsonAppender); !ok {
			t.Fatalf("%T has no generated encoder: run go generate ./report", v)
		}
	}
	for i := range 4000 {
		var v any = &Connection{}
		if i%3 == 2 {
			v = &Transaction{}
		}
		if i >= 2 {
			randomValue(rng, reflect.ValueOf(v).Elem(), 0)
		}
		prefix := []string{listPrefix, "", "\t"}[i%3]
		want, err := e.putReflect([]byte("x"), v, prefix)
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.put([]byte("x"), v, prefix)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			at := 0
			for at < len(got) && at < len(want) && got[at] == want[at] {
				at++
			}
			t.Fatalf("record %d (%T): generated encoder differs at byte %d:\ngot  %q\nwant %q", i, v, at, got[max(0, at-80):min(len(got), at+80)], want[max(0, at-80):min(len(want), at+80)])
		}
	}
}

// TestAppendJSONString covers appendJSONString's cases one by one.
func TestAppendJSONString(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", `""`},
		{"plain", `"plain"`},
		{`"\`, `"\"\\"`},
		{"\b\f\n\r\t\x00\x1f", `"\b\f\n\r\t\u0000\u001f"`},
		{"<&>", `"<&>"`},
		{"\xff", `"\ufffd"`},
		{"\u2028", `"\u2028"`},
		{"\u009b", `"\u009b"`},
		{"\u202e", `"\u202e"`},
		{"é🚀", `"é🚀"`},
	} {
		if got := string(appendJSONString(nil, c.in)); got != c.want {
			t.Errorf("appendJSONString(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}
