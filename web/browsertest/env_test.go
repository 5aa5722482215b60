package browsertest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/markunread/markunread/web/devportal"
)

// env is one emulated portal and app origin on loopback.
type env struct {
	t         *testing.T
	portal    *devportal.Portal
	portalURL string // http://127.0.0.1:P
	appURL    string // http://localhost:Q
	rest      *restLog
	seen      *urlLog // every URL the portal and the app origin were asked for
	appResp   *respLog
}

// newEnv starts the emulator with cfg (AppURL is filled in). Every env
// checks at the end that no token appeared in any URL either server saw,
// and that the emulator counted no request with auth in its query.
func newEnv(t *testing.T, cfg devportal.Config) *env {
	t.Helper()
	return newEnvWithApp(t, cfg, appOrigin())
}

// newEnvWithApp is newEnv with app as the app origin's handler.
func newEnvWithApp(t *testing.T, cfg devportal.Config, app http.Handler) *env {
	t.Helper()
	pl, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	al, err := net.Listen("tcp", "localhost:0")
	require.NoError(t, err)
	e := &env{
		t:         t,
		portalURL: "http://" + pl.Addr().String(),
		appURL:    "http://localhost:" + port(al.Addr()),
		rest:      &restLog{},
		seen:      &urlLog{},
		appResp:   &respLog{},
	}
	cfg.AppURL = e.appURL + "/"
	e.portal = devportal.New(cfg)
	serve(t, pl, e.seen.wrap(e.rest.wrap(e.portal.Handler())))
	serve(t, al, e.seen.wrap(e.appResp.wrap(app)))
	t.Cleanup(func() {
		assert.Zero(t, e.portal.Stats().AuthInURL, "requests with the token in the URL query")
		for _, u := range e.seen.all() {
			assert.False(t, tokenRe.MatchString(u), "a token-like value in a URL: %s", u)
		}
	})
	return e
}

// tokenRe matches the emulator's tokens (64 hex digits); APP_SID and
// member_id are 32.
var tokenRe = regexp.MustCompile(`[0-9a-f]{64}`)

func port(a net.Addr) string {
	_, p, _ := net.SplitHostPort(a.String())
	return p
}

func serve(t *testing.T, l net.Listener, h http.Handler) {
	s := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.Serve(l) }()
	t.Cleanup(func() { _ = s.Close() })
}

// appOrigin is the app origin's handler: the devportal's AppHandler for the
// demo app and dist, plus the test pages, the SDK bundle and a dist copy
// served with a wrong MIME type for .wasm.
func appOrigin() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", devportal.AppHandler(appDir, distDir))
	mux.Handle("/t/", http.StripPrefix("/t", devportal.AppHandler(testdata, distDir)))
	mux.Handle("/sdk/", http.StripPrefix("/sdk", devportal.AppHandler(path.Dir(sdkBundle), distDir)))
	mux.Handle("/badmime/", http.StripPrefix("/badmime", wrongWasmMIME(devportal.AppHandler(appDir, distDir))))
	return mux
}

// wrongWasmMIME serves .wasm as application/octet-stream, as a misconfigured
// static host does.
func wrongWasmMIME(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ".wasm") {
			w = &mimeWriter{ResponseWriter: w}
		}
		h.ServeHTTP(w, r)
	})
}

type mimeWriter struct{ http.ResponseWriter }

func (m *mimeWriter) WriteHeader(code int) {
	m.Header().Set("Content-Type", "application/octet-stream")
	m.ResponseWriter.WriteHeader(code)
}

func (m *mimeWriter) Write(b []byte) (int, error) {
	if m.Header().Get("Content-Type") != "application/octet-stream" {
		m.WriteHeader(http.StatusOK)
	}
	return m.ResponseWriter.Write(b)
}

// parentURL is the devportal's parent page hosting page (a path on the app
// origin, its own query allowed) in n iframes.
func (e *env) parentURL(page string, frames int) string {
	q := url.Values{"page": {page}}
	if frames > 1 {
		q.Set("frames", fmt.Sprint(frames))
	}
	return e.portalURL + "/?" + q.Encode()
}

// frame is an app iframe, attached as its own target (Chromium runs the
// cross-site iframe out of process).
type frame struct {
	ctx     context.Context
	url     string
	console *consoleLog
}

// openPortal opens a new tab (closed after timeout) on the parent page
// hosting page in n app iframes, and returns the tab and the frames.
func (e *env) openPortal(page string, n int, timeout time.Duration) (context.Context, []*frame) {
	e.t.Helper()
	tab := newTab(e.t, timeout)
	require.NoError(e.t, chromedp.Do(tab, chromedp.Navigate(e.parentURL(page, n))))
	return tab, e.appFrames(tab, n)
}

// appFrames waits until the tab has n iframes on the app origin, attaches to
// each (in the order of their APP_SID in the parent page) and returns them.
func (e *env) appFrames(tab context.Context, n int) []*frame {
	e.t.Helper()
	sids, err := chromedp.Run(tab, chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll('iframe[data-sid]'), (f) => f.dataset.sid)`))
	require.NoError(e.t, err)
	require.Len(e.t, sids, n, "iframes in the parent page")
	var infos []*target.Info
	deadline := time.Now().Add(20 * time.Second)
	for {
		all, err := chromedp.Targets(tab)
		require.NoError(e.t, err)
		infos = infos[:0]
		for _, info := range all {
			if info.Type == "iframe" && strings.HasPrefix(info.URL, e.appURL+"/") {
				infos = append(infos, info)
			}
		}
		if len(infos) == n {
			break
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("want %d app iframe targets, have %d (is site isolation off?)", n, len(infos))
		}
		time.Sleep(50 * time.Millisecond)
	}
	sort.Slice(infos, func(i, j int) bool {
		return slices.IndexFunc(sids, func(s string) bool { return strings.Contains(infos[i].URL, s) }) <
			slices.IndexFunc(sids, func(s string) bool { return strings.Contains(infos[j].URL, s) })
	})
	var frames []*frame
	for _, info := range infos {
		c := &consoleLog{}
		ctx, cancel := chromedp.NewContext(tab, chromedp.WithTargetID(info.TargetID),
			chromedp.WithDetachOnCancel(), chromedp.WithListener(c.add))
		e.t.Cleanup(cancel)
		// The first action attaches; Runtime.enable and Log.enable replay the
		// messages the frame logged before.
		_, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href`))
		require.NoError(e.t, err)
		frames = append(frames, &frame{ctx: ctx, url: info.URL, console: c})
	}
	return frames
}

// waitText waits until the element's text satisfies ok, and returns it.
func waitText(t *testing.T, ctx context.Context, sel string, ok func(string) bool, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last string
	for {
		text, err := chromedp.Run(ctx, chromedp.Evaluate[string](
			fmt.Sprintf(`(document.querySelector(%q) || {}).textContent || ''`, sel)))
		if err == nil {
			last = text
			if ok(text) {
				return text
			}
		} else if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			t.Fatalf("waiting for %s: %v", sel, err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: still %q after %v", sel, last, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
