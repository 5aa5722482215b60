package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/markunread/markunread/web/devportal"
)

// The shared budget (js/budget.js) in real tabs of one browser profile:
// through its SharedWorker and through its Web Locks + BroadcastChannel
// fallback, two tabs reserving 200 slots each are granted no faster than one
// leaky bucket allows, and a tab that closes mid-way stops holding budget.

// A fast plan, so that 400 grants take seconds: capacity 40 - ceil(80/4) = 20.
const (
	budgetRate  = 80.0
	budgetBurst = 40
	budgetCap   = 20
)

type reserveResult struct {
	Via   string    `json:"via"`
	Times []float64 `json:"times"` // epoch ms of each grant
}

// openTabs opens n tabs of the test page page (e.g. "budget.html") in one
// browser context (so they share a SharedWorker and Web Locks), the first
// one's context owning the others, and waits until window[ready] is true
// in each.
func openTabs(t *testing.T, e *env, n int, page, ready string) []context.Context {
	t.Helper()
	first := newTab(t, 2*time.Minute)
	tabs := []context.Context{first}
	for len(tabs) < n {
		tab, cancel := chromedp.NewContext(first)
		t.Cleanup(cancel)
		tabs = append(tabs, tab)
	}
	for _, tab := range tabs {
		require.NoError(t, chromedp.Do(tab, chromedp.Navigate(e.appURL+"/t/"+page)))
		require.NoError(t, pollReady(tab, "window."+ready+" === true"))
	}
	return tabs
}

// budgetTabs opens n tabs of the budget test page.
func budgetTabs(t *testing.T, e *env, n int) []context.Context {
	t.Helper()
	return openTabs(t, e, n, "budget.html", "budgetReady")
}

func reserveMany(ctx context.Context, portal, via string, n int, startAt time.Time) (reserveResult, error) {
	js := fmt.Sprintf(`window.reserveMany({portal: %q, perSecond: %g, burst: %d, n: %d, via: %q, startAt: %d})`,
		portal, budgetRate, budgetBurst, n, via, startAt.UnixMilli())
	return chromedp.Run(ctx, chromedp.Evaluate[reserveResult](js, chromedp.EvalAwaitPromise))
}

// assertOneBucket checks that the grants, merged, as the tabs received
// them, never run ahead of the portal's bucket: any run of them fits its
// burst plus what drained meanwhile. The budget grants within the capacity
// (the burst less a headroom of a quarter second of drain); the headroom is
// there for the time a grant takes to reach its tab, and is logged.
func assertOneBucket(t *testing.T, times []float64) {
	t.Helper()
	slices.Sort(times)
	worst := math.Inf(-1)
	for i := range times {
		for j := i; j < len(times); j++ {
			worst = max(worst, float64(j-i+1)-(times[j]-times[i])/1000*budgetRate)
		}
	}
	t.Logf("most grants received beyond what drained: %.2f (capacity %d, burst %d)", worst, budgetCap, budgetBurst)
	assert.LessOrEqual(t, worst, float64(budgetBurst), "a run of grants went past the portal's bucket")
}

func TestBudgetTwoTabsShareOneBucket(t *testing.T) {
	needBrowser(t)
	for _, via := range []string{"shared-worker", "leader"} {
		t.Run(via, func(t *testing.T) {
			e := newEnv(t, devportal.Config{})
			tabs := budgetTabs(t, e, 2)
			startAt := time.Now().Add(time.Second)
			results := make([]reserveResult, len(tabs))
			errs := make([]error, len(tabs))
			var wg sync.WaitGroup
			for i, tab := range tabs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					results[i], errs[i] = reserveMany(tab, e.portalURL, via, 200, startAt)
				}()
			}
			wg.Wait()
			var all []float64
			for i, r := range results {
				require.NoError(t, errs[i])
				assert.Equal(t, via, r.Via, "tab %d", i)
				assert.Len(t, r.Times, 200, "tab %d", i)
				all = append(all, r.Times...)
			}
			assertOneBucket(t, all)
			slices.Sort(all)
			// One bucket for both: 400 grants take (400 - capacity) drain steps.
			span := (all[len(all)-1] - all[0]) / 1000
			want := float64(400-budgetCap) / budgetRate
			assert.GreaterOrEqual(t, span, want*0.97, "400 grants in %.2f s: the tabs did not share one bucket", span)
			assert.Less(t, span, want+2, "400 grants in %.2f s, one bucket allows %.2f s", span, want)
		})
	}
}

