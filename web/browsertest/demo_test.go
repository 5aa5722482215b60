package browsertest

import (
	"fmt"
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

	// The parent page's messenger list follows the portal live (Server-Sent
	// Events): the dialog appears with its counter and where unread starts.
	row := waitText(t, tab, `#dialogs li[data-dialog="chat29"]`, func(s string) bool { return strings.Contains(s, "unread from message 12 of") }, 5*time.Second)
	d := e.portal.Messenger(0).Dialogs[0]
	assert.Contains(t, row, d.Name)
	assert.Contains(t, row, fmt.Sprint(d.Unread), "the counter badge")
	assert.Equal(t, "1 dialog with unread marks, "+fmt.Sprint(d.Unread)+" unread messages", waitText(t, tab, "#totals", func(s string) bool { return s != "" }, time.Second))
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

	// The default list has a bad id in it: the run ends with one failure, in red.
	require.NoError(t, chromedp.Do(fr.ctx, chromedp.Click(chromedp.ID("markAll"))))
	summary := waitText(t, fr.ctx, "#progressText", func(s string) bool { return strings.Contains(s, "of 7 marked unread in") }, 30*time.Second)
	assert.True(t, strings.HasPrefix(summary, "6 of 7 marked unread"), summary)
	failures, err := chromedp.Run(fr.ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#failures li')].map(li => li.textContent)`))
	require.NoError(t, err)
	require.Len(t, failures, 1)
	assert.True(t, strings.HasPrefix(failures[0], `chat 6: DIALOG_ID_EMPTY: dialog id "chat 6"`), failures[0])
	assert.Equal(t, []string{"error", "failed"}, progressLook(t, fr))

	// The first list says its failure is deliberate; typing N puts chat1…chatN
	// in the box at once (no other button), and the box is what is marked.
	hint, err := chromedp.Run(fr.ctx, chromedp.Evaluate[string](`document.getElementById('listHint').textContent`))
	require.NoError(t, err)
	assert.Contains(t, hint, "bad id on purpose: chat 6")
	fillList(t, fr, "120")
	listed, err := chromedp.Run(fr.ctx, chromedp.Evaluate[string](`document.getElementById('dialogs').value`))
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(listed, "chat1, chat2, chat3, ") && strings.HasSuffix(listed, ", chat120"), listed)
	before := e.portal.Stats().Requests
	require.NoError(t, chromedp.Do(fr.ctx, chromedp.Click(chromedp.ID("markAll"))))
	// A new run starts neutral, not red from the last one.
	assert.Equal(t, []string{"muted", "running"}, progressLook(t, fr))
	summary = waitText(t, fr.ctx, "#progressText", func(s string) bool { return strings.Contains(s, "of 120 marked unread in") }, 30*time.Second)
	assert.True(t, strings.HasPrefix(summary, "120 of 120 marked unread"), summary)
	assert.Equal(t, []string{"ok", "done"}, progressLook(t, fr))
	assert.Len(t, e.portal.Unread(), 122, "chat1…chat120, and sg4 and 256 from the first run")
	assert.LessOrEqual(t, e.portal.Stats().Requests-before, 4, "120 calls from a loop: one goes at once, the rest gather into batches")
	bar, err := chromedp.Run(fr.ctx, chromedp.Evaluate[[]string](`['aria-valuenow', 'aria-valuemax'].map((a) => document.getElementById('progress').getAttribute(a))`))
	require.NoError(t, err)
	assert.Equal(t, []string{"120", "120"}, bar)
	// The stats view follows the module's progress events, and says what each counter is.
	assert.Equal(t, "126", waitText(t, fr.ctx, "#stat-succeeded", func(s string) bool { return s == "126" }, 5*time.Second))
	help, err := chromedp.Run(fr.ctx, chromedp.Evaluate[string](`document.querySelector('#stat-commands').previousElementSibling.title`))
	require.NoError(t, err)
	assert.Contains(t, help, "calls sent + retries")

	// The portal's messenger list: bounded, the latest marks on top, a total for the rest.
	totals := waitText(t, tab, "#totals", func(s string) bool { return strings.HasPrefix(s, "122 dialogs") }, 5*time.Second)
	unread := e.portal.Messenger(0).UnreadMessages
	assert.Contains(t, totals, fmt.Sprintf(" %d,%03d unread messages", unread/1000, unread%1000), "every counter summed, in thousands")
	rows, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#dialogs li')].map((li) => li.dataset.dialog || li.textContent)`))
	require.NoError(t, err)
	require.Len(t, rows, 9, "eight dialogs and a line for the rest")
	assert.Equal(t, "and 114 more, marked earlier", rows[8])
	var want []string
	for _, d := range e.portal.Messenger(8).Dialogs {
		want = append(want, d.ID)
	}
	assert.Equal(t, want, rows[:8], "the most recently marked first")
}

