package demo

import (
	"bytes"
	_ "embed"
	"io"
)

// Name is the source name the demo capture is reported under.
const Name = "demo.pcapng.gz"

//go:embed demo.pcapng.gz
var data []byte

// Open returns a reader over the embedded capture.
func Open() io.Reader { return bytes.NewReader(data) }
