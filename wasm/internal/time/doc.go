// Package time is the standard library's time package, as far as the
// module uses it, so that the browser module need not import it.
//
// Importing the standard package costs the browser module 31 KB brotli
// before it calls anything (make size; a program that only names
// time.Duration weighs as much): its package variables initialise
// internal/godebug, whose init registers a GODEBUG parser with the runtime,
// and that parser keeps internal/bisect, a sync.Map and the runtime's
// metrics in the module.
//
// So there are two builds of this package:
//   - with the build tag browserclock, the one make build ships in
//     dist/markunread.wasm: its own Duration and Time on the page's clocks,
//     Date.now for the wall clock and performance.now for the monotonic
//     one (the clocks the Go runtime itself reads on js/wasm), and timers
//     on setTimeout (page.go);
//   - without it, everywhere else (native builds, the Worker, and every
//     test, so testing/synctest's fake clock drives the core as before):
//     its names are aliases of the standard package's (std.go).
//
// The browserclock Duration and Time follow the standard package's
// definitions to the byte (arithmetic, rounding, String, monotonic and
// wall comparisons); their tests hold them to it (go test -tags
// browserclock, natively, and under Node for the clocks and timers).
package time
