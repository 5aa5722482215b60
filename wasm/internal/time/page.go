//go:build browserclock && js && wasm

package time

import (
	"sync"
	"syscall/js"
)

// The page's clocks and timers, looked up once: the same ones the Go
// runtime's own clock reads on js/wasm (wasm_exec.js: Date.now for
// walltime, performance.now for nanotime).
var (
	jsDate         = js.Global().Get("Date")
	jsPerformance  = js.Global().Get("performance")
	jsSetTimeout   = js.Global().Get("setTimeout")
	jsClearTimeout = js.Global().Get("clearTimeout")
)

// Now is the current wall clock reading with a monotonic one.
func Now() Time {
	ms := int64(jsDate.Call("now").Float())
	t := UnixMilli(ms)
	t.hasMono, t.mono = true, monotonic()
	return t
}

func monotonic() int64 { return int64(jsPerformance.Call("now").Float() * 1e6) }

func Since(t Time) Duration { return Now().Sub(t) }
func Until(t Time) Duration { return t.Sub(Now()) }

// Sleep waits d on the page's timer (tests wait with it; the module
// never does).
func Sleep(d Duration) {
	done := make(chan struct{})
	AfterFunc(d, func() { close(done) })
	<-done
}

// maxTimeout is the longest delay setTimeout takes: a longer one fires
// at once, so a long timer waits in parts.
const maxTimeout = 1<<31 - 1 // milliseconds

// A Timer calls its function once, in its own goroutine, after its
// duration, unless stopped first: the standard package's AfterFunc timer.
type Timer struct {
	f        func()
	mu       sync.Mutex
	deadline int64 // on the monotonic clock
	pending  js.Value
	callback js.Func
	armed    bool
	arming   uint64 // which start the armed callback belongs to
}

// AfterFunc calls f in its own goroutine once d has passed.
func AfterFunc(d Duration, f func()) *Timer {
	t := &Timer{f: f}
	t.mu.Lock()
	t.startLocked(d)
	t.mu.Unlock()
	return t
}

// Stop keeps f from being called; it says whether the timer was still
// waiting.
func (t *Timer) Stop() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.stopLocked()
}

// Reset makes the timer call f once d has passed from now; it says
// whether the timer was still waiting.
func (t *Timer) Reset(d Duration) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	was := t.stopLocked()
	t.startLocked(d)
	return was
}

func (t *Timer) startLocked(d Duration) {
	t.armed = true
	t.arming++
	arming := t.arming
	t.deadline = monotonic() + int64(max(d, 0))
	t.callback = js.FuncOf(func(js.Value, []js.Value) any {
		t.fired(arming)
		return nil
	})
	t.scheduleLocked()
}

// scheduleLocked asks the page for a call at the deadline, rounded up to a
// millisecond so that it never comes early, and at most maxTimeout ahead.
func (t *Timer) scheduleLocked() {
	wait := (t.deadline - monotonic() + 999_999) / 1e6
	t.pending = jsSetTimeout.Invoke(t.callback, min(max(wait, 0), maxTimeout))
}

func (t *Timer) stopLocked() bool {
	if !t.armed {
		return false
	}
	t.armed = false
	jsClearTimeout.Invoke(t.pending)
	t.callback.Release()
	return true
}

// fired runs on the page's event loop: f goes to its own goroutine, so
// that the event loop is never held. A page's clock may fire a little
// early (and a long timer waits in parts): then the timer waits again. A
// call that the page had already queued when the timer was stopped or
// reset belongs to an earlier arming, and does nothing.
func (t *Timer) fired(arming uint64) {
	t.mu.Lock()
	if !t.armed || arming != t.arming {
		t.mu.Unlock()
		return
	}
	if monotonic() < t.deadline {
		t.scheduleLocked()
		t.mu.Unlock()
		return
	}
	t.armed = false
	t.callback.Release()
	t.mu.Unlock()
	go t.f()
}
