package report

import (
	_ "embed" // for the committed schema
	"slices"
)

//go:generate go run ./internal/schemagen -src . -o schema.json

// schemaJSON is the JSON Schema (draft 2020-12) of Report, generated from
// the Go types by internal/schemagen and committed as schema.json.
//
//go:embed schema.json
var schemaJSON []byte

// Schema returns the JSON Schema (draft 2020-12) that every report written
// by WriteJSON satisfies. The caller owns the returned slice.
func Schema() []byte { return slices.Clone(schemaJSON) }
