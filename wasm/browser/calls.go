//go:build js && wasm

package browser

import (
	"strconv"
	"syscall/js"

	"github.com/markunread/markunread/wasm/unread"
)

// The api's two calls, and the AbortSignal a call may carry.

// markUnread(dialogId, messageId, signal?) returns a Promise of
// true. The core checks the arguments before anything is queued: a bad
// one rejects with the portal's own code and no request leaves the page.
func (m *module) markUnread(_ js.Value, args []js.Value) (result any) {
	defer func() {
		if p := recover(); p != nil {
			err := panicError("markUnread", p)
			m.client.Contained(err)
			result = m.rejected(err)
		}
	}()
	hook("markUnread")
	r := unread.MarkRequest{Dialog: toArg(arg(args, 0)), Message: toArg(arg(args, 1))}
	signal := arg(args, 2)
	return m.promise(func() (any, *unread.Error) {
		// On the call's goroutine, so that stop runs whatever happens: a
		// signal that fired before this point is seen as already aborted.
		abort, stop := withSignal(signal)
		defer stop()
		r.Abort = abort
		hook("markUnread call")
		if err := m.client.Mark(r); err != nil {
			return nil, err
		}
		return true, nil
	})
}

// markMany(dialogIds, messageIds, signal?, onEach?) queues the pairs as one
// bulk job and returns a Promise of an array: for each pair, in order, true
// or the error it settled with. onEach(index, ok) hears of each pair as it
// settles. The job's calls wait behind interactive ones. dialogIds and
// messageIds are arrays, or each the shim's packed text of one (argList).
func (m *module) markMany(_ js.Value, args []js.Value) any {
	var marks []unread.MarkRequest
	if err := guard("reading markMany's pairs", func() {
		dialogs, messages := argList(arg(args, 0)), argList(arg(args, 1))
		if len(dialogs) != len(messages) {
			panic("markMany: " + strconv.Itoa(len(dialogs)) + " dialog ids for " + strconv.Itoa(len(messages)) + " message ids")
		}
		marks = make([]unread.MarkRequest, len(dialogs))
		for i := range marks {
			marks[i] = unread.MarkRequest{Dialog: dialogs[i], Message: messages[i], Bulk: true}
		}
	}); err != nil {
		return m.rejected(err.(*unread.Error))
	}
	signal, onEach := arg(args, 2), arg(args, 3)
	tell := func(int, bool) {}
	if t, ok := typeOf(onEach); ok && t == js.TypeFunction {
		tell = func(i int, ok bool) { _ = guard("markMany's onEach", func() { onEach.Invoke(i, ok) }) }
	}
	return m.promise(func() (any, *unread.Error) {
		abort, stop := withSignal(signal)
		defer stop()
		results := make([]*unread.Error, len(marks))
		<-m.client.MarkMany(marks, abort, func(i int, err *unread.Error) {
			tell(i, err == nil)
			results[i] = err // each index once; read after the job's channel closes
		})
		out := jsArray.New(len(results))
		for i, err := range results {
			if err == nil {
				out.SetIndex(i, true)
			} else {
				out.SetIndex(i, m.errorValue(err))
			}
		}
		return out, nil
	})
}

// withSignal ties an AbortSignal to a Stop. stop removes the listener
// before releasing it, so the signal can never call a released function.
func withSignal(signal js.Value) (*unread.Stop, func()) {
	if t, ok := typeOf(signal); !ok || t != js.TypeObject {
		return nil, func() {}
	}
	abort := unread.NewStop()
	aborted := func() {
		why := "the call's AbortSignal fired"
		_ = guard("reading the abort reason", func() {
			if r := signal.Get("reason"); r.Type() != js.TypeUndefined {
				why += ": " + jsError(r).Error()
			}
		})
		abort.Fire(&unread.Error{Code: unread.CodeAborted, Description: why})
	}
	var onAbort js.Func
	listening := false
	err := guard("reading the AbortSignal", func() {
		if signal.Get("aborted").Truthy() {
			aborted()
			return
		}
		onAbort = funcOf("the abort listener", func([]js.Value) { aborted() }, func(e *unread.Error) { abort.Fire(e) })
		signal.Call("addEventListener", "abort", onAbort)
		listening = true
	})
	if err != nil {
		abort.Fire(err.(*unread.Error))
	}
	return abort, func() {
		if listening {
			_ = guard("removing the abort listener", func() { signal.Call("removeEventListener", "abort", onAbort) })
			onAbort.Release()
		}
	}
}
