//go:build js && wasm

package browser

import (
	"syscall/js"

	"github.com/markunread/markunread/wasm/unread"
)

// How a call's outcome reaches the page: a Promise, and the shim's error.

// promise returns a Promise settled by work, which runs on its own
// goroutine. A panic in work rejects the Promise with INTERNAL_ERROR and
// counts as a contained call. (Only a panic inside the client itself,
// after it queued the call, could make the call count twice.)
func (m *module) promise(work func() (any, *unread.Error)) js.Value {
	var resolve, reject js.Value
	var broken *unread.Error
	executor := funcOf("the promise executor", func(args []js.Value) {
		resolve, reject = arg(args, 0), arg(args, 1)
	}, func(e *unread.Error) { broken = e })
	p := jsPromise.New(executor)
	executor.Release()
	if broken != nil || reject.Type() != js.TypeFunction {
		if broken == nil {
			broken = &unread.Error{Code: unread.CodeInternal, Description: "the promise executor did not run"}
		}
		m.client.Contained(broken)
		return m.rejected(broken)
	}
	go func() {
		var value any
		var failure *unread.Error
		func() {
			defer func() {
				if r := recover(); r != nil {
					failure = panicError("markUnread", r)
					m.client.Contained(failure)
				}
			}()
			value, failure = work()
		}()
		_ = guard("settling a promise", func() {
			if failure != nil {
				reject.Invoke(m.errorValue(failure))
			} else {
				resolve.Invoke(value)
			}
		})
	}()
	return p
}

func (m *module) rejected(e *unread.Error) js.Value {
	return jsPromise.Call("reject", m.errorValue(e))
}

// errorValue is the shim's MarkUnreadError for e, or, should the shim's
// constructor itself fail, a plain Error with the code alone: only the
// shim knows the tokens to take out of a description.
func (m *module) errorValue(e *unread.Error) js.Value {
	var v js.Value
	if guard("newError", func() { v = m.newError.Invoke(e.Code, e.Description, e.Status, e.Attempts) }) != nil {
		v = js.Global().Get("Error").New(e.Code + " (the shim could not build the error; its description is withheld)")
	}
	return v
}
