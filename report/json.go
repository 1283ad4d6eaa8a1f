package report

import (
	"fmt"
	"io"
)

// WriteJSON writes r as one indented JSON document (two spaces, HTML
// characters not escaped, a trailing newline). The output is a function of
// the report alone: r is normalised on a private copy first (see Normalize),
// map keys are sorted, and empty lists are written as []. r is not modified.
// An already normalised report is written as is, one element at a time,
// without a copy.
func WriteJSON(w io.Writer, r *Report) error {
	if err := writeJSONDirect(w, r); err != nil {
		return fmt.Errorf("write json report: %w", err)
	}
	return nil
}
