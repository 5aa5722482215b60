package browsertest

import (
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/heapprofiler"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/security"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/markunread/markunread/web/devportal"
)

// attacker is a loopback server that records every request it gets: where a
// token must never go.
type attacker struct {
	url  string
	mu   sync.Mutex
	reqs []string
}

func newAttacker(t *testing.T) *attacker {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	a := &attacker{url: "http://" + l.Addr().String()}
	serve(t, l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.reqs = append(a.reqs, r.Method+" "+r.URL.String())
		a.mu.Unlock()
		w.Header().Set("Access-Control-Allow-Origin", "*")
		_, _ = w.Write([]byte(`{"result":true}`))
	}))
	return a
}

func (a *attacker) requests() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.reqs...)
}

// A page whose Object.prototype lends every object a portal and a wasmUrl on
// an attacker's host before load(), and a DOMAIN after it: the module loads
// from beside the shim, and every token, the refreshed one included, goes to
// the portal only.
func TestHostilePrototypePollutionSendsNothingElsewhere(t *testing.T) {
	needBrowser(t)
	bad := newAttacker(t)
	e := newEnv(t, devportal.Config{TokenLifetime: 2 * time.Second})
	_, frames := e.openPortal("/t/polluted.html?attacker="+url.QueryEscape(bad.url), 1, 60*time.Second)
	fr := frames[0]
	harnessReady(t, fr)

	first := runMarks(t, fr, 5, 1, 0)
	assert.Equal(t, 5, first.OK, "%+v", first.Failed)
	time.Sleep(2500 * time.Millisecond) // past the token's life: the next calls refresh it
	second := runMarks(t, fr, 5, 100, 0)
	assert.Equal(t, 5, second.OK, "%+v", second.Failed)
	assert.Equal(t, 1, second.Stats.Refreshes)

	assert.Empty(t, bad.requests(), "requests that reached the attacker's host")
	assert.Len(t, e.portal.Unread(), 10)
	assert.NotEmpty(t, e.appResp.headers("/dist/markunread.wasm"), "the module beside the shim was not fetched")
}

// An https page runs the module in a srcdoc frame (location about:srcdoc,
// origin the page's): it is a secure page, so no token goes over plain http,
// not even to a loopback portal: load() rejects with INVALID_PORTAL.
func TestHostileSrcdocFrameOfAnHTTPSPageIsSecure(t *testing.T) {
	needBrowser(t)
	e := newEnv(t, devportal.Config{})
	mux := http.NewServeMux()
	mux.Handle("/", devportal.AppHandler(appDir, distDir))
	mux.Handle("/t/", http.StripPrefix("/t", devportal.AppHandler(testdata, distDir)))
	page := httptest.NewUnstartedServer(mux)
	// Chromium drops connections to the self-signed certificate until it is
	// told to ignore it; those handshake errors are expected.
	page.Config.ErrorLog = log.New(io.Discard, "", 0)
	page.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
	page.StartTLS()
	t.Cleanup(page.Close)

	tab := newTab(t, 60*time.Second)
	// The test server's certificate is self-signed.
	_, err := chromedp.Call(tab, security.SetIgnoreCertificateErrors, security.SetIgnoreCertificateErrorsParams{Ignore: true})
	require.NoError(t, err)
	token := e.portal.IssueToken()
	q := url.Values{"portal": {e.portalURL}, "token": {token.Access}}
	require.NoError(t, chromedp.Do(tab, chromedp.Navigate(page.URL+"/t/srcdoc.html?"+q.Encode())))

	type outcome struct {
		OK          bool   `json:"ok"`
		Code        string `json:"code"`
		Description string `json:"description"`
		Protocol    string `json:"protocol"`
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		ready, err := chromedp.Run(tab, chromedp.Evaluate[bool](`!!(document.querySelector('iframe') && document.querySelector('iframe').contentWindow.result)`))
		require.NoError(t, err)
		if ready {
			break
		}
		require.True(t, time.Now().Before(deadline), "the srcdoc frame did not run the module")
		time.Sleep(100 * time.Millisecond)
	}
	got, err := chromedp.Run(tab, chromedp.Evaluate[outcome](`document.querySelector('iframe').contentWindow.result`, chromedp.EvalAwaitPromise))
	require.NoError(t, err)
	assert.Equal(t, "about:", got.Protocol, "the module ran in the srcdoc frame")
	assert.False(t, got.OK)
	assert.Equal(t, "INVALID_PORTAL", got.Code, "%+v", got)
	assert.Zero(t, e.portal.Stats().Requests, "requests that carried the token over plain http")
}

