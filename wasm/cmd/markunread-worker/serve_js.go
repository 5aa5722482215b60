//go:build js && wasm

package main

import (
	"net/http"

	"github.com/syumai/workers"

	"github.com/markunread/markunread/wasm/worker"
	"github.com/markunread/markunread/wasm/worker/cf"
)

// serve answers this request: as the portal's Durable Object when it runs inside one,
// else as the front. The glue starts a Go instance for every request.
func serve() {
	settings := cf.LoadSettings()
	var h http.Handler
	if cf.InObject() {
		h = &worker.Object{Store: cf.ObjectStore(), Out: cf.Fetch{}, Settings: settings}
	} else {
		h = &worker.Front{Assets: cf.AssetsBinding(), Objects: cf.PortalObjects(), Settings: settings}
	}
	workers.Serve(h)
}
