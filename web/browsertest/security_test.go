package browsertest

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/markunread/markunread/web/devportal"
)

// Every env also checks, when its test ends, that the emulator counted no
// request with auth in the URL (Stats().AuthInURL) and that no URL either
// server saw carried a token; this test adds a refresh to the flow.
func TestSecurityNoTokenInAnyURL(t *testing.T) {
	needBrowser(t)
	e := newEnv(t, devportal.Config{TokenLifetime: 2 * time.Second})
	_, frames := e.openPortal("/t/harness.html", 1, 60*time.Second)
	fr := frames[0]
	harnessReady(t, fr)
	assert.Equal(t, 10, runMarks(t, fr, 10, 1, 0).OK)
	time.Sleep(2500 * time.Millisecond)
	res := runMarks(t, fr, 10, 100, 0)
	assert.Equal(t, 10, res.OK)
	assert.Equal(t, 1, res.Stats.Refreshes)

	st := e.portal.Stats()
	assert.Zero(t, st.AuthInURL)
	assert.NotZero(t, st.Requests)
	for _, r := range e.rest.all() {
		assert.NotEmpty(t, r.Auth, "a REST request without the token in its body")
	}
	for _, u := range e.seen.all() {
		assert.NotContains(t, strings.ToLower(u), "auth_id=")
		assert.NotContains(t, strings.ToLower(u), "refresh_id=")
		assert.NotContains(t, strings.ToLower(u), "access_token=")
	}
}

// forgerJS runs in the real parent page before its own script. It holds the
// app's getInitData back until three forged answers reached the app:
//  1. from the parent window and the portal's origin, with a key the app never sent;
//  2. with the right key and the portal's origin, but from another window (a
//     same-origin child frame of the parent);
//  3. with the right key from a foreign origin (a frame on a third origin).
//
// Then it lets the portal's own handler answer.
const forgerJS = `(() => {
  if (window !== window.top || location.origin !== %[1]q) return;
  const APP = %[2]q, FORGER = %[3]q;
  const forged = (tag) => ({ AUTH_ID: 'forged-' + tag, REFRESH_ID: 'forged-refresh', AUTH_EXPIRES: 3600,
    DOMAIN: location.host, PROTOCOL: 0, PATH: '/rest', LANG: 'en', MEMBER_ID: 'forged' });
  window.__forged = [];
  let sameOrigin, foreign;
  const helpers = new Promise((resolve) => document.addEventListener('DOMContentLoaded', () => {
    sameOrigin = document.createElement('iframe');
    sameOrigin.hidden = true;
    document.body.appendChild(sameOrigin);
    foreign = document.createElement('iframe');
    foreign.hidden = true;
    foreign.addEventListener('load', resolve);
    foreign.src = FORGER + '/forger.html';
    document.body.appendChild(foreign);
  }));
  const replays = new WeakSet();
  window.addEventListener('message', async (event) => {
    if (replays.has(event)) return;
    if (event.origin !== APP || typeof event.data !== 'string' || !event.data.startsWith('getInitData:')) return;
    event.stopImmediatePropagation();
    const key = event.data.split(':')[1];
    const app = event.source;
    await helpers;
    app.postMessage('f00dfeedf00dfeedf00dfeedf00dfeed:' + JSON.stringify(forged('wrong-key')), APP);
    sameOrigin.contentWindow.Function('w', 'm', 'o', 'w.postMessage(m, o)')(app, key + ':' + JSON.stringify(forged('wrong-window')), APP);
    await new Promise((resolve) => {
      window.addEventListener('message', function done(ev) {
        if (ev.source === foreign.contentWindow && ev.data && ev.data.forged === key) {
          window.removeEventListener('message', done);
          resolve();
        }
      });
      foreign.contentWindow.postMessage({ key, payload: forged('wrong-origin') }, FORGER);
    });
    window.__forged.push(key);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const replay = new MessageEvent('message', { data: event.data, origin: event.origin, source: event.source });
    replays.add(replay);
    window.dispatchEvent(replay);
  }, true);
})();`

// forgerHTML is the third origin's page: it posts the forged answer, with the
// key the parent gave it, to the app's frame (the parent's first frame).
const forgerHTML = `<!doctype html><meta charset="utf-8"><title>forger</title>
<script>
window.addEventListener('message', (event) => {
  const d = event.data || {};
  if (!d.key) return;
  parent.frames[0].postMessage(d.key + ':' + JSON.stringify(d.payload), '*');
  event.source.postMessage({ forged: d.key }, '*');
});
</script>`

