package browsertest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/markunread/markunread/web/devportal"
)

// markInDemo fills the demo app's form in fr, clicks "Mark unread" and
// returns what the page shows as the result.
func markInDemo(t *testing.T, fr *frame, dialog, message string) string {
	t.Helper()
	waitText(t, fr.ctx, "#status", func(s string) bool { return s != "Loading the module…" }, 25*time.Second)
	status, err := chromedp.Run(fr.ctx, chromedp.Text(chromedp.ID("status")))
	require.NoError(t, err)
	require.Equal(t, "Ready.", status, "the demo's status line")
	// Empty the fields (chromedp.Clear only resets the value attribute), then
	// type as a person does.
	require.NoError(t, chromedp.Do(fr.ctx,
		chromedp.Evaluate[chromedp.Void](`document.getElementById('dialog').value = ''; document.getElementById('message').value = ''`),
		chromedp.SendKeys(chromedp.ID("dialog"), dialog),
		chromedp.SendKeys(chromedp.ID("message"), message),
		chromedp.Click(chromedp.ID("mark")),
	))
	return waitText(t, fr.ctx, "#result", func(s string) bool { return s != "—" && s != "sending…" }, 20*time.Second)
}

func TestDemoInPortalMarksUnreadWithTheParentsToken(t *testing.T) {
	needBrowser(t)
	e := newEnv(t, devportal.Config{})
	tab, frames := e.openPortal("/", 1, 60*time.Second)
	fr := frames[0]

	result := markInDemo(t, fr, "chat29", "12")
	assert.Equal(t, "true", result, "the page's result")
	class, err := chromedp.Run(fr.ctx, chromedp.Evaluate[string](`document.getElementById('result').className`))
	require.NoError(t, err)
	assert.Equal(t, "ok", class)
	assert.Equal(t, map[string]int64{"chat29": 12}, e.portal.Unread(), "the emulator's record")

	// The token the app used is the one the portal launched this iframe with.
	launched, err := chromedp.Run(tab, chromedp.Evaluate[string](`document.querySelector('form.launch input[name=AUTH_ID]').value`))
	require.NoError(t, err)
	assert.Equal(t, map[string][]string{"chat29": {launched}}, e.rest.tokensByDialog())

	// The parent page polls /devportal/state each second; wait until it shows
	// the mark, then keep a picture of what a person sees.
	waitText(t, tab, "#unread", func(s string) bool { return strings.Contains(s, "chat29") }, 5*time.Second)
	png, err := chromedp.Run(tab, chromedp.CaptureScreenshot())
	require.NoError(t, err)
	dir := filepath.Join(distDir, "screenshots")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "demo.png"), png, 0o644))
	assert.Empty(t, fr.console.matching(func(c consoleEntry) bool { return c.Level == "error" }), "errors in the app's console")
}

func TestDemoRefusesBadArgumentsLocallyWithTheServersCode(t *testing.T) {
	needBrowser(t)
	e := newEnv(t, devportal.Config{})
	_, frames := e.openPortal("/", 1, 60*time.Second)
	fr := frames[0]

	for _, c := range []struct{ dialog, message, code string }{
		{"chat29", "12abc", "MESSAGE_ID_ERROR"},
		{"chat29", "0", "MESSAGE_ID_ERROR"},
		{"chat 29", "12", "DIALOG_ID_EMPTY"},
		{"", "12", "DIALOG_ID_EMPTY"},
	} {
		result := markInDemo(t, fr, c.dialog, c.message)
		assert.True(t, strings.HasPrefix(result, c.code+": "), "dialog %q message %q: the page shows %q, want %s", c.dialog, c.message, result, c.code)
		class, err := chromedp.Run(fr.ctx, chromedp.Evaluate[string](`document.getElementById('result').className`))
		require.NoError(t, err)
		assert.Equal(t, "error", class)
	}
	assert.Zero(t, e.portal.Stats().Requests, "REST requests that reached the emulator")
	assert.Empty(t, e.rest.all())
	assert.Empty(t, e.portal.Unread())
}

