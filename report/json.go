package report

import (
	"encoding/json"
	"fmt"
	"io"
)

// WriteJSON writes r as one indented JSON document (two spaces, HTML
// characters not escaped, a trailing newline). The output is a function of
// the report alone: r is normalised on a private copy first (see Normalize),
// map keys are sorted, and empty lists are written as []. r is not modified.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(normalized(r)); err != nil {
		return fmt.Errorf("write json report: %w", err)
	}
	return nil
}
