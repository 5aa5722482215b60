//go:build js && wasm

package cf

import (
	"errors"
	"syscall/js"
)

var (
	object     = js.Global().Get("Object")
	array      = js.Global().Get("Array")
	uint8Array = js.Global().Get("Uint8Array")
)

// runtimeContext is this request's {env, ctx} from syumai's glue.
func runtimeContext() js.Value { return js.Global().Get("context") }

// await waits for a Promise; a rejection becomes an error carrying its message.
func await(p js.Value) (js.Value, error) {
	type settled struct {
		v   js.Value
		err error
	}
	ch := make(chan settled, 1)
	ok := js.FuncOf(func(_ js.Value, args []js.Value) any {
		v := js.Undefined()
		if len(args) > 0 {
			v = args[0]
		}
		ch <- settled{v: v}
		return nil
	})
	fail := js.FuncOf(func(_ js.Value, args []js.Value) any {
		msg := "rejected"
		if len(args) > 0 {
			if m := args[0].Get("message"); m.Type() == js.TypeString {
				msg = m.String()
			} else {
				msg = args[0].Call("toString").String()
			}
		}
		ch <- settled{err: errors.New(msg)}
		return nil
	})
	defer ok.Release()
	defer fail.Release()
	p.Call("then", ok, fail)
	s := <-ch
	return s.v, s.err
}

// bytesOf reads a Response's body whole.
func bytesOf(res js.Value) ([]byte, error) {
	buf, err := await(res.Call("arrayBuffer"))
	if err != nil {
		return nil, err
	}
	u := uint8Array.New(buf)
	b := make([]byte, u.Get("length").Int())
	js.CopyBytesToGo(b, u)
	return b, nil
}