func TestDemoUnderStrictCSPLoadsAndMarksWithoutViolations(t *testing.T) {
	needBrowser(t)
	e := newEnv(t, devportal.Config{})
	// The page parameter carries the app page's own query; the parent keeps it
	// and adds the launch parameters.
	_, frames := e.openPortal("/?csp=strict", 1, 60*time.Second)
	fr := frames[0]
	assert.Contains(t, fr.url, "csp=strict")

	assert.Equal(t, "true", markInDemo(t, fr, "chat7", "3"))
	assert.Equal(t, map[string]int64{"chat7": 3}, e.portal.Unread())

	// The header was on the page the browser loaded (the form POST to "/").
	var csp []string
	for _, h := range e.appResp.headers("/") {
		csp = append(csp, h.Get("Content-Security-Policy"))
	}
	assert.Equal(t, []string{"script-src 'self' 'wasm-unsafe-eval'"}, csp, "CSP of the app page responses")

	isViolation := func(c consoleEntry) bool {
		return containsAny(c.Text, "Content Security Policy", "Content-Security-Policy", "unsafe-eval", "CSP")
	}
	assert.Empty(t, fr.console.matching(isViolation), "CSP violations in the app's console")

	// The policy is in force, and a violation would have been seen: an inline
	// script is refused and reported.
	_, err := chromedp.Run(fr.ctx, chromedp.Evaluate[chromedp.Void](
		`{ const s = document.createElement('script'); s.textContent = 'window.inlineRan = true'; document.body.appendChild(s); }`))
	require.NoError(t, err)
	deadline := time.Now().Add(5 * time.Second)
	for len(fr.console.matching(isViolation)) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	ran, err := chromedp.Run(fr.ctx, chromedp.Evaluate[bool](`window.inlineRan === true`))
	require.NoError(t, err)
	assert.False(t, ran, "an inline script ran: the CSP is not in force")
	assert.NotEmpty(t, fr.console.matching(isViolation), "the control violation was not reported: the console check sees nothing")
}

func TestDemoTwoAppFramesMarkEachWithItsOwnToken(t *testing.T) {
	needBrowser(t)
	e := newEnv(t, devportal.Config{})
	tab, frames := e.openPortal("/", 2, 60*time.Second)

	launched, err := chromedp.Run(tab, chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll('form.launch input[name=AUTH_ID]'), (i) => i.value)`))
	require.NoError(t, err)
	require.Len(t, launched, 2)
	require.NotEqual(t, launched[0], launched[1])

	// Both apps loaded at once (each asked the parent for its init data);
	// a person marks in one, then in the other.
	assert.Equal(t, "true", markInDemo(t, frames[0], "chat101", "5"))
	assert.Equal(t, "true", markInDemo(t, frames[1], "sg202", "9"))
	assert.Equal(t, map[string]int64{"chat101": 5, "sg202": 9}, e.portal.Unread())
	assert.Equal(t, map[string][]string{"chat101": {launched[0]}, "sg202": {launched[1]}}, e.rest.tokensByDialog(),
		"each frame marks with the token its own launch carried")
}

func TestDemoBulkMarkShowsProgressStatsAndEachFailure(t *testing.T) {
	needBrowser(t)
	e := newEnv(t, devportal.Config{})
	tab, frames := e.openPortal("/", 1, 60*time.Second)
	fr := frames[0]
	waitText(t, fr.ctx, "#status", func(s string) bool { return s == "Ready." }, 25*time.Second)

	// 120 generated dialogs, then the default list with one bad id in it.
	require.NoError(t, chromedp.Do(fr.ctx,
		chromedp.Evaluate[chromedp.Void](`document.getElementById('count').value = '120'`),
		chromedp.Click(chromedp.ID("markAll")),
	))
	summary := waitText(t, fr.ctx, "#progressText", func(s string) bool { return strings.Contains(s, "marked unread in") }, 30*time.Second)
	assert.True(t, strings.HasPrefix(summary, "120 of 120 marked unread"), summary)
	assert.Len(t, e.portal.Unread(), 120)
	requests := e.portal.Stats().Requests
	assert.LessOrEqual(t, requests, 4, "120 calls from a loop: one goes at once, the rest gather into batches")

	require.NoError(t, chromedp.Do(fr.ctx,
		chromedp.Evaluate[chromedp.Void](`document.getElementById('count').value = '0'`),
		chromedp.Click(chromedp.ID("markAll")),
	))
	summary = waitText(t, fr.ctx, "#progressText", func(s string) bool { return strings.Contains(s, "of 7 marked unread in") }, 30*time.Second)
	assert.True(t, strings.HasPrefix(summary, "6 of 7 marked unread"), summary)
	failures, err := chromedp.Run(fr.ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#failures li')].map(li => li.textContent)`))
	require.NoError(t, err)
	require.Len(t, failures, 1)
	assert.True(t, strings.HasPrefix(failures[0], `chat 6: DIALOG_ID_EMPTY: dialog id "chat 6"`), failures[0])
	progress, err := chromedp.Run(fr.ctx, chromedp.Evaluate[[]float64](`[document.getElementById('progress').value, document.getElementById('progress').max]`))
	require.NoError(t, err)
	assert.Equal(t, []float64{7, 7}, progress)
	// The stats view follows the module's progress events.
	succeeded := waitText(t, fr.ctx, "#stat-succeeded", func(s string) bool { return s == "126" }, 5*time.Second)
	assert.Equal(t, "126", succeeded)

	// A picture of the app after the runs (the README shows it).
	png, err := chromedp.Run(tab, chromedp.Screenshot(chromedp.CSS(".frame")))
	require.NoError(t, err)
	dir := filepath.Join(distDir, "screenshots")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "demo-bulk.png"), png, 0o644))
}
