//go:build js && wasm

package browser

import (
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/markunread/markunread/wasm/internal/time"
	"github.com/markunread/markunread/wasm/unread"
)

// panicAt arms testHook to panic once, the next time the point where is
// reached, and reports whether it did.
func panicAt(t *testing.T, where string) *atomic.Bool {
	t.Helper()
	var armed, fired atomic.Bool
	armed.Store(true)
	testHook = func(w string) {
		if w == where && armed.CompareAndSwap(true, false) {
			fired.Store(true)
			panic("provoked by the test")
		}
	}
	t.Cleanup(func() { testHook = nil })
	return &fired
}

// TestAPanicRejectsWithInternalErrorAndTheModuleKeepsWorking provokes a panic
// at each point where Go code runs on JavaScript's behalf, through the real
// exported markUnread: the call rejects with INTERNAL_ERROR naming what
// failed (or, where the panic only cost one request, is retried and
// succeeds), onSettle still hears of it, and the next call succeeds.
func TestAPanicRejectsWithInternalErrorAndTheModuleKeepsWorking(t *testing.T) {
	p := portalFromEnv(t)
	for _, tc := range []struct {
		where string
		warm  bool   // the module already has its token
		names string // what the description names; "" when the call succeeds on a retry
	}{
		{where: "markUnread", names: "markUnread failed: provoked by the test"},
		{where: "the promise executor", names: "the promise executor failed: provoked by the test"},
		{where: "markUnread call", names: "markUnread failed: provoked by the test"},
		// The first promise a cold module awaits is the auth source's token.
		{where: "a promise callback", names: "a promise callback failed: provoked by the test"},
		// A warm module's first is fetch's: that costs one attempt, not the call.
		{where: "a promise callback", warm: true},
	} {
		name := tc.where
		if tc.warm {
			name += " (warm)"
		}
		t.Run(name, func(t *testing.T) {
			p.reset(t, `{}`)
			m := serveModule(t, p, p.token, map[string]any{"timeoutMs": 10000})
			calls := 0
			if tc.warm {
				requireTrue(t, m.mark(t, "chat1", 1), "warm-up call")
				calls++
			}
			fired := panicAt(t, tc.where)
			o := m.mark(t, "chat2", 2)
			calls++
			require.True(t, fired.Load(), "the hook at %q was not reached", tc.where)
			if tc.names == "" {
				requireTrue(t, o, "the call whose request panicked")
				assert.GreaterOrEqual(t, m.stats()["retries"], 1)
			} else {
				require.False(t, o.ok)
				assert.Equal(t, unread.CodeInternal, o.code)
				assert.Contains(t, o.description, tc.names)
			}
			requireTrue(t, m.mark(t, "chat3", 3), "the next call")
			calls++
			assert.Equal(t, int64(calls), m.settled.Load(), "onSettle calls")
			s := m.stats()
			assert.Equal(t, calls, s["settled"])
			assert.Equal(t, 0, s["queued"]+s["inFlight"])
		})
	}
}

func TestAPanicInTheAbortListenerRejectsWithInternalError(t *testing.T) {
	p := portalFromEnv(t)
	// The first request stalls, so the call is under way when it is aborted.
	p.reset(t, `{"faults":{"rate":1,"seed":1,"kinds":["stall"]}}`)
	defer p.reset(t, `{}`)
	m := serveModule(t, p, p.token, map[string]any{"timeoutMs": 10000})
	fired := panicAt(t, "the abort listener")
	controller := jsAbortController.New()
	promise := m.call("chat1", 1, controller.Get("signal"))
	time.Sleep(200 * time.Millisecond) // the call is sent and stalls
	controller.Call("abort")
	o := settle(t, promise)[0]
	require.True(t, fired.Load())
	require.False(t, o.ok)
	assert.Equal(t, unread.CodeInternal, o.code)
	assert.Contains(t, o.description, "the abort listener failed: provoked by the test")

	p.reset(t, `{}`)
	requireTrue(t, m.mark(t, "chat2", 2), "the next call")
	assert.Equal(t, int64(2), m.settled.Load())
}
