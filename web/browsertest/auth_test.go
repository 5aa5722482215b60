package browsertest

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/markunread/markunread/web/devportal"
)

// clientStats is the module's stats().
type clientStats struct {
	Requests  int `json:"requests"`
	Batches   int `json:"batches"`
	Commands  int `json:"commands"`
	Retries   int `json:"retries"`
	Refreshes int `json:"refreshes"`
	Queued    int `json:"queued"`
	InFlight  int `json:"inFlight"`
	Status503 int `json:"status503"`
	Status429 int `json:"status429"`
	Settled   int `json:"settled"`
	Succeeded int `json:"succeeded"`
	Failed    int `json:"failed"`
}

type runResult struct {
	OK     int `json:"ok"`
	Failed []struct {
		Dialog      string `json:"dialog"`
		Code        string `json:"code"`
		Description string `json:"description"`
	} `json:"failed"`
	Stats clientStats `json:"stats"`
}

// harnessReady waits until the harness page in fr has loaded the module.
func harnessReady(t *testing.T, fr *frame) {
	t.Helper()
	waitText(t, fr.ctx, "#status", func(s string) bool { return s == "Ready." || len(s) > 40 }, 25*time.Second)
	ok, err := chromedp.Run(fr.ctx, chromedp.Evaluate[bool](`window.harness.ready`, chromedp.EvalAwaitPromise))
	require.NoError(t, err, "the harness did not load the module")
	require.True(t, ok)
}

// runMarks runs n marks of chat<base+i> in the harness, one every spacing.
func runMarks(t *testing.T, fr *frame, n, base int, spacing time.Duration) runResult {
	t.Helper()
	res, err := chromedp.Run(fr.ctx, chromedp.Evaluate[runResult](
		fmt.Sprintf(`window.harness.run(%d, {base: %d, spacingMs: %d})`, n, base, spacing.Milliseconds()),
		chromedp.EvalAwaitPromise))
	require.NoError(t, err)
	return res
}

// expiryRun is the flow of a page whose token expires while it works: the
// portal's tokens live lifetime (AUTH_EXPIRES says so); 200 marks spread
// over 1.2 lifetimes cross at least one expiry; then, past the refreshed
// token's expiry too, 100 more at once. The module refreshes a token before
// it expires (at half its life, for one this short), so no request meets an
// expired token, and the 100 calls share one refresh.
func expiryRun(t *testing.T, page string) {
	const lifetime = 5 * time.Second
	e := newEnv(t, devportal.Config{TokenLifetime: lifetime})
	launched := time.Now() // no token is older than this
	_, frames := e.openPortal(page, 1, 90*time.Second)
	fr := frames[0]
	harnessReady(t, fr)

	first := runMarks(t, fr, 200, 1000, lifetime*6/5/200)
	assert.Equal(t, 200, first.OK, "marks that succeeded in the run across the expiry; failed: %+v", first.Failed)
	assert.Empty(t, first.Failed)
	t.Logf("after 200 marks across one expiry: module stats %+v; portal %+v", first.Stats, e.portal.Stats())
	// Refreshed at half of each 5 s life, over the 6 s run and the load
	// before it (longer on a loaded machine): one per half life at most,
	// not one per call.
	age := time.Since(launched)
	assert.GreaterOrEqual(t, first.Stats.Refreshes, 1, "the run did not cross an expiry")
	assert.LessOrEqual(t, first.Stats.Refreshes, int(age/(lifetime/2))+1, "refreshes in %s of 5 s tokens", age.Round(time.Millisecond))
	assert.Zero(t, e.portal.Stats().Status401, "requests refused with an expired token")
	tokens := map[string]bool{}
	for _, r := range e.rest.all() {
		tokens[r.Auth] = true
	}
	assert.LessOrEqual(t, len(tokens), first.Stats.Refreshes+1, "tokens that reached the portal")

	time.Sleep(lifetime + 500*time.Millisecond)
	second := runMarks(t, fr, 100, 2000, 0)
	assert.Equal(t, 100, second.OK, "marks after sleeping past the expiry; failed: %+v", second.Failed)
	assert.Equal(t, first.Stats.Refreshes+1, second.Stats.Refreshes, "100 calls past the expiry share one refresh")
	assert.Zero(t, e.portal.Stats().Status401, "requests refused with an expired token")

	unread := e.portal.Unread()
	assert.Len(t, unread, 300)
	for i := range 200 {
		assert.Equal(t, int64(i+1), unread[fmt.Sprintf("chat%d", 1000+i)])
	}
	for i := range 100 {
		assert.Equal(t, int64(i+1), unread[fmt.Sprintf("chat%d", 2000+i)])
	}
	st := e.portal.Stats()
	assert.Zero(t, st.Status503, "the module tripped the portal's rate limit")
	assert.Zero(t, st.Status429)
	assert.Empty(t, fr.console.matching(func(c consoleEntry) bool { return c.Kind == "exception" }), "uncaught errors in the app")
}

func TestTokenExpiryMidRunIsRefreshedOnceViaThePortal(t *testing.T) {
	needBrowser(t)
	expiryRun(t, "/t/harness.html")
}

func TestOfficialSDKFrameAsAuthMarksAcrossTokenExpiry(t *testing.T) {
	needSDK(t)
	expiryRun(t, "/t/sdk.html")
}

// The SDK's own view of the emulator's parent protocol: initializeB24Frame
// resolved, and it holds the token and portal the parent launched it with.
func TestOfficialSDKFrameInitializesAgainstTheEmulator(t *testing.T) {
	needSDK(t)
	e := newEnv(t, devportal.Config{})
	tab, frames := e.openPortal("/t/sdk.html", 1, 60*time.Second)
	fr := frames[0]
	harnessReady(t, fr)

	launched, err := chromedp.Run(tab, chromedp.Evaluate[string](`document.querySelector('form.launch input[name=AUTH_ID]').value`))
	require.NoError(t, err)
	type sdkView struct {
		Origin string `json:"origin"`
		Token  string `json:"token"`
		Domain string `json:"domain"`
		Member string `json:"member"`
		Lang   string `json:"lang"`
	}
	v, err := chromedp.Run(fr.ctx, chromedp.Evaluate[sdkView](`(() => {
		const a = window.b24.auth.getAuthData();
		return { origin: window.b24.getTargetOrigin(), token: a.access_token, domain: a.domain, member: a.member_id, lang: window.b24.getLang() };
	})()`))
	require.NoError(t, err)
	assert.Equal(t, e.portalURL, v.Origin)
	assert.Equal(t, e.portalURL, v.Domain)
	assert.Equal(t, launched, v.Token)
	assert.NotEmpty(t, v.Member)
	assert.Equal(t, "en", v.Lang)

	res := runMarks(t, fr, 3, 500, 0)
	assert.Equal(t, 3, res.OK, "%+v", res.Failed)
	assert.Equal(t, map[string][]string{"chat500": {launched}, "chat501": {launched}, "chat502": {launched}}, e.rest.tokensByDialog())
}