// holdsHeard is what window.holdsHeard gives: the holds a page heard.
type holdsHeard struct {
	Via   string  `json:"via"`
	Heard [][]any `json:"heard"` // [method, until]
}

// A tab opened after another met the operating-time limit hears that hold
// at once, whichever way the tabs share their budget: from the worker when
// it says hello, or from the leading tab in the fallback.
func TestBudgetATabOpenedLaterHearsTheHoldsNotYetLifted(t *testing.T) {
	needBrowser(t)
	for _, via := range []string{"shared-worker", "leader"} {
		t.Run(via, func(t *testing.T) {
			e := newEnv(t, devportal.Config{})
			tabs := budgetTabs(t, e, 2)
			until := time.Now().Add(time.Minute).UnixMilli()
			got, err := chromedp.Run(tabs[0], chromedp.Evaluate[string](fmt.Sprintf(
				`window.holdFor({portal: %q, perSecond: %g, burst: %d, via: %q, method: "im.dialog.unread", until: %d})`,
				e.portalURL, budgetRate, budgetBurst, via, until), chromedp.EvalAwaitPromise))
			require.NoError(t, err)
			require.Equal(t, via, got)
			later, err := chromedp.Run(tabs[1], chromedp.Evaluate[holdsHeard](fmt.Sprintf(`window.holdsHeard({portal: %q, perSecond: %g, burst: %d, via: %q, waitMs: 500})`,
				e.portalURL, budgetRate, budgetBurst, via), chromedp.EvalAwaitPromise))
			require.NoError(t, err)
			assert.Equal(t, via, later.Via)
			assert.Equal(t, [][]any{{"im.dialog.unread", float64(until)}}, later.Heard, "what the later tab heard")
		})
	}
}

// What one tab learned of the portal's other apps reaches a tab opened
// later, at once, whichever way the tabs share their budget: from the
// worker when it says hello, or from the leading tab in the fallback. An
// older estimate told after it changes nothing; a newer one reaches the
// open tab as it is told.
func TestBudgetATabOpenedLaterHearsTheRoomOthersLearned(t *testing.T) {
	needBrowser(t)
	for _, via := range []string{"shared-worker", "leader"} {
		t.Run(via, func(t *testing.T) {
			e := newEnv(t, devportal.Config{})
			tabs := budgetTabs(t, e, 2)
			at := time.Now().UnixMilli()
			tell := func(others float64, at int64) {
				t.Helper()
				got, err := chromedp.Run(tabs[0], chromedp.Evaluate[string](fmt.Sprintf(
					`window.roomFor({portal: %q, perSecond: %g, burst: %d, via: %q, others: %g, at: %d})`,
					e.portalURL, budgetRate, budgetBurst, via, others, at), chromedp.EvalAwaitPromise))
				require.NoError(t, err)
				require.Equal(t, via, got)
			}
			heard := func(n int) [][]float64 {
				t.Helper()
				_, err := chromedp.Run(tabs[1], chromedp.Poll[bool](fmt.Sprintf("window.roomsHeard.length >= %d", n), chromedp.WithPollingTimeout(5*time.Second)))
				require.NoError(t, err, "the later tab heard %d estimates", n)
				time.Sleep(300 * time.Millisecond) // anything more it would hear
				got, err := chromedp.Run(tabs[1], chromedp.Evaluate[[][]float64]("window.roomsHeard"))
				require.NoError(t, err)
				return got
			}
			tell(1.5, at)
			tell(0.25, at-1000) // learned before: old news
			got, err := chromedp.Run(tabs[1], chromedp.Evaluate[string](fmt.Sprintf(`window.watchRoom({portal: %q, perSecond: %g, burst: %d, via: %q})`,
				e.portalURL, budgetRate, budgetBurst, via), chromedp.EvalAwaitPromise))
			require.NoError(t, err)
			assert.Equal(t, via, got)
			assert.Equal(t, [][]float64{{1.5, float64(at)}}, heard(1), "what the later tab heard when it opened")
			tell(0, at+1) // the others stopped
			assert.Equal(t, [][]float64{{1.5, float64(at)}, {0, float64(at + 1)}}, heard(2), "what it heard while open")
		})
	}
}

