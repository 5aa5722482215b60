//go:build js && wasm

package browser

import (
	"strconv"
	"sync/atomic"
	"syscall/js"

	"github.com/markunread/markunread/wasm/internal/time"
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
	onLog    js.Value
	shared   *sharedBudget // nil without the shim's budget
	// heard is set once the page listens for progress events: until then
	// a settled call costs no crossing to tell the shim of it.
	heard   atomic.Bool
	exports []js.Func // live until close
	closed  chan struct{}
}

// Serve wires a core client to the shim's bridge object (see the package
// comment) and hands the shim its api, or tells it why it refused to start.
// It returns at once with a channel that closes when the page closes the
// client: the Go program may end then.
func Serve(bridge js.Value) (<-chan struct{}, error) {
	m := &module{closed: make(chan struct{})}
	var cfg unread.Config
	var refused *unread.Error
	err := guard("reading the bridge", func() {
		m.newError = bridge.Get("newError")
		m.onSettle = bridge.Get("onSettle")
		m.onLog = bridge.Get("onLog")
		cfg, refused = readOptions(bridge.Get("options"))
		cfg.Transport = newFetchTransport(bridge.Get("fetch"))
		if a := bridge.Get("auth"); a.Type() == js.TypeObject {
			cfg.Auth = pageAuth{source: a}
		}
		if p := bridge.Get("plans"); p.Type() == js.TypeObject {
			cfg.Plans = planStore{store: p}
		}
		if b := bridge.Get("budget"); b.Type() == js.TypeFunction {
			m.shared = newSharedBudget(b)
			cfg.Shared = m.shared
		}
	})
	if err != nil {
		return nil, err
	}
	if refused == nil && cfg.Portal != "" {
		_, refused = unread.CheckPortal(cfg.Portal, cfg.PageSecure)
	}
	if refused != nil {
		return nil, guard("calling refuse", func() { bridge.Call("refuse", refused.Code, refused.Description) })
	}
	if m.onSettle.Type() == js.TypeFunction {
		cfg.OnSettle = m.progress
	}
	if m.onLog.Type() == js.TypeFunction {
		cfg.OnLog = m.logged
	}
	m.client = unread.New(cfg)
	if m.shared != nil {
		m.shared.held = func(portal, method string, untilMs float64) {
			m.client.Held(portal, method, time.UnixMilli(int64(untilMs)))
		}
		m.shared.heardRoom = func(portal string, others, atMs float64) {
			m.client.HeardRoom(portal, others, time.UnixMilli(int64(atMs)))
		}
	}
	api := jsObject.Call("create", js.Null())
	m.export(api, "markUnread", m.markUnread)
	m.export(api, "markMany", m.markMany)
	m.export(api, "stats", func(js.Value, []js.Value) any { return statsObject(m.client.Stats()) })
	m.export(api, "close", m.close)
	m.export(api, "hearProgress", func(js.Value, []js.Value) any { m.heard.Store(true); return nil })
	return m.closed, guard("calling ready", func() { bridge.Call("ready", api) })
}

// readOptions reads the options the page gave; the shim passes only those,
// on a null-prototype object. Numbers are checked against unread.Options.
func readOptions(o js.Value) (unread.Config, *unread.Error) {
	var cfg unread.Config
	if o.Type() != js.TypeObject {
		return cfg, nil
	}
	for _, opt := range unread.Options {
		if v := o.Get(opt.Name); v.Type() == js.TypeNumber {
			if err := cfg.Set(opt.Name, v.Float()); err != nil {
				return cfg, err
			}
		}
	}
	if p := o.Get("portal"); p.Type() == js.TypeString {
		cfg.Portal = p.String()
	}
	cfg.PageSecure = o.Get("pageSecure").Truthy()
	if b := o.Get("batch"); b.Type() == js.TypeBoolean && !b.Bool() {
		cfg.BatchSize = 1
	}
	return cfg, nil
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

// markUnread(dialogId, messageId, signal?, bulk?) returns a Promise of
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
	_ = guard("reading bulk", func() { r.Bulk = arg(args, 3).Truthy() })
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

// close(closed?) settles every pending call with CLIENT_CLOSED, calls
// closed(stats) with the final counters, releases the exported functions
// and lets the Go program end.
func (m *module) close(_ js.Value, args []js.Value) any {
	select {
	case <-m.closed:
		return nil
	default:
	}
	closed := arg(args, 0)
	go func() {
		m.client.Close()
		if m.shared != nil {
			m.shared.release()
		}
		if t, ok := typeOf(closed); ok && t == js.TypeFunction {
			_ = guard("close's callback", func() { closed.Invoke(statsObject(m.client.Stats())) })
		}
		for _, f := range m.exports {
			f.Release()
		}
		close(m.closed)
	}()
	return nil
}

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

// progress tells the shim of a settled call, for its progress event, in
// one call with plain arguments: a JavaScript object built here would cost
// a crossing per field, for every call of a bulk job.
func (m *module) progress(p unread.Progress) {
	if !m.heard.Load() {
		return
	}
	_ = guard("onSettle", func() {
		dialog, message, code := js.Null(), js.Null(), js.Null()
		if p.Dialog != "" {
			dialog, message = js.ValueOf(string(p.Dialog)), js.ValueOf(int64(p.Message))
		}
		if p.Err != nil {
			code = js.ValueOf(p.Err.Code)
		}
		s := p.Stats
		m.onSettle.Invoke(dialog, message, p.Err == nil, code, p.Bulk, s.Settled, s.Succeeded, s.Failed, s.Queued, s.InFlight)
	})
}

// logged hands a log event to the page's onLog.
func (m *module) logged(e unread.LogEvent) {
	_ = guard("onLog", func() {
		o := jsObject.Call("create", js.Null())
		o.Set("kind", e.Kind)
		o.Set("message", e.Text)
		if e.Code != "" {
			o.Set("code", e.Code)
		}
		if e.Wait > 0 {
			o.Set("waitMs", e.Wait.Milliseconds())
		}
		if e.Commands > 0 {
			o.Set("commands", e.Commands)
		}
		m.onLog.Invoke(o)
	})
}

func statsObject(s unread.Stats) js.Value {
	o := jsObject.Call("create", js.Null())
	for _, f := range s.Fields() {
		o.Set(f.Name, f.Value)
	}
	return o
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
