//go:build js && wasm

// Command floor is the smallest Go wasm module that exports one function to
// page JavaScript: the baseline that make size and make bench measure the
// real module against, built by the same toolchain in the same run. Like
// the real module, it is started by a bridge object and calls its ready().
package main

import (
	"syscall"
	"syscall/js"
)

func main() {
	key, _ := syscall.Getenv("MARKUNREAD_BRIDGE")
	bridge := js.Global().Get(key)
	api := js.Global().Get("Object").New()
	api.Set("markUnread", js.FuncOf(func(js.Value, []js.Value) any { return true }))
	bridge.Call("ready", api)
	select {}
}
