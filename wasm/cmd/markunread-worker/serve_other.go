//go:build !(js && wasm)

package main

import (
	"fmt"
	"os"
)

func serve() {
	fmt.Fprintln(os.Stderr, "markunread-worker runs on Cloudflare Workers: build it with GOOS=js GOARCH=wasm (make worker)")
	os.Exit(2)
}
