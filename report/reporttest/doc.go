// Package reporttest helps tests of any package that produces reports.
//
// Job: validate JSON and NDJSON reports against the committed report
// schema (report.Schema) with github.com/santhosh-tekuri/jsonschema/v6, and
// provide Sample, a populated report for renderer tests.
//
// Inputs: report bytes from a writer of package report. Outputs: test
// failures through testing.TB, or errors from the ...Bytes variants.
//
// Concurrency: the compiled schema is built once and shared read-only; all
// functions are safe for concurrent use. Buffers: nothing passed in is kept.
// Limits: test-only; the program never imports this package.
package reporttest
