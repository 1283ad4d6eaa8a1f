package analysis

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Param is one detector threshold that can be set from the command line
// (connscope analyze --set NAME=VALUE): a field of the detector's options
// struct, named "<detector>.<field in snake_case>".
type Param struct {
	Name    string
	Type    string // "duration", "int" or "float"
	Default string
}

// durationType is the reflect type of time.Duration fields.
var durationType = reflect.TypeFor[time.Duration]()

// paramFields walks the settable fields of the struct opts points to:
// exported int, int64, float64 and time.Duration fields.
func paramFields(prefix string, opts any, fn func(name string, v reflect.Value)) {
	rv := reflect.ValueOf(opts).Elem()
	rt := rv.Type()
	for i := range rt.NumField() {
		f := rt.Field(i)
		if !f.IsExported() {
			continue
		}
		switch {
		case f.Type == durationType, f.Type.Kind() == reflect.Int, f.Type.Kind() == reflect.Int64, f.Type.Kind() == reflect.Float64:
			fn(prefix+"."+snake(f.Name), rv.Field(i))
		}
	}
}

// snake turns a Go field name into snake_case: WarnMinStalls becomes
// warn_min_stalls, OOOWindow becomes ooo_window, RTTFactor rtt_factor.
func snake(s string) string {
	rs := []rune(s)
	var b strings.Builder
	for i, r := range rs {
		if unicode.IsUpper(r) {
			prevLower := i > 0 && (unicode.IsLower(rs[i-1]) || unicode.IsDigit(rs[i-1]))
			nextLower := i > 0 && i+1 < len(rs) && unicode.IsLower(rs[i+1]) && unicode.IsUpper(rs[i-1]) &&
				!pluralS(rs, i+1)
			if prevLower || nextLower {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// pluralS reports whether rs[i] is the "s" of a plural acronym ("RTTs"):
// a lone lower-case s at the end or before the next word.
func pluralS(rs []rune, i int) bool {
	return rs[i] == 's' && (i+1 == len(rs) || unicode.IsUpper(rs[i+1]))
}

// Params lists the thresholds of a detector whose options struct is *opts,
// with the values in opts as defaults, sorted by name.
func Params(prefix string, opts any) []Param {
	var out []Param
	paramFields(prefix, opts, func(name string, v reflect.Value) {
		p := Param{Name: name}
		switch {
		case v.Type() == durationType:
			p.Type, p.Default = "duration", time.Duration(v.Int()).String()
		case v.Kind() == reflect.Float64:
			p.Type, p.Default = "float", strconv.FormatFloat(v.Float(), 'g', -1, 64)
		default:
			p.Type, p.Default = "int", strconv.FormatInt(v.Int(), 10)
		}
		out = append(out, p)
	})
	slices.SortFunc(out, func(a, b Param) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// ApplyParams sets the fields of the struct opts points to from the
// entries of params named "<prefix>.<field>" (see Param). Entries of other
// detectors are ignored. Values must be positive (a detector reads zero
// as "use the default"); one that does not parse, or is not positive, is
// an error naming the parameter, and the field is left unchanged.
func ApplyParams(params map[string]string, prefix string, opts any) error {
	var err error
	paramFields(prefix, opts, func(name string, v reflect.Value) {
		text, ok := params[name]
		if !ok || err != nil {
			return
		}
		switch {
		case v.Type() == durationType:
			d, e := time.ParseDuration(text)
			if e != nil || d <= 0 {
				err = fmt.Errorf("%s: want a positive duration such as 200ms, got %q", name, text)
				return
			}
			v.SetInt(int64(d))
		case v.Kind() == reflect.Float64:
			f, e := strconv.ParseFloat(text, 64)
			if e != nil || f <= 0 || math.IsNaN(f) || math.IsInf(f, 0) {
				err = fmt.Errorf("%s: want a positive number, got %q", name, text)
				return
			}
			v.SetFloat(f)
		default:
			n, e := strconv.ParseInt(text, 10, 64)
			if e != nil || n <= 0 {
				err = fmt.Errorf("%s: want a positive integer, got %q", name, text)
				return
			}
			v.SetInt(n)
		}
	})
	return err
}

// CheckParams checks every entry of params against the detectors of facs:
// its name must be one of their Params and its value must parse. The error
// names the first bad entry (in name order) and, for an unknown name, the
// detectors that take parameters.
func CheckParams(params map[string]string, facs []Factory) error {
	names := make([]string, 0, len(params))
	for n := range params {
		names = append(names, n)
	}
	slices.Sort(names)
	known := map[string]Factory{}
	var withParams []string
	for _, f := range facs {
		if f.Options == nil {
			continue
		}
		withParams = append(withParams, f.Name)
		for _, p := range Params(f.Name, f.Options()) {
			known[p.Name] = f
		}
	}
	for _, n := range names {
		f, ok := known[n]
		if !ok {
			return fmt.Errorf("unknown parameter %q (detectors with parameters: %s; `connscope explain --params` lists them)", n, strings.Join(withParams, ", "))
		}
		if err := ApplyParams(map[string]string{n: params[n]}, f.Name, f.Options()); err != nil {
			return err
		}
	}
	return nil
}
