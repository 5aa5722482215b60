//go:build js && wasm

package browser

import (
	"runtime"
	"strconv"
	"syscall/js"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/markunread/markunread/wasm/internal/time"
	"github.com/markunread/markunread/wasm/unread"
)

// memorySpy reads the size of the wasm module's linear memory, which Go
// does not expose: js.CopyBytesToJS copies into a Uint8Array with its set
// method, handing it a view of that memory.
var memorySpy = js.Global().Get("Function").New(`
	const spy = new (class extends Uint8Array {
		set(view) { this.memory = view.buffer.byteLength; }
	})(1);
	return spy;`).Invoke()

func linearMemory() uint64 {
	js.CopyBytesToJS(memorySpy, []byte{0})
	return uint64(memorySpy.Get("memory").Float())
}

type memFigures struct {
	calls        int
	heap, sys    uint64 // Go heap in use after a GC; bytes the Go runtime holds
	linear       uint64 // the wasm linear memory
	nodeHeapUsed uint64 // Node's own JS heap, for information (no forced GC there)
}

func measureMemory(calls int) memFigures {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	node := js.Global().Get("process").Call("memoryUsage").Get("heapUsed").Float()
	return memFigures{calls: calls, heap: ms.HeapAlloc, sys: ms.Sys, linear: linearMemory(), nodeHeapUsed: uint64(node)}
}

func mb(b uint64) string { return strconv.FormatFloat(float64(b)/(1<<20), 'f', 2, 64) + " MB" }

// TestTenThousandCallsLeakNothing makes 10,000 calls through the real
// exported markUnread, of every kind that ends differently (success, the
// portal refusing a forged token, arguments refused locally, an AbortSignal
// unused, fired before, at once or while the call is under way), and shows
// that after warm-up neither the Go heap nor the wasm memory keeps growing:
// every js.Func and every call's state is released whichever way it ends.
func TestTenThousandCallsLeakNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("soak test")
	}
	p := portalFromEnv(t)
	p.reset(t, `{"rate":100000,"burst":100000}`)
	defer p.reset(t, `{}`)
	opts := map[string]any{"perSecond": 100000, "burst": 100000, "timeoutMs": 30000}
	good := serveModule(t, p, p.token, opts)
	forged := serveModule(t, p, "forged", opts)

	got := map[string]int{}
	run := func(from, n int) { soakCalls(t, good, forged, from, n, got) }
	settledSoFar := func() int64 { return good.settled.Load() + forged.settled.Load() }

	const warmUp, calls, step = 2000, 10000, 2500
	run(0, warmUp)
	time.Sleep(100 * time.Millisecond) // let aborted calls' requests end
	warm := measureMemory(0)
	figures := []memFigures{warm}
	for done := 0; done < calls; done += step {
		run(warmUp+done, step)
		time.Sleep(100 * time.Millisecond)
		figures = append(figures, measureMemory(done+step))
	}
	last := figures[len(figures)-1]

	t.Logf("%-19s %12s %12s %14s %16s", "calls after warm-up", "Go heap", "Go sys", "wasm memory", "Node heapUsed")
	for _, f := range figures {
		t.Logf("%-19d %12s %12s %14s %16s", f.calls, mb(f.heap), mb(f.sys), mb(f.linear), mb(f.nodeHeapUsed))
	}
	t.Logf("outcomes by kind (i%%10) and code: %v", got)

	total := warmUp + calls
	require.Equal(t, int64(total), settledSoFar(), "onSettle calls")
	per := total / 10
	for kind, want := range map[string]string{"0": "true", "1": "true", "2": "true", "3": "true",
		"5": unread.CodeAborted, "6": unread.CodeAborted, "7": unread.CodeInvalidToken,
		"8": unread.CodeDialogID, "9": unread.CodeMessageID} {
		assert.Equal(t, per, got[kind+" "+want], "kind %s: %v", kind, got)
	}
	assert.Equal(t, per, got["4 true"]+got["4 "+unread.CodeAborted], "kind 4: %v", got)
	s := good.stats()
	assert.Equal(t, 0, s["queued"]+s["inFlight"])

	// Generous bounds, so the collector's noise never fails them...
	assert.Less(t, last.heap, 2*warm.heap+1<<20, "the Go heap kept growing")
	assert.Less(t, last.linear, 2*warm.linear+1<<20, "the wasm memory kept growing")
	assert.Less(t, last.sys, 2*warm.sys+1<<20, "the Go runtime kept taking memory")
	// ...and a slope, which a leak of one js.Func in every third call (about
	// 100 bytes a call) fails: over the last 7,500 calls the heap may grow by
	// less than 35 bytes a call.
	assert.Less(t, int64(last.heap)-int64(figures[1].heap), int64(256<<10), "the Go heap grows with every call")
}

// soakCalls makes n calls from index from, in waves of 500 settled
// together, ten kinds by index (i%10): plain, with signals that never,
// soon, at once or already fired, with a forged token, and with a bad
// dialog or message id. got counts each "kind code" ("kind true" for a
// success).
func soakCalls(t *testing.T, good, forged *testModule, from, n int, got map[string]int) {
	const wave = 500
	aborted := js.Global().Get("AbortSignal").Call("abort")
	for start := from; start < from+n; start += wave {
		promises := make([]js.Value, 0, wave)
		for i := start; i < start+wave; i++ {
			dialog, message := "chat"+strconv.Itoa(i%500+1), i+1
			var promise js.Value
			switch i % 10 {
			case 0, 1, 2:
				promise = good.call(dialog, message)
			case 3: // a signal that never fires: its listener must still go
				promise = good.call(dialog, message, jsAbortController.New().Get("signal"))
			case 4: // fires within 0-19 ms: while the call waits, is under way, or after
				promise = good.call(dialog, message, js.Global().Get("AbortSignal").Call("timeout", i/10%20))
			case 5: // fires at once
				c := jsAbortController.New()
				promise = good.call(dialog, message, c.Get("signal"))
				c.Call("abort")
			case 6:
				promise = good.call(dialog, message, aborted)
			case 7:
				promise = forged.call(dialog, message)
			case 8:
				promise = good.call("chat "+strconv.Itoa(i), message)
			case 9:
				promise = good.call(dialog, 0)
			}
			promises = append(promises, promise)
		}
		for i, o := range settle(t, promises...) {
			code := o.code
			if o.ok {
				code = "true"
			}
			got[strconv.Itoa((start+i)%10)+" "+code]++
		}
	}
}
