//go:build js && wasm

package browser

import (
	"syscall/js"

	"github.com/markunread/markunread/wasm/unread"
)

// What the page hears besides a call's outcome: progress, log events and
// the counters.

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