func TestBudgetTabThatClosesHoldsNothing(t *testing.T) {
	needBrowser(t)
	cases := []struct {
		name, via     string
		survivorLeads bool
	}{
		{"shared-worker", "shared-worker", false},
		{"leader closes", "leader", false},
		{"follower closes", "leader", true},
	}
	for _, c := range cases {
		via := c.via
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, devportal.Config{})
			tabs := budgetTabs(t, e, 2)
			if c.survivorLeads {
				got, err := chromedp.Run(tabs[0], chromedp.Evaluate[string](fmt.Sprintf(
					`window.reserveOne({portal: %q, perSecond: %g, burst: %d, via: "leader"})`, e.portalURL, budgetRate, budgetBurst),
					chromedp.EvalAwaitPromise))
				require.NoError(t, err)
				require.Equal(t, "leader", got)
			}
			startAt := time.Now().Add(time.Second)
			// The second tab reserves 300 first (and so, unless the other
			// leads already, leads) and is closed 0.5 s into its grants.
			closing, closeTab := context.WithCancel(tabs[1])
			go func() { _, _ = reserveMany(closing, e.portalURL, via, 300, startAt) }()
			var before int
			time.AfterFunc(time.Until(startAt)+500*time.Millisecond, func() {
				before, _ = chromedp.Run(tabs[1], chromedp.Evaluate[int]("window.grantsSoFar ?? 0"))
				_ = chromedp.Cancel(tabs[1])
				closeTab()
			})
			r, err := reserveMany(tabs[0], e.portalURL, via, 300, startAt.Add(100*time.Millisecond))
			require.NoError(t, err)
			require.Len(t, r.Times, 300)
			assert.Equal(t, via, r.Via)
			assert.Positive(t, before, "the closing tab was not ahead in line")
			done := (r.Times[len(r.Times)-1] - float64(startAt.UnixMilli())) / 1000
			t.Logf("the closing tab got %d grants; the other its last %.2f s after the start", before, done)
			// Had the closed tab's waiting slots stayed in line, the last
			// grant would come at (600-20)/80 = 7.25 s; without them at
			// about (60+300-20)/80 = 4.25 s, plus the time the browser takes
			// to tell that the tab is gone.
			assert.Less(t, done, 6.0, "the surviving tab finished %.2f s after the start", done)
		})
	}
}

type tabRun struct {
	OK      int         `json:"ok"`
	Codes   []string    `json:"codes"`
	Started float64     `json:"started"`
	Ended   float64     `json:"ended"`
	Stats   clientStats `json:"stats"`
}

// issueToken asks the emulator for a fresh access token.
func issueToken(t *testing.T, e *env) string {
	t.Helper()
	res, err := http.Post(e.portalURL+"/devportal/token", "application/json", nil)
	require.NoError(t, err)
	defer res.Body.Close()
	var body struct {
		Access string `json:"access"`
	}
	require.NoError(t, json.NewDecoder(res.Body).Decode(&body))
	require.NotEmpty(t, body.Access)
	return body.Access
}

