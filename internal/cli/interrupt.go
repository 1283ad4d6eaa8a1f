package cli

import (
	"context"
	"errors"
	"io"
	"os"
	"slices"
)

// errInterrupted ends a read of stdin stopped by a signal.
var errInterrupted = errors.New("interrupted")

// interruptibleStdin returns the reader to use for "-" among args: when
// stdin is a pipe, socket or terminal (not a regular file), a reader whose
// blocked read ends with an error once ctx is cancelled, so that a signal
// stops a run waiting on a quiet pipe (`tcpdump -w - | connscope analyze -`
// when only connscope gets the signal) and the report of what was read is
// still written. A goroutine copies stdin into an in-memory pipe; it is
// left blocked on stdin when the run ends early, which is harmless as the
// process is about to exit. Without "-" in args, or for other readers
// (regular files, test input), stdin is returned as it is. The returned
// function stops watching ctx.
func interruptibleStdin(ctx context.Context, stdin io.Reader, args []string) (io.Reader, func()) {
	f, ok := stdin.(*os.File)
	if !ok || !slices.Contains(args, "-") {
		return stdin, func() {}
	}
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		return stdin, func() {}
	}
	pr, pw := io.Pipe()
	go func() {
		_, err := io.Copy(pw, f)
		pw.CloseWithError(err) // nil: readers see io.EOF
	}()
	stop := context.AfterFunc(ctx, func() { pr.CloseWithError(errInterrupted) })
	return pr, func() { stop() }
}
