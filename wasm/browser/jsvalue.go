//go:build js && wasm

package browser

import (
	"errors"
	"syscall/js"

	"github.com/markunread/markunread/wasm/internal/time"
	"github.com/markunread/markunread/wasm/unread"
)

// Built-ins, looked up once.
var (
	jsObject          = js.Global().Get("Object")
	jsArray           = js.Global().Get("Array")
	jsPromise         = js.Global().Get("Promise")
	jsAbortController = js.Global().Get("AbortController")
	objectToString    = jsObject.Get("prototype").Get("toString")
)

// guard runs fn and turns a panic into an error, so no panic ever unwinds
// into the Go runtime's event loop: that would end the program, and every
// later call on the page would fail with "Go program has already exited".
// js.Value methods panic when JavaScript throws, so every call into page
// code goes through guard.
func guard(what string, fn func()) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = panicError(what, p)
		}
	}()
	fn()
	return nil
}

// funcOf is js.FuncOf for a callback that JavaScript calls. A panic must
// not unwind into the Go runtime's event handler: that ends the program
// as surely as an uncaught panic anywhere. So fn's panic is recovered and
// handed, as INTERNAL_ERROR naming what, to failed (if not nil), which
// must settle whatever waited on fn. It is a call, not inlined (see arg).
//
//go:noinline
func funcOf(what string, fn func(args []js.Value), failed func(*unread.Error)) js.Func {
	return js.FuncOf(func(_ js.Value, args []js.Value) any {
		defer func() {
			if p := recover(); p != nil && failed != nil {
				_ = guard(what, func() { failed(panicError(what, p)) })
			}
		}()
		hook(what)
		fn(args)
		return nil
	})
}

func panicError(what string, p any) *unread.Error {
	msg := "unknown panic"
	switch v := p.(type) {
	case error:
		msg = v.Error()
	case string:
		msg = v
	}
	return &unread.Error{Code: unread.CodeInternal, Description: what + " failed: " + msg}
}

// errStopped is what await gives when its stop channel closes first.
var errStopped = errors.New("stopped")

// abortGrace is how long await waits, after abort, for the promise to
// settle. A fetch that honours its AbortSignal rejects at once; one that
// ignores it (a page's own options.fetch) may never settle, and must not
// hold the request's slot and its calls forever.
const abortGrace = 2 * time.Second

// await waits for a JavaScript promise (or any value, as Promise.resolve
// takes it). When stop closes first, abort (if given) is called and await
// waits up to abortGrace for the promise to reject, so that no callback
// outlives it; after that, or without abort, it returns at once and the
// callbacks release themselves whenever the promise settles. Each callback
// releases both js.Funcs, so they are freed whichever way the promise ends.
func await(stop <-chan struct{}, value js.Value, abort func()) (js.Value, error) {
	type result struct {
		v   js.Value
		err error
	}
	ch := make(chan result, 1)
	var onValue, onError js.Func
	// deliver releases both callbacks and gives the first result; a second
	// one (a callback that panicked after delivering) is dropped.
	deliver := func(r result) {
		onValue.Release()
		onError.Release()
		select {
		case ch <- r:
		default:
		}
	}
	failed := func(e *unread.Error) { deliver(result{err: e}) }
	onValue = funcOf("a promise callback", func(args []js.Value) { deliver(result{v: arg(args, 0)}) }, failed)
	onError = funcOf("a promise callback", func(args []js.Value) { deliver(result{err: jsError(arg(args, 0))}) }, failed)
	if err := guard("waiting for a promise", func() {
		jsPromise.Call("resolve", value).Call("then", onValue, onError)
	}); err != nil {
		onValue.Release()
		onError.Release()
		return js.Undefined(), err
	}
	select {
	case r := <-ch:
		return r.v, r.err
	case <-stop:
		if abort != nil {
			abort()
			// An AfterFunc, not a NewTimer: see unread.Client.Mark.
			grace := make(chan struct{})
			t := time.AfterFunc(abortGrace, func() { close(grace) })
			select {
			case <-ch:
			case <-grace:
			}
			t.Stop()
		}
		return js.Undefined(), errStopped
	}
}

// jsError keeps what a JavaScript rejection said: its name and message.
func jsError(v js.Value) error {
	msg := "rejected"
	_ = guard("reading an error", func() {
		switch v.Type() {
		case js.TypeObject:
			name, message := v.Get("name"), v.Get("message")
			if message.Type() == js.TypeString {
				msg = message.String()
				if name.Type() == js.TypeString && name.String() != "" {
					msg = name.String() + ": " + msg
				}
			}
		case js.TypeString:
			msg = v.String()
		}
	})
	return errors.New(msg)
}

// arg and funcOf are calls, not inlined at their twenty places: the calls
// they serve cross into JavaScript anyway, and inlined they weighed 0.9 KB
// brotli of the module.
//
//go:noinline
func arg(args []js.Value, i int) js.Value {
	if i < len(args) {
		return args[i]
	}
	return js.Undefined()
}

// argList reads a list of arguments: an array, or the shim's packed text
// of one, which crosses the boundary once instead of once per element.
// Packed, each element is a type letter and its text: "s" and the string
// as given, or "n" and a finite number as JavaScript prints it; elements
// are separated by NUL, which no packed string contains.
func argList(v js.Value) []unread.Arg {
	if v.Type() != js.TypeString {
		out := make([]unread.Arg, v.Length())
		for i := range out {
			out[i] = toArg(v.Index(i))
		}
		return out
	}
	text := v.String()
	var out []unread.Arg
	for start, i := 0, 0; i <= len(text); i++ {
		if i < len(text) && text[i] != 0 {
			continue
		}
		out = append(out, packedArg(text[start:i]))
		start = i + 1
	}
	return out
}

// packedArg reads one element of a packed list.
func packedArg(item string) unread.Arg {
	if item != "" {
		switch item[0] {
		case 's':
			return unread.String(item[1:])
		case 'n':
			n, ok := unread.ParseNumber(item[1:])
			if !ok {
				panic("packed arguments: " + item[1:] + " is not a number")
			}
			return unread.Number(n)
		}
	}
	panic("packed arguments: an element of unknown type")
}

// toArg reduces a JavaScript argument to what the core's checks need.
func toArg(v js.Value) unread.Arg {
	t, ok := typeOf(v)
	if !ok {
		// Only a BigInt has no js.Type (Value.Type panics on it).
		return unread.Arg{Type: "bigint"}
	}
	switch t {
	case js.TypeString:
		return unread.String(v.String())
	case js.TypeNumber:
		return unread.Number(v.Float())
	case js.TypeUndefined:
		return unread.Arg{Type: "undefined"}
	case js.TypeNull:
		return unread.Arg{Type: "null"}
	case js.TypeBoolean:
		return unread.Arg{Type: "boolean"}
	case js.TypeSymbol:
		return unread.Arg{Type: "symbol"}
	case js.TypeFunction:
		return unread.Arg{Type: "function"}
	}
	// BigInt and wrapper objects reach Go as objects: ask for their tag.
	switch objectToString.Call("call", v).String() {
	case "[object Array]":
		return unread.Arg{Type: "array"}
	case "[object BigInt]":
		return unread.Arg{Type: "bigint"}
	}
	return unread.Arg{Type: "object"}
}

// typeOf is v.Type(), and false for a value syscall/js has no Type for:
// Type panics with "bad type flag" on a BigInt.
func typeOf(v js.Value) (t js.Type, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return v.Type(), true
}
