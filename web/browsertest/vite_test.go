package browsertest

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/markunread/markunread/web/devportal"
)

// viteApp is the Vite fixture: a small app that imports the packed package by
// name. `make test-browser` installs its pinned Vite (npm ci) and the tarball
// of `make package` into it.
const viteApp = "vite"

// needVite is needBrowser for the test that also needs the fixture installed.
func needVite(t *testing.T) {
	t.Helper()
	needBrowser(t)
	for _, p := range []string{"node_modules/.bin/vite", "node_modules/markunread/markunread.wasm"} {
		if _, err := os.Stat(filepath.Join(viteApp, p)); err != nil {
			msg := "the Vite fixture is not installed (" + p + "): run `make test-browser`, or `make package` and `make vite-fixture`"
			if strictEnv {
				t.Fatal("MARKUNREAD_BROWSER_TESTS=1 but " + msg)
			}
			t.Skip(msg)
		}
	}
}

// TestViteAppBuiltAgainstThePackageMarksInsideThePortal follows the README's
// Vite recipe: vite build, vite preview (which answers the portal's launch
// POST with 404), the emulator's app origin proxying to it (-app-proxy),
// the app in the portal page's iframe, a mark.
func TestViteAppBuiltAgainstThePackageMarksInsideThePortal(t *testing.T) {
	needVite(t)
	vite, err := filepath.Abs(filepath.Join(viteApp, "node_modules/.bin/vite"))
	require.NoError(t, err)
	out := t.TempDir()
	build := exec.Command(vite, "build", "--outDir", out, "--emptyOutDir", "--logLevel", "warn")
	build.Dir = viteApp
	msg, err := build.CombinedOutput()
	require.NoError(t, err, "vite build: %s", msg)
	wasm, _ := filepath.Glob(filepath.Join(out, "assets", "markunread-*.wasm"))
	require.Len(t, wasm, 1, "vite build emits the module as a raw asset")

	port := freePort(t)
	var previewLog bytes.Buffer
	preview := exec.Command(vite, "preview", "--outDir", out, "--host", "127.0.0.1", "--port", port, "--strictPort")
	preview.Dir = viteApp
	preview.Stdout, preview.Stderr = &previewLog, &previewLog
	require.NoError(t, preview.Start())
	t.Cleanup(func() {
		_ = preview.Process.Kill()
		_ = preview.Wait()
	})
	target, _ := url.Parse("http://127.0.0.1:" + port)
	if !serving(target.String() + "/") {
		_ = preview.Process.Kill()
		_ = preview.Wait()
		t.Fatalf("vite preview did not answer: %s", previewLog.String())
	}

	// vite preview alone refuses the portal's launch POST: the reason for -app-proxy.
	resp, err := http.PostForm(target.String()+"/", url.Values{"AUTH_ID": {"x"}})
	require.NoError(t, err)
	resp.Body.Close()
	assert.NotEqual(t, http.StatusOK, resp.StatusCode, "vite preview answered the launch POST itself")

	e := newEnvWithApp(t, devportal.Config{}, devportal.AppProxy(target))
	_, frames := e.openPortal("/", 1, 60*time.Second)
	fr := frames[0]
	status := waitText(t, fr.ctx, "#status", func(s string) bool { return s != "Loading…" }, 25*time.Second)
	require.Equal(t, "Ready.", status)
	require.NoError(t, chromedp.Do(fr.ctx, chromedp.Click(`#mark button`)))
	result := waitText(t, fr.ctx, "#result", func(s string) bool { return s != "—" }, 20*time.Second)
	assert.Equal(t, "true", result)
	assert.Equal(t, map[string]int64{"chat42": 7}, e.portal.Unread())
	assert.Empty(t, fr.console.matching(func(c consoleEntry) bool { return c.Level == "error" }), "errors in the app's console")
	// The module came from Vite's build, as application/wasm.
	var wasmTypes []string
	for _, h := range e.appResp.headers("/assets/" + filepath.Base(wasm[0])) {
		wasmTypes = append(wasmTypes, h.Get("Content-Type"))
	}
	assert.Equal(t, []string{"application/wasm"}, wasmTypes)
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// serving waits until u answers a GET, at most 20 s.
func serving(u string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// TestViteDevServerRunsInsideThePortalWithHotReload is the dev loop of the
// README: `vite` (the dev server) behind -app-proxy, the app in the portal
// page's iframe, its hot-reload channel (a WebSocket) connected through the
// emulator, and a mark made with the package straight from node_modules.
func TestViteDevServerRunsInsideThePortalWithHotReload(t *testing.T) {
	needVite(t)
	vite, err := filepath.Abs(filepath.Join(viteApp, "node_modules/.bin/vite"))
	require.NoError(t, err)
	port := freePort(t)
	var devLog bytes.Buffer
	dev := exec.Command(vite, "--host", "127.0.0.1", "--port", port, "--strictPort", "--clearScreen", "false")
	dev.Dir = viteApp
	dev.Stdout, dev.Stderr = &devLog, &devLog
	require.NoError(t, dev.Start())
	t.Cleanup(func() {
		_ = dev.Process.Kill()
		_ = dev.Wait()
	})
	target, _ := url.Parse("http://127.0.0.1:" + port)
	if !serving(target.String() + "/") {
		_ = dev.Process.Kill()
		_ = dev.Wait()
		t.Fatalf("vite did not answer: %s", devLog.String())
	}

	e := newEnvWithApp(t, devportal.Config{}, devportal.AppProxy(target))
	_, frames := e.openPortal("/", 1, 60*time.Second)
	fr := frames[0]
	status := waitText(t, fr.ctx, "#status", func(s string) bool { return s != "Loading…" }, 30*time.Second)
	require.Equal(t, "Ready.", status)
	require.NoError(t, chromedp.Do(fr.ctx,
		chromedp.Evaluate[chromedp.Void](`document.getElementById('dialog').value = 'sg9'`),
		chromedp.Click(`#mark button`),
	))
	assert.Equal(t, "true", waitText(t, fr.ctx, "#result", func(s string) bool { return s != "—" }, 20*time.Second))
	assert.Equal(t, map[string]int64{"sg9": 7}, e.portal.Unread())

	// Vite's client says so in the console once its WebSocket is open.
	connected := func(c consoleEntry) bool { return strings.Contains(c.Text, "[vite] connected") }
	deadline := time.Now().Add(10 * time.Second)
	for len(fr.console.matching(connected)) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	assert.NotEmpty(t, fr.console.matching(connected), "the hot-reload channel did not connect; console: %v", fr.console.all())
	assert.Empty(t, fr.console.matching(func(c consoleEntry) bool { return c.Level == "error" }), "errors in the app's console")
}
