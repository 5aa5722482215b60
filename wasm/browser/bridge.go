//go:build js && wasm

package browser

import (
	"syscall/js"
	"time"

	"github.com/markunread/markunread/wasm/unread"
)

// testHook is nil in the module. Only this package's tests set it, to make
// the point named where panic on purpose and see the panic contained; each
// point costs the module a nil check.
var testHook func(where string)

func hook(where string) {
	if testHook != nil {
		testHook(where)
	}
}

// module is one loaded module: the core client and the shim's callbacks.
type module struct {
	client   *unread.Client
	newError js.Value
	onSettle js.Value
	exports  []js.Func // live as long as the module
}

// Serve wires a core client to the shim's bridge object (see the package
// comment) and hands the shim its api. It returns at once; the exported
// functions run on JavaScript's calls.
func Serve(bridge js.Value) error {
	m := &module{}
	var cfg unread.Config
	err := guard("reading the bridge", func() {
		m.newError = bridge.Get("newError")
		m.onSettle = bridge.Get("onSettle")
		cfg = readOptions(bridge.Get("options"))
		cfg.Transport = fetchTransport{fetch: bridge.Get("fetch")}
		if a := bridge.Get("auth"); a.Type() == js.TypeObject {
			cfg.Auth = pageAuth{source: a}
		}
	})
	if err != nil {
		return err
	}
	if m.onSettle.Type() == js.TypeFunction {
		cfg.OnSettle = m.settled
	}
	m.client = unread.New(cfg)
	api := jsObject.New()
	m.export(api, "markUnread", m.markUnread)
	m.export(api, "stats", func(js.Value, []js.Value) any { return statsObject(m.client.Stats()) })
	return guard("calling ready", func() { bridge.Call("ready", api) })
}

func readOptions(o js.Value) unread.Config {
	var cfg unread.Config
	if o.Type() != js.TypeObject {
		return cfg
	}
	number := func(name string) float64 {
		if v := o.Get(name); v.Type() == js.TypeNumber {
			return v.Float()
		}
		return 0
	}
	if p := o.Get("portal"); p.Type() == js.TypeString {
		cfg.Portal = p.String()
	}
	cfg.PageSecure = o.Get("pageSecure").Truthy()
	cfg.Rate = number("perSecond")
	cfg.Burst = int(number("burst"))
	if b := o.Get("batch"); b.Type() == js.TypeBoolean && !b.Bool() {
		cfg.BatchSize = 1
	}
	cfg.Timeout = time.Duration(number("timeoutMs") * float64(time.Millisecond))
	cfg.QueueSize = int(number("queueSize"))
	cfg.MaxAttempts = int(number("maxAttempts"))
	return cfg
}

// export puts fn on obj as a JavaScript function that never lets a panic
// through: a panic becomes a Promise rejected with INTERNAL_ERROR.
func (m *module) export(obj js.Value, name string, fn func(js.Value, []js.Value) any) {
	f := js.FuncOf(func(this js.Value, args []js.Value) (result any) {
		defer func() {
			if p := recover(); p != nil {
				result = m.rejected(panicError(name, p))
			}
		}()
		return fn(this, args)
	})
	m.exports = append(m.exports, f)
	obj.Set(name, f)
}

// markUnread(dialogId, messageId, signal?) returns a Promise of true.
// Arguments are checked before anything is queued: a bad one rejects at
// once with the portal's own code and no request leaves the page. A panic
// before the call reaches the client is counted as a refused call, so
// onSettle and stats still hear of it.
func (m *module) markUnread(_ js.Value, args []js.Value) (result any) {
	defer func() {
		if p := recover(); p != nil {
			err := panicError("markUnread", p)
			m.client.Refuse(err)
			result = m.rejected(err)
		}
	}()
	hook("markUnread")
	dialog, err := unread.ParseDialogID(toArg(arg(args, 0)))
	if err == nil {
		var message unread.MessageID
		if message, err = unread.ParseMessageID(toArg(arg(args, 1))); err == nil {
			return m.mark(dialog, message, arg(args, 2))
		}
	}
	m.client.Refuse(err)
	return m.rejected(err)
}

func (m *module) mark(dialog unread.DialogID, message unread.MessageID, signal js.Value) js.Value {
	return m.promise(func() (any, *unread.Error) {
		// On the call's goroutine, so that stop runs whatever happens: a
		// signal that fired before this point is seen as already aborted.
		abort, stop := withSignal(signal)
		defer stop()
		hook("markUnread call")
		if err := m.client.Mark(abort, dialog, message); err != nil {
			return nil, err
		}
		return true, nil
	})
}

// promise returns a Promise settled by work, which runs on its own
// goroutine. A panic in work rejects the Promise with INTERNAL_ERROR and
// counts as a refused call. (Only a panic inside the client itself,
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
		m.client.Refuse(broken)
		return m.rejected(broken)
	}
	go func() {
		var value any
		var failure *unread.Error
		func() {
			defer func() {
				if r := recover(); r != nil {
					failure = panicError("markUnread", r)
					m.client.Refuse(failure)
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

// errorValue is the shim's MarkUnreadError for e, or a plain Error should
// the shim's constructor itself fail.
func (m *module) errorValue(e *unread.Error) js.Value {
	var v js.Value
	if guard("newError", func() { v = m.newError.Invoke(e.Code, e.Description, e.Status, e.Attempts) }) != nil {
		v = js.Global().Get("Error").New(e.Error())
	}
	return v
}

func (m *module) settled(p unread.Progress) {
	_ = guard("onSettle", func() {
		o := jsObject.New()
		if p.Dialog != "" {
			o.Set("dialogId", string(p.Dialog))
			o.Set("messageId", int64(p.Message))
		} else {
			o.Set("dialogId", js.Null())
			o.Set("messageId", js.Null())
		}
		o.Set("ok", p.Err == nil)
		if p.Err != nil {
			o.Set("code", p.Err.Code)
		} else {
			o.Set("code", js.Null())
		}
		o.Set("settled", p.Stats.Settled)
		o.Set("succeeded", p.Stats.Succeeded)
		o.Set("failed", p.Stats.Failed)
		o.Set("queued", p.Stats.Queued)
		o.Set("inFlight", p.Stats.InFlight)
		m.onSettle.Invoke(o)
	})
}

func statsObject(s unread.Stats) js.Value {
	o := jsObject.New()
	for _, f := range []struct {
		name  string
		value int
	}{
		{"requests", s.Requests}, {"batches", s.Batches}, {"commands", s.Commands},
		{"retries", s.Retries}, {"refreshes", s.Refreshes}, {"queued", s.Queued},
		{"inFlight", s.InFlight}, {"status503", s.Status503}, {"status429", s.Status429},
		{"settled", s.Settled}, {"succeeded", s.Succeeded}, {"failed", s.Failed},
		{"abandoned", Abandoned()},
	} {
		o.Set(f.name, f.value)
	}
	return o
}

// withSignal ties an AbortSignal to a Stop. stop removes the listener
// before releasing it, so the signal can never call a released function.
func withSignal(signal js.Value) (*unread.Stop, func()) {
	if signal.Type() != js.TypeObject {
		return nil, func() {}
	}
	abort := unread.NewStop()
	aborted := func() {
		abort.Fire(&unread.Error{Code: unread.CodeAborted, Description: "the call's AbortSignal fired"})
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