// fillList types n into "Or dialogs chat1…chatN", as a person does.
func fillList(t *testing.T, fr *frame, n string) {
	t.Helper()
	require.NoError(t, chromedp.Do(fr.ctx,
		chromedp.Evaluate[chromedp.Void](`document.getElementById('count').value = ''`),
		chromedp.SendKeys(chromedp.ID("count"), n),
	))
}

// TestDemoFitsThePortalFrameAt1400x900AndBothSidesCountAlike opens the demo in
// a 1400×900 window: the app asks the portal to fit its frame to its page
// (resizeWindow, as BX24.fitWindow does), so nothing of the page is cut off,
// before a run and after one that adds lines. A job large enough for the
// module to ask app.info shows the same requests and commands on both sides,
// written alike.
func TestDemoFitsThePortalFrameAt1400x900AndBothSidesCountAlike(t *testing.T) {
	needBrowser(t)
	e := newEnv(t, devportal.Config{})
	tab := newTab(t, 90*time.Second)
	require.NoError(t, chromedp.Do(tab, chromedp.EmulateViewport(1400, 900), chromedp.Navigate(e.parentURL("/", 1))))
	fr := e.appFrames(tab, 1)[0]
	waitText(t, fr.ctx, "#status", func(s string) bool { return s == "Ready." }, 25*time.Second)

	// What of the page the frame does not show: the page's height and width
	// beyond the frame's, in CSS pixels.
	cutOff := func() []int {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			cut, err := chromedp.Run(fr.ctx, chromedp.Evaluate[[]int](`[
				document.documentElement.scrollHeight - window.innerHeight,
				document.documentElement.scrollWidth - window.innerWidth]`))
			require.NoError(t, err)
			if (cut[0] <= 0 && cut[1] <= 0) || time.Now().After(deadline) {
				return cut
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	assert.Equal(t, []int{0, 0}, clampToZero(cutOff()), "the page below or beside the frame, before a run")
	frameHeight := func() int {
		h, err := chromedp.Run(tab, chromedp.Evaluate[int](`Math.round(document.querySelector('iframe').getBoundingClientRect().height)`))
		require.NoError(t, err)
		return h
	}
	before := frameHeight()

	// The default list's run adds its summary and its failure line.
	require.NoError(t, chromedp.Do(fr.ctx, chromedp.Click(chromedp.ID("markAll"))))
	waitText(t, fr.ctx, "#progressText", func(s string) bool { return strings.Contains(s, "of 7 marked unread in") }, 30*time.Second)
	waitText(t, fr.ctx, "#failures", func(s string) bool { return strings.Contains(s, "chat 6") }, 5*time.Second)
	assert.Equal(t, []int{0, 0}, clampToZero(cutOff()), "the page below or beside the frame, after a run with a failure")
	content, err := chromedp.Run(fr.ctx, chromedp.Evaluate[int](`Math.ceil(document.getElementById('page').getBoundingClientRect().bottom)`))
	require.NoError(t, err)
	// The portal resizes the frame when the page's message reaches it.
	assert.Eventually(t, func() bool { return frameHeight() == content }, 5*time.Second, 50*time.Millisecond,
		"the frame is as high as the page asked (%d px): %d px", content, frameHeight())
	assert.Greater(t, frameHeight(), before, "the frame grew with the page")
	wide, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.documentElement.scrollWidth - window.innerWidth`))
	require.NoError(t, err)
	assert.LessOrEqual(t, wide, 0, "the portal's page is no wider than the window")

	// 3,000 marks: 60 requests of 50, more than a standard burst takes, so
	// the module asks app.info (unread.Client.askPlanLocked).
	fillList(t, fr, "3000")
	require.NoError(t, chromedp.Do(fr.ctx, chromedp.Click(chromedp.ID("markAll"))))
	waitText(t, fr.ctx, "#progressText", func(s string) bool { return strings.Contains(s, "3,000 of 3,000 marked unread in") }, 60*time.Second)
	// app.info goes beside the marks; no mark waits for it.
	require.Eventually(t, func() bool { return e.portal.Stats().AppInfo == 1 }, 10*time.Second, 50*time.Millisecond,
		"the module asked app.info once: %d", e.portal.Stats().AppInfo)
	assert.Equal(t, "1", waitText(t, tab, "#portal-appInfo", func(s string) bool { return s == "1" }, 5*time.Second))
	// Each side redraws on its own (the module's page each second, the portal's
	// at each change): they agree once both have drawn the last request.
	for _, name := range []string{"requests", "commands"} {
		var module, portal string
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			module = waitText(t, fr.ctx, "#stat-"+name, func(s string) bool { return s != "" }, time.Second)
			portal = waitText(t, tab, "#portal-"+name, func(s string) bool { return s != "" }, time.Second)
			if module == portal || time.Now().After(deadline) {
				break
			}
		}
		assert.Equal(t, module, portal, "%s on the module's side and the portal's", name)
	}
	retries, err := chromedp.Run(fr.ctx, chromedp.Evaluate[int](`Number(document.getElementById('stat-retries').textContent.replace(/,/g, ''))`))
	require.NoError(t, err)
	sent := 3006 + retries // six marks of the first run and 3,000, and any sent again
	assert.Equal(t, fmt.Sprintf("%d,%03d", sent/1000, sent%1000), waitText(t, fr.ctx, "#stat-commands", func(string) bool { return true }, time.Second),
		"written as the portal writes it")
	assert.Empty(t, fr.console.matching(func(c consoleEntry) bool { return c.Level == "error" }), "errors in the app's console")
}

func clampToZero(v []int) []int {
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = max(x, 0)
	}
	return out
}

// progressLook is the progress text's class and the bar's state.
func progressLook(t *testing.T, fr *frame) []string {
	t.Helper()
	look, err := chromedp.Run(fr.ctx, chromedp.Evaluate[[]string](`[document.getElementById('progressText').className, document.getElementById('progress').dataset.state]`))
	require.NoError(t, err)
	return look
}

// TestDemoScreenshot drives the demo as the README's picture shows it: a bulk
// run over 300 generated dialogs and a single mark of sg12, then takes the portal page
// into bin/screenshots/demo.png (make demo-png copies it to web/demo.png).
func TestDemoScreenshot(t *testing.T) {
	needBrowser(t)
	e := newEnv(t, devportal.Config{})
	tab, frames := e.openPortal("/", 1, 60*time.Second)
	fr := frames[0]
	waitText(t, fr.ctx, "#status", func(s string) bool { return s == "Ready." }, 25*time.Second)
	fillList(t, fr, "300")
	require.NoError(t, chromedp.Do(fr.ctx, chromedp.Click(chromedp.ID("markAll"))))
	waitText(t, fr.ctx, "#progressText", func(s string) bool { return strings.Contains(s, "of 300 marked unread in") }, 60*time.Second)
	assert.Equal(t, "true", markInDemo(t, fr, "sg12", "5"))
	waitText(t, tab, "#totals", func(s string) bool { return strings.HasPrefix(s, "301 dialogs") }, 5*time.Second)
	waitText(t, tab, `#dialogs li:first-child`, func(s string) bool { return strings.Contains(s, "unread from message 5 of") }, 5*time.Second)
	require.NoError(t, chromedp.Do(tab, chromedp.EmulateViewport(1280, 1000)))
	time.Sleep(1500 * time.Millisecond) // the "fresh" highlight fades
	png, err := chromedp.Run(tab, chromedp.CaptureScreenshot())
	require.NoError(t, err)
	dir := filepath.Join(binDir, "screenshots")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "demo.png"), png, 0o644))
	assert.Empty(t, fr.console.matching(func(c consoleEntry) bool { return c.Level == "error" }), "errors in the app's console")
}
