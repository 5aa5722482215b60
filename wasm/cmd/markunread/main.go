//go:build js && wasm

// Command markunread is the WebAssembly module. The shim (js/markunread.js)
// starts it with MARKUNREAD_BRIDGE naming the global it put the bridge
// object under; see package browser for the contract.
package main

import (
	"syscall"
	"syscall/js"

	"github.com/markunread/markunread/wasm/browser"
)

func main() {
	key, _ := syscall.Getenv("MARKUNREAD_BRIDGE")
	bridge := js.Undefined()
	if key != "" {
		bridge = js.Global().Get(key)
	}
	if bridge.Type() != js.TypeObject {
		js.Global().Get("console").Call("error", "markunread: start the module with the shim's load(), not on its own")
		return
	}
	closed, err := browser.Serve(bridge)
	if err != nil {
		js.Global().Get("console").Call("error", "markunread: "+err.Error())
		return
	}
	if closed != nil {
		<-closed // the exports run on JavaScript's calls until the page closes the client
	}
}
