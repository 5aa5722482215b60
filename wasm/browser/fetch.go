//go:build js && wasm

package browser

import (
	"syscall/js"

	"github.com/markunread/markunread/wasm/unread"
)

// Fetch options, chosen for a token-carrying POST to another origin
// (https://fetch.spec.whatwg.org/#requestinit).
const (
	// A form body with this type keeps the request a CORS "simple" one:
	// no preflight, and the token stays in the body, out of URLs and logs.
	formType = "application/x-www-form-urlencoded"
	// No cookies: the token is the only credential.
	credentials = "omit"
	// A redirect could carry the body, token and all, to another origin:
	// it is never followed. A renamed portal answers every REST call with
	// one (docs/bitrix24.md#f-moved-302); "manual" lets the module see it
	// and say so, where "error" would look like a network failure.
	redirect = "manual"
	// The portal has no business knowing the app page's URL.
	referrerPolicy = "no-referrer"
	cacheMode      = "no-store"
)

// fetchTransport performs REST requests with the page's fetch.
type fetchTransport struct {
	fetch js.Value
	// init holds the RequestInit members every request has; each request
	// gets a copy with its body and signal (four crossings instead of a
	// dozen), so a page's fetch wrapper that reads its init later still
	// sees its own. Neither has a prototype: a page's polluted
	// Object.prototype cannot add members (mode, keepalive, ...).
	init js.Value
}

func newFetchTransport(fetch js.Value) fetchTransport {
	headers := jsObject.Call("create", js.Null())
	headers.Set("Content-Type", formType)
	init := jsObject.Call("create", js.Null())
	init.Set("method", "POST")
	init.Set("headers", headers)
	init.Set("credentials", credentials)
	init.Set("redirect", redirect)
	init.Set("referrerPolicy", referrerPolicy)
	init.Set("cache", cacheMode)
	return fetchTransport{fetch: fetch, init: init}
}

// Post implements unread.Transport. The AbortController is tied to stop:
// when it closes the request is aborted, and Post returns only after fetch
// has rejected, so no callback fires after it.
func (t fetchTransport) Post(stop <-chan struct{}, url, body string) (unread.Response, error) {
	var controller, promise js.Value
	if err := guard("starting fetch", func() {
		controller = jsAbortController.New()
		init := jsObject.Call("assign", jsObject.Call("create", js.Null()), t.init)
		init.Set("body", body)
		init.Set("signal", controller.Get("signal"))
		promise = t.fetch.Invoke(url, init)
	}); err != nil {
		return unread.Response{}, err
	}
	abort := func() { _ = guard("aborting fetch", func() { controller.Call("abort") }) }

	res, err := await(stop, promise, abort)
	if err != nil {
		return unread.Response{}, err
	}
	var status int
	var moved bool
	var reading js.Value
	if err := guard("reading the response", func() {
		status = res.Get("status").Int()
		// Browsers give an opaque redirect (status 0), Node the 3xx itself.
		moved = res.Get("type").String() == "opaqueredirect" || status >= 300 && status < 400
		if !moved {
			reading = res.Call("text")
		}
	}); err != nil {
		return unread.Response{Status: status, Unreadable: true}, nil
	}
	if moved {
		return unread.Response{Status: status, Redirected: true}, nil
	}
	text, err := await(stop, reading, abort)
	if err == errStopped {
		return unread.Response{}, err
	}
	var raw string
	if err == nil {
		err = guard("reading the response", func() { raw = text.String() })
	}
	if err != nil {
		return unread.Response{Status: status, Unreadable: true}, nil
	}
	// One string across the boundary, parsed in Go (unread.ParseJSON says
	// why).
	answer, perr := unread.ParseJSON(raw)
	if perr != nil {
		return unread.Response{Status: status, Unreadable: true}, nil
	}
	return unread.Response{Status: status, JSON: answer}, nil
}
