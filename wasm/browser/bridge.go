//go:build js && wasm

package browser

import (
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
		m.shared.heardRoom = func(portal string, b unread.Belief) {
			m.client.HeardRoom(portal, b)
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
