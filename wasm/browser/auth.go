//go:build js && wasm

package browser

import (
	"errors"
	"syscall/js"

	"github.com/markunread/markunread/wasm/internal/time"
	"github.com/markunread/markunread/wasm/unread"
)

// pageAuth asks the shim's auth object for tokens. The shim has already
// turned whatever the page has (the portal's postMessage protocol, BX24,
// the official SDK, an explicit token) into {token(), refresh()}, each a
// Promise of {portal, accessToken}.
type pageAuth struct {
	source js.Value
}

func (a pageAuth) Token(stop <-chan struct{}) (unread.Credentials, error) {
	return a.ask(stop, "token")
}

func (a pageAuth) Refresh(stop <-chan struct{}) (unread.Credentials, error) {
	return a.ask(stop, "refresh")
}

// CanRefresh: an explicit token given without a refresh function has none.
func (a pageAuth) CanRefresh() bool {
	can := false
	_ = guard("reading auth.refresh", func() { can = a.source.Get("refresh").Type() == js.TypeFunction })
	return can
}

func (a pageAuth) ask(stop <-chan struct{}, name string) (unread.Credentials, error) {
	var promise js.Value
	if err := guard("auth "+name+"()", func() { promise = a.source.Call(name) }); err != nil {
		return unread.Credentials{}, errors.New(err.(*unread.Error).Description)
	}
	v, err := await(stop, promise, nil)
	if err != nil {
		return unread.Credentials{}, err
	}
	var c unread.Credentials
	err = guard("reading auth "+name+"()", func() {
		if v.Type() != js.TypeObject {
			return
		}
		if p := v.Get("portal"); p.Type() == js.TypeString {
			c.Portal = p.String()
		}
		if t := v.Get("accessToken"); t.Type() == js.TypeString {
			c.AccessToken = t.String()
		}
		// expiresIn: the token's life in seconds, when the source knows it.
		if e := v.Get("expiresIn"); e.Type() == js.TypeNumber && e.Float() > 0 && e.Float() < 1e9 {
			c.ExpiresIn = time.Duration(e.Float() * float64(time.Second))
		}
	})
	return c, err
}
