//go:build js && wasm

package browser

import (
	"strconv"
	"strings"
	"sync"
	"syscall/js"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/markunread/markunread/wasm/internal/time"
	"github.com/markunread/markunread/wasm/unread"
)

// More portal facts of docs/bitrix24.md the module relies on, as in
// portal_facts_test.go: what the portal answers when it has moved, when its
// bucket is full behind a 503 without CORS, and with an empty error code.

// listener is a second local HTTP server, started in Node, that counts what
// reaches it: the address a moved portal points to.
type listener struct{ server js.Value }

var startListener = js.Global().Get("Function").New(`
	const http = require("http");
	return new Promise((resolve, reject) => {
		const s = http.createServer((req, res) => {
			let body = "";
			req.on("data", d => { body += d; });
			req.on("end", () => {
				s.seen.push(req.method + " " + req.url + " " + body);
				res.writeHead(200, {"Content-Type": "application/json", "Access-Control-Allow-Origin": "*"});
				res.end('{"result":true,"time":{"start":0,"finish":0}}');
			});
		});
		s.seen = [];
		s.on("error", reject);
		s.listen(0, "127.0.0.1", () => resolve(s));
	});`)

func newListener(t *testing.T) listener {
	t.Helper()
	stop := unread.NewStop()
	defer stop.FireAfter(5*time.Second, nil).Stop()
	s, err := await(stop.Done(), startListener.Invoke(), nil)
	require.NoError(t, err)
	l := listener{s}
	t.Cleanup(func() { l.server.Call("close") })
	return l
}

func (l listener) url() string {
	return "http://127.0.0.1:" + strconv.Itoa(l.server.Call("address").Get("port").Int())
}

func (l listener) seen() []string {
	seen := l.server.Get("seen")
	out := make([]string, seen.Length())
	for i := range out {
		out[i] = seen.Index(i).String()
	}
	return out
}

// TestAMovedPortalGivesPortalMovedAfterOneRequest: a renamed portal answers
// every REST call with a 302 to its new address
// (docs/bitrix24.md#f-moved-302). The call rejects with PORTAL_MOVED after
// that one request, saying what to do, and nothing (token least of all)
// reaches the new address, which would have answered true.
func TestAMovedPortalGivesPortalMovedAfterOneRequest(t *testing.T) {
	p := portalFromEnv(t)
	elsewhere := newListener(t)
	p.reset(t, `{"movedTo":"`+elsewhere.url()+`"}`)
	defer p.reset(t, `{}`)
	m := serveModule(t, p, p.token, nil)
	defer m.api.Call("close")

	o := m.mark(t, "chat29", 12)
	assert.False(t, o.ok, "the call resolved")
	assert.Equal(t, unread.CodePortalMoved, o.code, o.description)
	assert.Contains(t, o.description, "new address", "the description says what to do")
	s := p.state(t)
	assert.Equal(t, 1, s.stat("requests"), "requests the portal saw")
	assert.Equal(t, 1, s.stat("redirects"))
	assert.Equal(t, 1, m.stats()["requests"])
	assert.Empty(t, elsewhere.seen(), "requests that reached the new address")
}

// withoutCORS wraps fetch the way a browser treats a cross-origin answer
// without Access-Control-Allow-Origin: the page sees a failed fetch, not
// the answer (Node's fetch has no CORS of its own).
var withoutCORS = js.Global().Get("Function").New("fetch", `
	return async (url, init) => {
		const r = await fetch(url, init);
		if (!r.headers.get("access-control-allow-origin")) {
			throw new TypeError("Failed to fetch");
		}
		return r;
	};`)

// TestA503WithoutCORSCausesNoStorm: the portal's bucket is full and its
// 503 comes without CORS headers, which page JavaScript sees as a failed
// fetch (docs/bitrix24.md#f-cors-503). Each such failure fills the module's
// bucket, so over a window the portal sees no more requests than its bucket
// drains in that time, plus the first: one per drain interval (0.5 s at 2
// per second), not a request per call. Two cases: another app filled the
// bucket once (it drains, and requests pass again), and the portal keeps
// answering 503 (every request refused, burst503 faults).
func TestA503WithoutCORSCausesNoStorm(t *testing.T) {
	p := portalFromEnv(t)
	defer p.reset(t, `{}`)
	for _, tc := range []struct{ name, settings string }{
		{"bucket filled by another app", `{"rate":2,"burst":50,"prefill":50,"corsOn503":false}`},
		{"every request refused", `{"rate":2,"burst":50,"corsOn503":false,"faults":{"rate":1,"seed":1,"kinds":["burst503"]}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p.reset(t, tc.settings)
			noStormWithout503CORS(t, p)
		})
	}
}

func noStormWithout503CORS(t *testing.T, p testPortal) {
	const rate, window = 2.0, 6 * time.Second
	c := unread.New(unread.Config{
		Transport: newFetchTransport(withoutCORS.Invoke(js.Global().Get("fetch"))),
		Auth:      staticAuth{unread.Credentials{Portal: p.url, AccessToken: p.token}},
		Rate:      rate, Burst: 50,
		BatchSize: 1, // a request per call: the most requests the calls could make
	})
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() { c.Mark(markRequest(unread.DialogID("chat"+strconv.Itoa(i+1)), 12)) })
	}
	time.Sleep(window)
	s := p.state(t)
	stats := c.Stats()
	c.Close()
	wg.Wait()

	limit := int(rate*window.Seconds()) + 1
	t.Logf("in %s: %d requests (at most %d), %d answered 503 without CORS, most in one second %d; %d calls succeeded",
		window, s.stat("requests"), limit, s.stat("status503"), s.stat("maxPerSecond"), stats.Succeeded)
	require.Positive(t, s.stat("status503"), "the portal refused nothing: the test did not test")
	assert.Equal(t, 0, stats.Status503, "the module read a 503 it should not have seen")
	assert.LessOrEqual(t, s.stat("requests"), limit, "requests the portal saw in %s", window)
	assert.LessOrEqual(t, s.stat("maxPerSecond"), int(rate)+1, "requests in one second")
}

// TestAnErrorWithAnEmptyCodeKeepsItsDescriptionAndIsNotRetried: the portal
// may answer an error whose code is empty, with a description
// (docs/bitrix24.md#f-err-empty-code), and a 4xx status
// (docs/bitrix24.md#f-err-status). The call rejects with PORTAL_ERROR, the
// portal's description and status, after one request: a 4xx will not pass
// next time.
func TestAnErrorWithAnEmptyCodeKeepsItsDescriptionAndIsNotRetried(t *testing.T) {
	p := portalFromEnv(t)
	p.reset(t, `{"faults":{"rate":1,"seed":1,"kinds":["emptycode"]}}`)
	defer p.reset(t, `{}`)
	c := newClient(p, unread.Config{})
	defer c.Close()

	err := c.Mark(markRequest("chat29", 12))
	require.NotNil(t, err)
	assert.Equal(t, unread.CodePortalError, err.Code)
	assert.Equal(t, "ID is not defined or invalid.", err.Description)
	assert.Equal(t, 400, err.Status)
	assert.Equal(t, 1, err.Attempts)
	assert.Equal(t, 1, p.state(t).stat("requests"), "requests the portal saw")
	assert.False(t, strings.Contains(err.Error(), "gave up"), err.Error())
}
