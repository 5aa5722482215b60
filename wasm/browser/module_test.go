//go:build js && wasm

package browser

import (
	"sync/atomic"
	"syscall/js"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/markunread/markunread/wasm/internal/time"
	"github.com/markunread/markunread/wasm/unread"
)

// testModule is the module as the shim sees it: a bridge object built here
// (options, fetch, auth, newError, onSettle and ready as js.Funcs) handed to
// Serve, and the api object Serve gives back through ready.
type testModule struct {
	api     js.Value
	settled atomic.Int64 // onSettle calls
	lastOK  atomic.Bool
}

// serveModule starts a module against the emulator whose auth source always
// gives token (the forged one makes the portal refuse every request). It has
// no refresh, so a refused token fails the call with the portal's code.
func serveModule(t *testing.T, p testPortal, token string, options map[string]any) *testModule {
	t.Helper()
	m := &testModule{}
	var funcs []js.Func
	fn := func(f func(args []js.Value) any) js.Func {
		jf := js.FuncOf(func(_ js.Value, args []js.Value) any { return f(args) })
		funcs = append(funcs, jf)
		return jf
	}
	t.Cleanup(func() {
		for _, f := range funcs {
			f.Release()
		}
	})
	auth := jsObject.New()
	auth.Set("token", fn(func([]js.Value) any {
		return jsPromise.Call("resolve", map[string]any{"portal": p.url, "accessToken": token})
	}))
	bridge := jsObject.New()
	bridge.Set("options", js.ValueOf(options))
	bridge.Set("fetch", js.Global().Get("fetch"))
	bridge.Set("auth", auth)
	bridge.Set("newError", fn(func(args []js.Value) any {
		e := js.Global().Get("Error").New(arg(args, 0).String() + ": " + arg(args, 1).String())
		e.Set("name", "MarkUnreadError")
		e.Set("code", arg(args, 0))
		e.Set("description", arg(args, 1))
		e.Set("status", arg(args, 2))
		e.Set("attempts", arg(args, 3))
		return e
	}))
	bridge.Set("onSettle", fn(func(args []js.Value) any {
		m.settled.Add(1)
		m.lastOK.Store(arg(args, 2).Bool()) // onSettle(dialogId, messageId, ok, ...)
		return nil
	}))
	bridge.Set("ready", fn(func(args []js.Value) any {
		m.api = arg(args, 0)
		return nil
	}))
	_, err := Serve(bridge)
	require.NoError(t, err)
	require.Equal(t, js.TypeObject, m.api.Type(), "Serve did not call ready with the api")
	m.api.Call("hearProgress") // as the shim does at the page's first progress listener
	return m
}

// outcome is how one markUnread Promise settled.
type outcome struct {
	ok          bool
	value       js.Value
	code        string
	description string
}

// settleAll turns an array of Promises into one Promise of an array of
// {ok, value} or {ok: false, error}, which never rejects.
var settleAll = js.Global().Get("Function").New("ps",
	"return Promise.all(ps.map(p => Promise.resolve(p).then(v => ({ok: true, value: v}), e => ({ok: false, error: e}))))")

// settleWithin bounds how long a test waits for its promises.
const settleWithin = time.Minute

// settle waits for every promise, through the package's own await.
func settle(t *testing.T, promises ...js.Value) []outcome {
	t.Helper()
	list := make([]any, len(promises))
	for i, p := range promises {
		list[i] = p
	}
	deadline := unread.NewStop()
	defer deadline.FireAfter(settleWithin, nil).Stop()
	all, err := await(deadline.Done(), settleAll.Invoke(js.ValueOf(list)), nil)
	require.NoError(t, err, "the promises did not all settle within %s", settleWithin)
	out := make([]outcome, all.Length())
	for i := range out {
		r := all.Index(i)
		out[i].ok = r.Get("ok").Bool()
		if out[i].ok {
			out[i].value = r.Get("value")
			continue
		}
		e := r.Get("error")
		if e.Type() == js.TypeObject && e.Get("code").Type() == js.TypeString {
			out[i].code = e.Get("code").String()
			out[i].description = e.Get("description").String()
		} else {
			out[i].code = "(not a MarkUnreadError: " + jsError(e).Error() + ")"
		}
	}
	return out
}

func (m *testModule) call(args ...any) js.Value {
	return m.api.Call("markUnread", args...)
}

func (m *testModule) mark(t *testing.T, args ...any) outcome {
	t.Helper()
	return settle(t, m.call(args...))[0]
}

func (m *testModule) stats() map[string]int {
	s := m.api.Call("stats")
	out := map[string]int{}
	keys := jsObject.Call("keys", s)
	for i := 0; i < keys.Length(); i++ {
		k := keys.Index(i).String()
		out[k] = s.Get(k).Int()
	}
	return out
}

func requireTrue(t *testing.T, o outcome, what string) {
	t.Helper()
	require.True(t, o.ok, "%s: rejected with %s: %s", what, o.code, o.description)
	require.True(t, o.value.Type() == js.TypeBoolean && o.value.Bool(), "%s: resolved with %s, not true", what, o.value.Type())
}

// onSettle costs a crossing per settled call, so it is called only once
// the shim says the page listens (api.hearProgress).
func TestProgressReachesTheShimOnlyOnceThePageListens(t *testing.T) {
	var calls atomic.Int64
	onSettle := js.FuncOf(func(js.Value, []js.Value) any { calls.Add(1); return nil })
	defer onSettle.Release()
	m := &module{onSettle: onSettle.Value}
	p := unread.Progress{Dialog: "chat1", Message: 1}
	m.progress(p)
	assert.Equal(t, int64(0), calls.Load(), "called before anyone listened")
	m.heard.Store(true) // what api.hearProgress does
	m.progress(p)
	m.progress(p)
	assert.Equal(t, int64(2), calls.Load())
}
