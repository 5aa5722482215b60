package browsertest

import (
	"bytes"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/markunread/markunread/wasm/worker/workerd"
	"github.com/markunread/markunread/web/devportal"
)

// The demo served by the app's Worker under workerd (make test-worker sets
// MARKUNREAD_WORKER_DIR and MARKUNREAD_WORKERD): the app origin passes every
// request on to workerd, so the page, its module and the page API are the
// Worker's.
func TestDemoReminderIsMarkedByTheWorkerAsThatUser(t *testing.T) {
	needBrowser(t)
	dir, bin := os.Getenv("MARKUNREAD_WORKER_DIR"), os.Getenv("MARKUNREAD_WORKERD")
	if dir == "" || bin == "" {
		t.Skip("the demo under the app's Worker: run make test-worker")
	}
	var target atomic.Pointer[url.URL]
	proxy := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(target.Load()) }}
	const secret = "browser-test-client-secret"
	e := newEnvWithApp(t, devportal.Config{ClientSecret: secret}, proxy)
	log := &bytes.Buffer{}
	w, err := workerd.Start(workerd.Options{Dir: dir, Workerd: bin, State: t.TempDir(), Address: "127.0.0.1:0",
		ClientID: devportal.DefaultClientID, ClientSecret: secret, TokenKey: "browser test TOKEN_KEY of 32+ characters",
		OAuthURL: e.portalURL, Log: log})
	require.NoError(t, err)
	t.Cleanup(func() {
		w.Stop()
		if t.Failed() {
			t.Log("workerd:\n" + log.String())
			t.Log("app requests:", e.seen.all())
		}
	})
	u, _ := url.Parse(w.URL)
	target.Store(u)
	res, err := http.PostForm(e.portalURL+"/devportal/install", url.Values{"handler": {e.appURL + "/events"}})
	require.NoError(t, err)
	res.Body.Close()

	// The demo's reminder is a minute ahead; ?remindMs makes it 3 s here.
	_, frames := e.openPortal("/?remindMs=3000", 1, 90*time.Second)
	fr := frames[0]
	t.Cleanup(func() {
		if t.Failed() {
			t.Log("app console:", fr.console.all())
		}
	})
	waitText(t, fr.ctx, "#laterStatus", func(s string) bool { return strings.Contains(s, "Jobs run in the app's Worker") }, 30*time.Second)
	waitText(t, fr.ctx, "#status", func(s string) bool { return s == "Ready." }, 30*time.Second)
	require.NoError(t, chromedp.Do(fr.ctx, chromedp.Click(chromedp.ID("remind"))))
	set := waitText(t, fr.ctx, "#laterStatus", func(s string) bool { return strings.HasPrefix(s, "Reminder set") }, 10*time.Second)
	assert.Empty(t, e.portal.Unread(), "nothing is marked before its time: %s", set)
	waitText(t, fr.ctx, "#jobs li", func(s string) bool { return strings.Contains(s, "scheduled") }, 5*time.Second)

	deadline := time.Now().Add(30 * time.Second)
	for len(e.portal.Unread()) == 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	require.Equal(t, map[string]int64{"chat29": 12}, e.portal.Unread(), "the Worker marked the demo's dialog")
	assert.Equal(t, devportal.DefaultUser, e.portal.Messenger(1).Dialogs[0].MarkedBy, "as the user the portal launched the app for")
	row := waitText(t, fr.ctx, "#jobs li", func(s string) bool { return strings.Contains(s, "done") }, 10*time.Second)
	assert.Contains(t, row, "1 marked")
	assert.Empty(t, fr.console.matching(func(c consoleEntry) bool { return c.Level == "error" }), "errors in the app's console")
}