// The module itself in three tabs of the app (one browser profile) on one
// portal: their clients share one budget, so together they never send what
// the portal's bucket would refuse. Alone, each tab would take the whole
// bucket for itself: 3 × 12 requests at once on a bucket of 20.
func TestBudgetThreeTabsOfTheModuleShareThePortalsBucket(t *testing.T) {
	needBrowser(t)
	const (
		tabs, perTab = 3, 600
		rate, burst  = 10.0, 20
	)
	e := newEnv(t, devportal.Config{Rate: rate, Burst: burst})
	ctxs := openTabs(t, e, tabs, "tabs.html", "tabsReady")
	startAt := time.Now().Add(3 * time.Second) // every tab loaded its module by then
	runs := make([]tabRun, tabs)
	errs := make([]error, tabs)
	var wg sync.WaitGroup
	for i, tab := range ctxs {
		token := issueToken(t, e)
		wg.Add(1)
		go func() {
			defer wg.Done()
			js := fmt.Sprintf(`window.markManyAt({portal: %q, token: %q, limits: {perSecond: %g, burst: %d}, base: %d, n: %d, startAt: %d})`,
				e.portalURL, token, rate, burst, 100_000*(i+1), perTab, startAt.UnixMilli())
			runs[i], errs[i] = chromedp.Run(tab, chromedp.Evaluate[tabRun](js, chromedp.EvalAwaitPromise))
		}()
	}
	wg.Wait()
	var start, last float64
	start = math.Inf(1)
	for i, r := range runs {
		require.NoError(t, errs[i], "tab %d", i)
		assert.Equal(t, perTab, r.OK, "tab %d: every mark succeeded (codes %v)", i, r.Codes)
		assert.LessOrEqual(t, r.Stats.Status503, 1, "tab %d: at most one 503, at the start", i)
		start = min(start, r.Started)
		last = max(last, r.Ended)
		t.Logf("tab %d: %d ok in %.2f s, %d requests, %d × 503", i, r.OK, (r.Ended-r.Started)/1000, r.Stats.Requests, r.Stats.Status503)
	}
	st := e.portal.Stats()
	span := (last - start) / 1000
	requests := st.Batches
	// One bucket for all: the requests beyond the burst go at the drain rate.
	bound := float64(max(0, requests-burst)) / rate
	t.Logf("portal: %d requests, %d batches, %d × 503; %d marks in %.2f s (the bucket allows %.2f s)",
		st.Requests, st.Batches, st.Status503, tabs*perTab, span, bound)
	assert.LessOrEqual(t, st.Status503, tabs, "503s at the portal: the tabs did not share one budget")
	assert.Equal(t, tabs*perTab, len(e.portal.Unread()), "every dialog is marked")
}

// One view of the operating-time limit: a tab that meets OPERATION_TIME_LIMIT
// tells the app's other tabs (through the shared budget), so a second tab
// waits for the block to lift instead of meeting it too.
func TestBudgetTabsShareTheOperatingTimeBlock(t *testing.T) {
	needBrowser(t)
	e := newEnv(t, devportal.Config{})
	tabs := openTabs(t, e, 2, "tabs.html", "tabsReady")
	const blocked = 8 * time.Second
	startAt := time.Now().Add(3 * time.Second) // both tabs loaded their module by then
	reset := time.AfterFunc(time.Until(startAt)-50*time.Millisecond, func() {
		e.portal.Reset(devportal.Config{AppURL: e.appURL + "/", Blocks: map[string]time.Duration{"im.dialog.unread": blocked}})
	})
	defer reset.Stop()
	runs := make([]tabRun, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, tab := range tabs {
		token := issueToken(t, e)
		// the second tab starts 2 s into the block that the first one met
		at := startAt.Add(time.Duration(i) * 2 * time.Second)
		wg.Go(func() {
			js := fmt.Sprintf(`window.markManyAt({portal: %q, token: %q, base: %d, n: 5, startAt: %d})`,
				e.portalURL, token, 100_000*(i+1), at.UnixMilli())
			runs[i], errs[i] = chromedp.Run(tab, chromedp.Evaluate[tabRun](js, chromedp.EvalAwaitPromise))
		})
	}
	wg.Wait()
	for i, r := range runs {
		require.NoError(t, errs[i], "tab %d", i)
		assert.Equal(t, 5, r.OK, "tab %d: every mark succeeded once the block lifted (codes %v)", i, r.Codes)
		t.Logf("tab %d: done %.1f s after the block began, %d requests, %d × 429", i, (r.Ended-float64(startAt.UnixMilli()))/1000, r.Stats.Requests, r.Stats.Status429)
	}
	assert.GreaterOrEqual(t, runs[0].Stats.Status429, 1, "the first tab met the block")
	assert.Zero(t, runs[1].Stats.Status429, "the second tab waited for the block the first one met")
	assert.Equal(t, 1, runs[1].Stats.Requests, "the second tab sent one request, after the block")
	assert.GreaterOrEqual(t, runs[1].Ended, float64(startAt.Add(blocked).UnixMilli()), "the second tab's marks went after the block")
}
