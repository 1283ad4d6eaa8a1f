// Package cli is the connscope command line: it parses flags (cobra), builds
// a pipeline.Config, opens the inputs, runs the pipeline, picks a writer and
// maps errors to exit codes. It holds no analysis logic.
//
// Exit codes: 0 success, 1 runtime error (unreadable input, failed write),
// 2 usage error (bad flag or argument). Inputs: arguments and flags;
// outputs: the report on stdout or in the -o file (written atomically:
// a temporary file renamed into place), errors as one line on stderr.
// Concurrency: Main runs on the calling goroutine; signals cancel the run
// through a context so a report of what was read is still written.
// Buffers and limits: none of its own; flags set the pipeline's limits.
package cli
