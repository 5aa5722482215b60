//go:build js && wasm

package cf

import (
	"errors"
	"syscall/js"
	"time"

	"github.com/markunread/markunread/wasm/worker"
)

// InObject reports whether this request runs inside a Durable Object (its state, with
// storage, is the runtime context's ctx).
func InObject() bool {
	ctx := runtimeContext().Get("ctx")
	return ctx.Truthy() && ctx.Get("storage").Truthy()
}

// Store is the Durable Object's storage (state.storage) as a worker.Store.
type Store struct{ s js.Value }

// ObjectStore returns this object's storage; call it only when InObject.
func ObjectStore() Store { return Store{runtimeContext().Get("ctx").Get("storage")} }

var _ worker.Store = Store{}

// The storage API takes at most 128 keys per put or delete call.
const maxKeysPerCall = 128

func (s Store) Get(key string) (string, bool, error) {
	v, err := await(s.s.Call("get", key))
	if err != nil || v.IsUndefined() || v.IsNull() {
		return "", false, err
	}
	if v.Type() != js.TypeString {
		return "", false, errors.New("storage: " + key + " is not a string")
	}
	return v.String(), true, nil
}

func (s Store) Put(entries map[string]string) error {
	o, n := object.New(), 0
	for k, v := range entries {
		o.Set(k, v)
		if n++; n == maxKeysPerCall {
			if _, err := await(s.s.Call("put", o)); err != nil {
				return err
			}
			o, n = object.New(), 0
		}
	}
	if n > 0 {
		_, err := await(s.s.Call("put", o))
		return err
	}
	return nil
}

func (s Store) Delete(keys ...string) error {
	for len(keys) > 0 {
		part := keys[:min(len(keys), maxKeysPerCall)]
		keys = keys[len(part):]
		a := array.New(len(part))
		for i, k := range part {
			a.SetIndex(i, k)
		}
		if _, err := await(s.s.Call("delete", a)); err != nil {
			return err
		}
	}
	return nil
}

func (s Store) List(prefix string) (map[string]string, error) {
	opts := object.New()
	opts.Set("prefix", prefix)
	m, err := await(s.s.Call("list", opts))
	if err != nil {
		return nil, err
	}
	pairs := array.Call("from", m)
	out := make(map[string]string, pairs.Length())
	for i := range pairs.Length() {
		kv := pairs.Index(i)
		if v := kv.Index(1); v.Type() == js.TypeString {
			out[kv.Index(0).String()] = v.String()
		}
	}
	return out, nil
}

func (s Store) DeleteAll() error {
	_, err := await(s.s.Call("deleteAll"))
	return err
}

func (s Store) Alarm() (time.Time, bool, error) {
	v, err := await(s.s.Call("getAlarm"))
	if err != nil || v.IsNull() || v.IsUndefined() {
		return time.Time{}, false, err
	}
	return time.UnixMilli(int64(v.Float())), true, nil
}

func (s Store) SetAlarm(at time.Time) error {
	_, err := await(s.s.Call("setAlarm", float64(at.UnixMilli())))
	return err
}

func (s Store) DeleteAlarm() error {
	_, err := await(s.s.Call("deleteAlarm"))
	return err
}