// After import, load() and a call, the page's global object has exactly the
// names it had, and `typeof process` is still "undefined".
func TestHostileGlobalsAreLeftAlone(t *testing.T) {
	needBrowser(t)
	e := newEnv(t, devportal.Config{})
	_, frames := e.openPortal("/t/globals.html", 1, 60*time.Second)
	fr := frames[0]
	type result struct {
		Outcome             string   `json:"outcome"`
		Added               []string `json:"added"`
		Removed             []string `json:"removed"`
		TypeofProcessBefore string   `json:"typeofProcessBefore"`
		TypeofProcess       string   `json:"typeofProcess"`
		TypeofFs            string   `json:"typeofFs"`
		TypeofGo            string   `json:"typeofGo"`
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok, err := chromedp.Run(fr.ctx, chromedp.Evaluate[bool](`!!window.globalsResult`))
		require.NoError(t, err)
		if ok {
			break
		}
		require.True(t, time.Now().Before(deadline), "the page did not finish")
		time.Sleep(100 * time.Millisecond)
	}
	got, err := chromedp.Run(fr.ctx, chromedp.Evaluate[result](`window.globalsResult`))
	require.NoError(t, err)
	assert.Equal(t, "true", got.Outcome, "the call through the module")
	assert.Empty(t, got.Added, "global names the module added")
	assert.Empty(t, got.Removed, "global names the module removed")
	assert.Equal(t, "undefined", got.TypeofProcessBefore)
	assert.Equal(t, "undefined", got.TypeofProcess)
	assert.Equal(t, "undefined", got.TypeofFs)
	assert.Equal(t, "undefined", got.TypeofGo)
}

// Heap growth per call through the shim in Chromium, after a warm-up, over
// 20,000 successful and 20,000 refused calls: settled calls leave nothing
// behind (the goal is under 40 bytes per call).
func TestHostileMemoryPerCallInChromium(t *testing.T) {
	needBrowser(t)
	e := newEnv(t, devportal.Config{})
	tab := newTab(t, 5*time.Minute)
	require.NoError(t, chromedp.Do(tab, chromedp.Navigate(e.appURL+"/t/memory.html")))
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok, err := chromedp.Run(tab, chromedp.Evaluate[bool](`!!window.mem`))
		require.NoError(t, err)
		if ok {
			break
		}
		require.True(t, time.Now().Before(deadline), "the page did not load the module")
		time.Sleep(100 * time.Millisecond)
	}
	run := func(n int, ok bool) {
		_, err := chromedp.Run(tab, chromedp.Evaluate[bool](fmt.Sprintf(`window.mem.run(%d, %t)`, n, ok), chromedp.EvalAwaitPromise))
		require.NoError(t, err)
	}
	heap := func() float64 {
		_, err := chromedp.Run(tab, chromedp.Evaluate[bool](`window.mem.goCollect()`, chromedp.EvalAwaitPromise))
		require.NoError(t, err)
		for range 2 {
			_, err = chromedp.Call(tab, heapprofiler.CollectGarbage, cdp.Empty{})
			require.NoError(t, err)
		}
		usage, err := chromedp.Call(tab, cdpruntime.GetHeapUsage, cdp.Empty{})
		require.NoError(t, err)
		return usage.UsedSize
	}
	run(10_000, true)
	run(10_000, false)
	start := heap()
	run(20_000, true)
	afterOk := heap()
	run(20_000, false)
	afterFailed := heap()
	perOk := (afterOk - start) / 20_000
	perFailed := (afterFailed - afterOk) / 20_000
	t.Logf("Chromium heap growth per call: %.1f B (20000 ok), %.1f B (20000 failed); heap %.1f MB -> %.1f MB",
		perOk, perFailed, start/1e6, afterFailed/1e6)
	type counts struct {
		Settled  int `json:"settled"`
		Collects int `json:"collects"`
	}
	c, err := chromedp.Run(tab, chromedp.Evaluate[counts](`window.mem.counts()`))
	require.NoError(t, err)
	assert.Equal(t, 60_000+c.Collects, c.Settled)
	assert.Less(t, perOk, 40.0, "bytes kept per successful call")
	assert.Less(t, perFailed, 40.0, "bytes kept per refused call")
}
