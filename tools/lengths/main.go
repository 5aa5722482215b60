// Command lengths fails when the production code is longer than the project's
// bounds (issue 21): a Go file under wasm/ over 320 lines, a Go function there
// over 60, a JavaScript file of the shim (js/*.js, not js/test/ and not
// wasm_exec*) over 400. Tests, testdata and node_modules are not counted.
//
//	lengths [-root DIR]    checks DIR (default: the current folder), prints
//	                       each file and function over its bound, exits 1 if any
package main

import (
	"flag"
	"fmt"
	"os"
)

// The bounds, in lines. A function's lines run from its func keyword to its
// closing brace; its doc comment is not counted.
const (
	maxGoFileLines = 320
	maxGoFuncLines = 60
	maxJSFileLines = 400
)

func main() {
	root := flag.String("root", ".", "the repository's top folder")
	flag.Parse()
	over, err := check(*root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "lengths:", err)
		os.Exit(2)
	}
	for _, o := range over {
		fmt.Println(o)
	}
	if len(over) > 0 {
		fmt.Printf("lengths: %d over the bounds (Go file %d, Go function %d, JS file %d lines); split them by idea\n",
			len(over), maxGoFileLines, maxGoFuncLines, maxJSFileLines)
		os.Exit(1)
	}
}