func TestSecurityForgedPostMessageAnswersAreIgnored(t *testing.T) {
	needBrowser(t)
	e := newEnv(t, devportal.Config{})
	fl, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	forgerURL := "http://" + fl.Addr().String()
	serve(t, fl, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(forgerHTML))
	}))

	tab := newTab(t, 60*time.Second)
	_, err = chromedp.Call(tab, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: fmt.Sprintf(forgerJS, e.portalURL, e.appURL, forgerURL),
	})
	require.NoError(t, err)
	require.NoError(t, chromedp.Do(tab, chromedp.Navigate(e.parentURL("/t/harness.html", 1))))
	fr := e.appFrames(tab, 1)[0]
	harnessReady(t, fr)

	// The module asks the portal for its token at the first call.
	res := runMarks(t, fr, 5, 300, 0)
	assert.Equal(t, 5, res.OK, "%+v", res.Failed)
	assert.Zero(t, res.Stats.Refreshes)
	// The module used the real token only.
	st := e.portal.Stats()
	assert.Zero(t, st.Status401, "a forged token reached the emulator")
	launched, err := chromedp.Run(tab, chromedp.Evaluate[string](`document.querySelector('form.launch input[name=AUTH_ID]').value`))
	require.NoError(t, err)
	for _, r := range e.rest.all() {
		assert.Equal(t, launched, r.Auth, "the token of a REST request")
	}
	assert.Len(t, e.portal.Unread(), 5)

	// The forgeries were sent, and they reached the app's window before the
	// real answer.
	forgedKeys, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`window.__forged`))
	require.NoError(t, err)
	require.Len(t, forgedKeys, 1, "the parent saw one getInitData and forged answers to it")
	type received struct {
		Origin     string `json:"origin"`
		FromParent bool   `json:"fromParent"`
		Data       string `json:"data"`
	}
	got, err := chromedp.Run(fr.ctx, chromedp.Evaluate[[]received](`window.harness.received`))
	require.NoError(t, err)
	index := func(f func(received) bool) int {
		for i, m := range got {
			if f(m) {
				return i
			}
		}
		return -1
	}
	wrongKey := index(func(m received) bool {
		return m.FromParent && m.Origin == e.portalURL && strings.Contains(m.Data, "forged-wrong-key")
	})
	wrongWindow := index(func(m received) bool {
		return !m.FromParent && m.Origin == e.portalURL && strings.HasPrefix(m.Data, forgedKeys[0]+":") && strings.Contains(m.Data, "forged-wrong-window")
	})
	wrongOrigin := index(func(m received) bool {
		return m.Origin == forgerURL && strings.HasPrefix(m.Data, forgedKeys[0]+":") && strings.Contains(m.Data, "forged-wrong-origin")
	})
	genuine := index(func(m received) bool {
		return m.FromParent && m.Origin == e.portalURL && strings.HasPrefix(m.Data, forgedKeys[0]+":") && strings.Contains(m.Data, launched)
	})
	require.NotEqual(t, -1, genuine, "the portal's answer did not arrive: %+v", got)
	for name, i := range map[string]int{"wrong key": wrongKey, "wrong window": wrongWindow, "wrong origin": wrongOrigin} {
		require.NotEqual(t, -1, i, "the %s forgery did not reach the app: %+v", name, got)
		assert.Less(t, i, genuine, "the %s forgery came after the real answer", name)
	}

	assert.Len(t, e.portal.Unread(), 5)
}

// evilHTML is a page on a third origin that frames the app under a window
// name claiming the portal, and answers whatever reaches it with a forged
// token.
const evilHTML = `<!doctype html><meta charset="utf-8"><title>not the portal</title>
<iframe name="%[1]s|0|0123456789abcdef0123456789abcdef" data-sid="0123456789abcdef0123456789abcdef" src="%[2]s/t/harness.html"></iframe>
<script>
window.__got = [];
window.addEventListener('message', (event) => {
  window.__got.push(String(event.data));
  const parts = String(event.data).split(':');
  if (parts.length >= 3) {
    event.source.postMessage(parts[parts.length - 2] + ':' + JSON.stringify({ AUTH_ID: 'forged-evil-parent',
      REFRESH_ID: 'x', AUTH_EXPIRES: 3600, DOMAIN: %[1]q, PROTOCOL: 0 }), '*');
  }
});
</script>`

func TestSecurityAppFramedByAForeignPageNeitherLeaksNorTakesATokenRequest(t *testing.T) {
	needBrowser(t)
	e := newEnv(t, devportal.Config{})
	fl, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	evilURL := "http://" + fl.Addr().String()
	portalHost := strings.TrimPrefix(e.portalURL, "http://")
	serve(t, fl, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = fmt.Fprintf(w, evilHTML, portalHost, e.appURL)
	}))

	tab := newTab(t, 60*time.Second)
	require.NoError(t, chromedp.Do(tab, chromedp.Navigate(evilURL+"/evil.html")))
	fr := e.appFrames(tab, 1)[0]
	harnessReady(t, fr)

	// The module's getInitData goes to the portal's origin only, so the
	// foreign parent never sees it; the call fails (after the auth timeout)
	// instead of using anything the foreign page sends.
	res := runMarks(t, fr, 1, 1, 0)
	assert.Zero(t, res.OK)
	require.Len(t, res.Failed, 1)
	assert.Equal(t, "NO_AUTH", res.Failed[0].Code, "%+v", res.Failed[0])
	got, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`window.__got`))
	require.NoError(t, err)
	assert.Empty(t, got, "messages the app sent to a parent that is not the portal")
	assert.Zero(t, e.portal.Stats().Requests, "REST requests")
}
