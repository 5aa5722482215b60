//go:build !(js && wasm)

package main

import (
	"fmt"
	"os"
)

func serve() {
	fmt.Fprintln(os.Stderr, "hello is a Worker: build it with GOOS=js GOARCH=wasm")
	os.Exit(2)
}
