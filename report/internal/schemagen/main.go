// Command schemagen writes the JSON Schema of connscope's report: it
// reflects report.Report with github.com/invopop/jsonschema into a draft
// 2020-12 schema whose descriptions come from the model's doc comments.
// It runs from `go generate ./report`; the committed output is embedded by
// report.Schema.
//
// Usage: schemagen -src DIR -o FILE, where DIR holds the report package's
// sources (for the comments) and FILE receives the schema ("-" is stdout).
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"reflect"
	"sort"
	"strings"

	"github.com/invopop/jsonschema"

	"connscope/report"
)

// schemaID is the $id of the generated schema.
const schemaID = "https://connscope.dev/schema/report/v" + report.SchemaVersion + ".json"

func main() {
	src := flag.String("src", ".", "directory with the report package's Go sources")
	out := flag.String("o", "schema.json", "output file, - for stdout")
	flag.Parse()
	b, err := Generate(os.DirFS(*src))
	if err != nil {
		fmt.Fprintln(os.Stderr, "schemagen:", err)
		os.Exit(1)
	}
	if *out == "-" {
		_, err = os.Stdout.Write(b)
	} else {
		err = os.WriteFile(*out, b, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "schemagen:", err)
		os.Exit(1)
	}
}

// Generate returns the schema of report.Report, indented with two spaces
// and ending in a newline; src holds the report package's sources.
func Generate(src fs.FS) ([]byte, error) {
	comments, err := docComments(src)
	if err != nil {
		return nil, err
	}
	pkg := reflect.TypeFor[report.Report]().PkgPath()
	r := &jsonschema.Reflector{
		BaseSchemaID: "",
		Anonymous:    true,
		LookupComment: func(t reflect.Type, field string) string {
			if t.PkgPath() != pkg {
				return ""
			}
			key := t.Name()
			if field != "" {
				key += "." + field
			}
			return comments[key]
		},
	}
	s := r.Reflect(&report.Report{})
	s.ID = schemaID
	s.Title = "connscope report"
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("marshal schema: %w", err)
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, b, "", "  "); err != nil {
		return nil, fmt.Errorf("indent schema: %w", err)
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

// docComments maps "Type" and "Type.Field" of the package in src (its
// non-test .go files at the top level) to their doc comments, joined onto
// one line.
func docComments(src fs.FS) (map[string]string, error) {
	names, err := fs.Glob(src, "*.go")
	if err != nil {
		return nil, fmt.Errorf("list sources: %w", err)
	}
	sort.Strings(names)
	out := map[string]string{}
	fset := token.NewFileSet()
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		b, err := fs.ReadFile(src, name)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		f, err := parser.ParseFile(fset, name, b, parser.ParseComments)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", name, err)
		}
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, sp := range gd.Specs {
				ts := sp.(*ast.TypeSpec)
				if !ts.Name.IsExported() {
					continue
				}
				doc := ts.Doc
				if doc == nil && len(gd.Specs) == 1 {
					doc = gd.Doc
				}
				if t := oneLine(doc); t != "" {
					out[ts.Name.Name] = t
				}
				st, ok := ts.Type.(*ast.StructType)
				if !ok {
					continue
				}
				for _, fld := range st.Fields.List {
					t := oneLine(fld.Doc)
					if t == "" {
						t = oneLine(fld.Comment)
					}
					if t == "" {
						continue
					}
					for _, n := range fld.Names {
						out[ts.Name.Name+"."+n.Name] = t
					}
				}
			}
		}
	}
	return out, nil
}

func oneLine(cg *ast.CommentGroup) string {
	if cg == nil {
		return ""
	}
	return strings.Join(strings.Fields(cg.Text()), " ")
}
