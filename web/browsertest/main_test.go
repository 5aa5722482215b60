package browsertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/markunread/markunread/web/chromium"
)

// Paths relative to this package's directory (go test runs tests there).
const (
	distDir   = "../../dist"
	binDir    = "../../bin" // test artefacts, such as screenshots; never dist/, which users copy
	appDir    = "../app"
	testdata  = "testdata"
	sdkBundle = "sdk/node_modules/@bitrix24/b24jssdk/dist/umd/index.min.js"
)

// strictEnv is MARKUNREAD_BROWSER_TESTS=1 (set by `make test-browser`): a
// missing piece fails the tests instead of skipping them.
var strictEnv = os.Getenv("MARKUNREAD_BROWSER_TESTS") == "1"

var (
	missing    string          // why the browser tests cannot run, or ""
	browserCtx context.Context // the shared browser; each test opens its own BrowserContext in it
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	chromiumPath, reason := findPieces()
	missing = reason
	if missing != "" {
		return m.Run() // every test skips or fails with the reason
	}
	profile, err := os.MkdirTemp("", "markunread-chromium-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "browsertest:", err)
		return 1
	}
	defer os.RemoveAll(profile)

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromium.Headless(chromiumPath, profile)...)
	opts = append(opts, chromedp.WindowSize(1280, 800))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	// Attaching to an out-of-process iframe makes chromedp log a harmless
	// "DOM.documentUpdated when there's no top-level frame"; keep the rest.
	ctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithErrorf(func(format string, args ...any) {
		if msg := fmt.Sprintf(format, args...); !strings.Contains(msg, "no top-level frame") {
			fmt.Fprintln(os.Stderr, "chromedp:", msg)
		}
	}))
	defer cancel()
	// The first Run starts the browser and ties it to its context: use ctx
	// itself, not a shorter-lived child.
	stop := time.AfterFunc(60*time.Second, cancel)
	err = chromedp.Do(ctx, chromedp.Navigate("about:blank"))
	stop.Stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "browsertest: cannot start %s: %v\n", chromiumPath, err)
		missing = "chromium did not start: " + err.Error()
		return m.Run()
	}
	browserCtx = ctx
	return m.Run()
}

// findPieces finds chromium and checks the build; it returns the chromium
// path, or a reason why the tests cannot run.
func findPieces() (string, string) {
	if _, err := os.Stat(filepath.Join(distDir, "markunread.wasm")); err != nil {
		return "", "dist/markunread.wasm is missing: run `make build` first"
	}
	for _, f := range []string{"markunread.js", "auth.js", "wasm_exec.js"} {
		if _, err := os.Stat(filepath.Join(distDir, f)); err != nil {
			return "", "dist/" + f + " is missing: run `make build` first"
		}
	}
	if p := os.Getenv("MARKUNREAD_CHROMIUM"); p != "" {
		return p, ""
	}
	for _, name := range []string{"chromium", "chromium-browser", "/usr/bin/chromium"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, ""
		}
	}
	return "", "chromium is not installed: `make chromium` installs Debian's package (or set MARKUNREAD_CHROMIUM)"
}

// needBrowser skips the test (fails it under MARKUNREAD_BROWSER_TESTS=1)
// when the browser tests cannot run here.
func needBrowser(t *testing.T) {
	t.Helper()
	if missing == "" {
		return
	}
	if strictEnv {
		t.Fatal("MARKUNREAD_BROWSER_TESTS=1 but " + missing)
	}
	t.Skip(missing)
}

// needSDK is needBrowser for the tests that also need the pinned official SDK.
func needSDK(t *testing.T) {
	t.Helper()
	needBrowser(t)
	if _, err := os.Stat(sdkBundle); err != nil {
		msg := "the official SDK is not installed: run `npm ci --prefix web/browsertest/sdk`"
		if strictEnv {
			t.Fatal("MARKUNREAD_BROWSER_TESTS=1 but " + msg)
		}
		t.Skip(msg)
	}
}

// newTab opens a tab in a fresh BrowserContext (no shared cookies, storage
// or cache with other tests) of the shared browser.
func newTab(t *testing.T, timeout time.Duration) context.Context {
	t.Helper()
	tctx, cancelTimeout := context.WithTimeout(browserCtx, timeout)
	ctx, cancel := chromedp.NewContext(tctx, chromedp.WithNewBrowserContext())
	t.Cleanup(func() {
		cancel()
		cancelTimeout()
	})
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("opening a tab: %v", err)
	}
	return ctx
}

// pollReady waits until expr is true in tab's page. On a loaded machine
// chromedp can poll in the execution context of the page before the last
// navigation, which the browser has already dropped ("Cannot find context
// with specified id"); the poll is then asked again in the page's new
// context, at most three times.
func pollReady(tab context.Context, expr string) error {
	var err error
	for range 3 {
		_, err = chromedp.Run(tab, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(20*time.Second)))
		if err == nil || !strings.Contains(err.Error(), "Cannot find context with specified id") {
			return err
		}
	}
	return err
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
