//go:build browserclock && js && wasm

package time

import (
	"sync/atomic"
	"syscall/js"
	"testing"
)

// The page's clocks and timers, for real (under Node, as make test-wasm
// runs them): no fake clock drives setTimeout.

func TestNowReadsThePagesClocks(t *testing.T) {
	before := int64(js.Global().Get("Date").Call("now").Float())
	now := Now()
	after := int64(js.Global().Get("Date").Call("now").Float())
	if now.UnixMilli() < before || now.UnixMilli() > after {
		t.Fatalf("Now is %d ms, Date.now said %d..%d", now.UnixMilli(), before, after)
	}
	if !now.hasMono || !Now().After(now) && !Now().Equal(now) {
		t.Fatal("Now carries a monotonic reading that does not go back")
	}
}

func TestAfterFuncCallsOnceAfterItsDuration(t *testing.T) {
	done := make(chan Duration, 2)
	start := Now()
	AfterFunc(30*Millisecond, func() { done <- Since(start) })
	if waited := <-done; waited < 30*Millisecond {
		t.Fatalf("called after %v, before its 30ms", waited)
	}
	Sleep(60 * Millisecond)
	if len(done) != 0 {
		t.Fatal("called twice")
	}
}

func TestStopKeepsTheFunctionFromBeingCalled(t *testing.T) {
	var calls atomic.Int32
	timer := AfterFunc(20*Millisecond, func() { calls.Add(1) })
	if !timer.Stop() {
		t.Fatal("Stop of a waiting timer says false")
	}
	if timer.Stop() {
		t.Fatal("a second Stop says true")
	}
	Sleep(50 * Millisecond)
	if calls.Load() != 0 {
		t.Fatal("a stopped timer called its function")
	}
	fired := make(chan struct{})
	timer = AfterFunc(0, func() { close(fired) })
	<-fired
	if timer.Stop() {
		t.Fatal("Stop after the call says true")
	}
}

func TestResetMovesTheCall(t *testing.T) {
	done := make(chan Duration, 2)
	start := Now()
	timer := AfterFunc(10*Millisecond, func() { done <- Since(start) })
	if !timer.Reset(50 * Millisecond) {
		t.Fatal("Reset of a waiting timer says false")
	}
	if waited := <-done; waited < 50*Millisecond {
		t.Fatalf("called after %v, before the reset 50ms", waited)
	}
	Sleep(30 * Millisecond)
	if len(done) != 0 {
		t.Fatal("the first arming called too")
	}
}
