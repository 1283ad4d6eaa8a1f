// Command connscope explains what TCP and HTTP connections did in a packet
// capture. See the README for usage.
package main

import (
	"os"

	"connscope/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
