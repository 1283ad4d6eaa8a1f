// Command hostilegen writes one synthetic hostile capture (see package
// hostile) to a file or stdout:
//
//	go run ./internal/hostile/cmd/hostilegen -kind syn-flood -n 1000000 -o syn.pcap
//	go run ./internal/hostile/cmd/hostilegen -list
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"connscope/internal/hostile"
)

func main() {
	kind := flag.String("kind", "", "capture to write (see -list)")
	n := flag.Int("n", 1000, "size: SYNs, header or body bytes, segments, interfaces")
	out := flag.String("o", "-", "output file (- for stdout)")
	list := flag.Bool("list", false, "list the kinds")
	flag.Parse()
	if *list || *kind == "" {
		for _, k := range hostile.Kinds() {
			fmt.Println(k)
		}
		return
	}
	var w io.Writer = os.Stdout
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintln(os.Stderr, "hostilegen:", err)
			os.Exit(1)
		}
		defer f.Close()
		w = f
	}
	if err := hostile.Write(w, hostile.Kind(*kind), *n); err != nil {
		fmt.Fprintln(os.Stderr, "hostilegen:", err)
		os.Exit(1)
	}
}
