//go:build js && wasm

package browser

import (
	"encoding/json"
	"syscall/js"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pollute sets members of Object.prototype, as a careless or hostile page
// might, until the test ends.
func pollute(t *testing.T, members map[string]any) {
	t.Helper()
	proto := jsObject.Get("prototype")
	for name, value := range members {
		proto.Set(name, value)
		t.Cleanup(func() { proto.Delete(name) })
	}
}

// recordingFetch is a page's fetch that answers {"result":true} and keeps,
// as JSON in its seen member, what a real fetch would take from its init:
// each RequestInit member as init[name] gives it (a dictionary conversion
// walks the prototype chain), the header names for..in finds (inherited
// ones too) and what Headers makes of them.
var recordingFetch = js.Global().Get("Function").New(`
const names = ["method", "headers", "body", "credentials", "redirect", "referrerPolicy", "cache", "signal",
	"mode", "keepalive", "integrity", "referrer", "priority", "window", "duplex"];
const show = v => v === undefined ? "undefined" : typeof v === "string" ? v : Object.prototype.toString.call(v);
const fetch = (url, init) => {
	const members = {};
	for (const name of names) members[name] = show(init[name]);
	const headers = [];
	for (const name in init.headers) headers.push(name + ": " + init.headers[name]);
	const sent = [...new Headers(init.headers)].map(([name, value]) => name + ": " + value);
	fetch.seen = JSON.stringify({members, headers, sent});
	return Promise.resolve(new Response('{"result":true}', {status: 200}));
};
return fetch;`)

func TestFetchInitIgnoresAPollutedObjectPrototype(t *testing.T) {
	pollute(t, map[string]any{
		"mode": "no-cors", "keepalive": true, "integrity": "sha256-x", "referrer": "https://evil.example/",
		"priority": "high", "window": "page", "duplex": "half", "X-Leak": "1",
	})
	fetch := recordingFetch.Invoke()
	r, err := newFetchTransport(fetch).Post(nil, "http://127.0.0.1:1/rest/im.dialog.unread", "x=1")
	require.NoError(t, err)
	assert.Equal(t, 200, r.Status)
	assert.Equal(t, map[string]any{"result": true}, r.JSON)

	require.Equal(t, js.TypeString, fetch.Get("seen").Type(), "fetch was not called")
	var seen struct {
		Members map[string]string
		Headers []string
		Sent    []string
	}
	require.NoError(t, json.Unmarshal([]byte(fetch.Get("seen").String()), &seen))
	assert.Equal(t, map[string]string{
		"method": "POST", "headers": "[object Object]", "body": "x=1", "credentials": "omit",
		"redirect": "manual", "referrerPolicy": "no-referrer", "cache": "no-store", "signal": "[object AbortSignal]",
		"mode": "undefined", "keepalive": "undefined", "integrity": "undefined", "referrer": "undefined",
		"priority": "undefined", "window": "undefined", "duplex": "undefined",
	}, seen.Members)
	assert.Equal(t, []string{"Content-Type: " + formType}, seen.Headers)
	assert.Equal(t, []string{"content-type: " + formType}, seen.Sent)
}
