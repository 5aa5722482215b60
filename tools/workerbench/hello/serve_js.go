//go:build js && wasm

package main

import (
	"net/http"

	"github.com/syumai/workers"
)

func serve() {
	workers.Serve(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) }))
}
