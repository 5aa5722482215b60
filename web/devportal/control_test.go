package devportal

import (
	"net/http"
	"net/url"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStateEndpointShowsUnreadAndStats(t *testing.T) {
	f := newFixture(t, Config{})
	f.mark("Chat9", "4")
	m := decode(t, f.do(http.MethodGet, "/devportal/state", "", ""))
	assert.Equal(t, map[string]any{"chat9": 4.0}, m["unread"])
	stats := m["stats"].(map[string]any)
	for _, k := range []string{"requests", "batches", "commands", "status503", "status429", "status401", "maxPerSecond", "authInURL", "faults"} {
		assert.Contains(t, stats, k)
	}
	assert.Equal(t, 1.0, stats["requests"])
}

func TestResetEndpointClearsStateAndAppliesConfig(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Config{})
		f.mark("chat1", "1")
		w := f.do(http.MethodPost, "/devportal/reset", "application/json", `{"burst":2,"rate":1,"faults":{"rate":0}}`)
		require.Equal(t, http.StatusOK, w.Code)
		assert.Empty(t, f.p.Unread())
		assert.Equal(t, Stats{}, f.p.Stats())
		requireOK(t, f.mark("chat1", "1"))
		requireOK(t, f.mark("chat1", "1"))
		requireLimited(t, f)
		time.Sleep(time.Second)
		requireOK(t, f.mark("chat1", "1"))

		// an empty reset restores the start-up configuration
		require.Equal(t, http.StatusOK, f.do(http.MethodPost, "/devportal/reset", "", "").Code)
		for range 50 {
			requireOK(t, f.mark("chat1", "1"))
		}
		requireLimited(t, f)
	})
}

func TestResetEndpointMillisecondFields(t *testing.T) {
	f := newFixture(t, Config{})
	f.do(http.MethodPost, "/devportal/reset", "application/json", `{"prefill":3,"operatingBudgetMs":1000,"commandCostMs":600,"tokenLifetimeMs":5000}`)
	c := f.p.config()
	assert.Equal(t, 3.0, c.Prefill)
	assert.Equal(t, time.Second, c.OperatingBudget)
	assert.Equal(t, 600*time.Millisecond, c.CommandCost)
	assert.Equal(t, 5*time.Second, c.TokenLifetime)
	assert.Equal(t, http.StatusBadRequest, f.do(http.MethodPost, "/devportal/reset", "application/json", `{"burst":"x"}`).Code)
}

func TestTokenEndpointIssuesWithLifetime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Config{})
		m := decode(t, f.do(http.MethodPost, "/devportal/token", "application/json", `{"lifetimeMs":2000}`))
		require.NotEmpty(t, m["access"])
		require.NotEmpty(t, m["refresh"])
		assert.Equal(t, 2.0, m["expiresIn"])
		f.token = m["access"].(string)
		requireOK(t, f.mark("chat1", "1"))
		time.Sleep(2 * time.Second)
		requireError(t, f.mark("chat1", "1"), http.StatusUnauthorized, "expired_token", "The access token provided has expired")

		m = decode(t, f.do(http.MethodPost, "/devportal/token", "", ""))
		assert.Equal(t, 3600.0, m["expiresIn"])
		assert.Equal(t, http.StatusMethodNotAllowed, f.do(http.MethodGet, "/devportal/token", "", "").Code)
	})
}

func TestOAuthRefreshWorksOnce(t *testing.T) {
	f := newFixture(t, Config{})
	tok := f.p.IssueToken()
	w := f.do(http.MethodPost, "/devportal/oauth/refresh", "application/x-www-form-urlencoded", "refresh="+tok.Refresh)
	require.Equal(t, http.StatusOK, w.Code)
	m := decode(t, w)
	assert.NotEqual(t, tok.Access, m["access"])
	assert.Equal(t, "*", w.Header().Get("Access-Control-Allow-Origin"))

	w = f.do(http.MethodPost, "/devportal/oauth/refresh", "application/x-www-form-urlencoded", "refresh="+tok.Refresh)
	assert.Equal(t, http.StatusBadRequest, w.Code)
	assert.Equal(t, "invalid_grant", decode(t, w)["error"])

	f.token = m["access"].(string)
	requireOK(t, f.mark("chat1", "1"))
	f.token = tok.Access
	requireOK(t, f.mark("chat1", "1"))
}

func TestStatsCountAppInfoAmongTheCommandsAndApart(t *testing.T) {
	f := newFixture(t, Config{})
	requireOK(t, f.mark("chat1", "1"))
	requireOK(t, f.form("app.info", url.Values{"auth": {f.token}}))
	requireOK(t, f.form("batch", url.Values{"auth": {f.token}, "cmd[a]": {"im.dialog.unread?DIALOG_ID=chat2&MESSAGE_ID=1"}, "cmd[b]": {"app.info"}}))
	s := f.p.Stats()
	assert.Equal(t, 4, s.Commands, "every method call past auth")
	assert.Equal(t, 2, s.AppInfo, "app.info, plain and in a batch")
	stats := decode(t, f.do(http.MethodGet, "/devportal/state", "", ""))["stats"].(map[string]any)
	assert.Equal(t, 2.0, stats["appInfo"])
}
