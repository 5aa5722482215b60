//go:build js && wasm

package cf

import (
	"errors"
	"strings"
	"syscall/js"

	"github.com/markunread/markunread/wasm/worker"
)

// Fetch is the global fetch as worker.Outbound. It is invoked, not called on the
// global object: syumai's glue hands Go a Proxy of globalThis, and fetch refuses that
// as its this ("Illegal invocation"). Redirects are not followed: a renamed portal
// answers 302 (docs/bitrix24.md#f-moved-302) and the core decides what follows.
type Fetch struct{}

var _ worker.Outbound = Fetch{}

func (Fetch) Post(stop <-chan struct{}, url, contentType, body string) (int, string, error) {
	ctrl := js.Global().Get("AbortController").New()
	headers := object.New()
	headers.Set("Content-Type", contentType)
	init := object.New()
	init.Set("method", "POST")
	init.Set("headers", headers)
	init.Set("body", body) // a string body is sent with a Content-Length
	init.Set("redirect", "manual")
	init.Set("signal", ctrl.Get("signal"))
	finished := make(chan struct{})
	defer close(finished)
	go func() {
		select {
		case <-stop:
			ctrl.Call("abort")
		case <-finished:
		}
	}()
	res, err := await(js.Global().Get("fetch").Invoke(url, init))
	if err != nil {
		return 0, "", err
	}
	text, err := await(res.Call("text"))
	if err != nil {
		return 0, "", err
	}
	return res.Get("status").Int(), text.String(), nil
}

// Assets is the ASSETS binding (the Worker's static assets, or a disk service locally)
// as worker.Assets.
type Assets struct{ binding js.Value }

// AssetsBinding returns the ASSETS binding.
func AssetsBinding() Assets { return Assets{env().Get("ASSETS")} }

func (a Assets) Get(path string) (worker.Asset, error) {
	if !a.binding.Truthy() {
		return worker.Asset{}, errors.New("no ASSETS binding")
	}
	res, err := await(a.binding.Call("fetch", "http://assets"+path))
	if err != nil {
		return worker.Asset{}, err
	}
	status := res.Get("status").Int()
	if status != 200 {
		_, _ = await(res.Call("arrayBuffer"))
		return worker.Asset{Status: status}, nil
	}
	b, err := bytesOf(res)
	return worker.Asset{Status: status, Body: b}, err
}

// Objects is the PORTAL Durable Object namespace as worker.Objects: one object per
// member_id.
type Objects struct{ ns js.Value }

// PortalObjects returns the PORTAL namespace.
func PortalObjects() Objects { return Objects{env().Get("PORTAL")} }

func (o Objects) Call(member, path string, body []byte) (int, []byte, error) {
	if !o.ns.Truthy() {
		return 0, nil, errors.New("no PORTAL binding")
	}
	stub := o.ns.Call("get", o.ns.Call("idFromName", member))
	init := object.New()
	init.Set("method", "POST")
	init.Set("body", string(body))
	res, err := await(stub.Call("fetch", "http://portal-object"+path, init))
	if err != nil {
		return 0, nil, err
	}
	b, err := bytesOf(res)
	return res.Get("status").Int(), b, err
}

func env() js.Value { return runtimeContext().Get("env") }

func envString(name string) string {
	if v := env().Get(name); v.Type() == js.TypeString {
		return v.String()
	}
	return ""
}

// LoadSettings reads the Worker's secrets and variables.
func LoadSettings() worker.Settings {
	return worker.Settings{
		ClientID:     envString("CLIENT_ID"),
		ClientSecret: envString("CLIENT_SECRET"),
		TokenKey:     envString("TOKEN_KEY"),
		OAuthURL:     strings.TrimSpace(envString("OAUTH_URL")),
		PortalHosts:  worker.ParseHosts(envString("PORTAL_HOSTS")),
		BuildID:      envString("BUILD_ID"),
	}
}
