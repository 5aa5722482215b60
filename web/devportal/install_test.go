package devportal

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestProfileAnswersTheTokensUser(t *testing.T) {
	f := newFixture(t, Config{})
	tok := f.p.IssueTokenAs(7)
	body := decode(t, f.form("profile", url.Values{"auth": {tok.Access}}))
	res := body["result"].(map[string]any)
	assert.Equal(t, "7", res["ID"], "ID is a string (docs/bitrix24.md#f-profile)")
	assert.Equal(t, false, res["ADMIN"])
	assert.Contains(t, body, "time")
	w := f.form("profile", url.Values{"auth": {"forged"}})
	requireError(t, w, http.StatusUnauthorized, "invalid_token", "The access token provided is invalid")
}

func TestTheOAuthServerRefreshesWithTheAppsClientIDAndSecret(t *testing.T) {
	f := newFixture(t, Config{ClientSecret: "s3cret"})
	tok := f.p.IssueTokenAs(4)
	q := url.Values{"grant_type": {"refresh_token"}, "client_id": {DefaultClientID}, "client_secret": {"s3cret"}, "refresh_token": {tok.Refresh}}
	w := f.do(http.MethodGet, "/oauth/token/?"+q.Encode(), "", "")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	body := decode(t, w)
	for _, k := range []string{"access_token", "client_endpoint", "domain", "expires_in", "member_id", "refresh_token", "scope", "server_endpoint", "status"} {
		assert.Contains(t, body, k)
	}
	assert.EqualValues(t, 3600, body["expires_in"])
	assert.Equal(t, f.p.MemberID(), body["member_id"])
	fresh := decode(t, f.form("profile", url.Values{"auth": {body["access_token"].(string)}}))
	assert.Equal(t, "4", fresh["result"].(map[string]any)["ID"], "the new pair acts as the same user")

	// The same grant in a form body; the used refresh token is refused.
	w = f.do(http.MethodPost, "/oauth/token/", "application/x-www-form-urlencoded", q.Encode())
	assert.Equal(t, http.StatusBadRequest, w.Code)
	assert.Equal(t, "invalid_grant", decode(t, w)["error"])
	q.Set("refresh_token", body["refresh_token"].(string))
	q.Set("client_secret", "wrong")
	w = f.do(http.MethodPost, "/oauth/token/", "application/x-www-form-urlencoded", q.Encode())
	assert.Equal(t, http.StatusUnauthorized, w.Code)
	assert.Equal(t, "invalid_client", decode(t, w)["error"])
}

// portalWithEventHandler serves a portal whose app's event handler hands
// each event it receives, as its form, to got.
func portalWithEventHandler(t *testing.T) (got chan url.Values, p *Portal, srv *httptest.Server) {
	got = make(chan url.Values, 2)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		v, _ := url.ParseQuery(string(b))
		got <- v
	}))
	t.Cleanup(app.Close)
	p = New(Config{EventHandler: app.URL + "/events"})
	srv = httptest.NewServer(p.Handler())
	t.Cleanup(srv.Close)
	return got, p, srv
}

func TestInstallAndUninstallSendTheEventsToTheAppsHandler(t *testing.T) {
	got, p, srv := portalWithEventHandler(t)
	res, err := http.Post(srv.URL+"/devportal/install", "application/x-www-form-urlencoded", strings.NewReader("user=3"))
	require.NoError(t, err)
	res.Body.Close()
	ev := <-got
	assert.Equal(t, "ONAPPINSTALL", ev.Get("event"))
	assert.Equal(t, p.MemberID(), ev.Get("auth[member_id]"))
	assert.Equal(t, srv.URL+"/rest/", ev.Get("auth[client_endpoint]"))
	assert.Equal(t, "3", ev.Get("auth[user_id]"))
	_, _, appToken := p.App()
	assert.Equal(t, appToken, ev.Get("auth[application_token]"))
	access := ev.Get("auth[access_token]")
	f := &fixture{t: t, p: p, h: p.Handler()}
	requireOK(t, f.form("profile", url.Values{"auth": {access}}))

	res, err = http.Post(srv.URL+"/devportal/uninstall", "", nil)
	require.NoError(t, err)
	res.Body.Close()
	ev = <-got
	assert.Equal(t, "ONAPPUNINSTALL", ev.Get("event"))
	assert.Equal(t, appToken, ev.Get("auth[application_token]"))
	assert.Equal(t, "1", ev.Get("data[CLEAN]"))
	assert.Empty(t, ev.Get("auth[access_token]"), "uninstall carries no tokens")
	requireError(t, f.form("profile", url.Values{"auth": {access}}), http.StatusUnauthorized, "invalid_token", "The access token provided is invalid")
}

func TestUpdateSendsANewApplicationTokenAndTheVersionsToTheAppsHandler(t *testing.T) {
	got, p, srv := portalWithEventHandler(t)
	post := func(path string) int {
		res, err := http.Post(srv.URL+path, "application/x-www-form-urlencoded", strings.NewReader("user=5"))
		require.NoError(t, err)
		res.Body.Close()
		return res.StatusCode
	}
	assert.Equal(t, http.StatusConflict, post("/devportal/update"), "nothing to update before an install")
	require.Equal(t, http.StatusOK, post("/devportal/install"))
	installed := <-got
	require.Equal(t, http.StatusOK, post("/devportal/update"))
	ev := <-got
	assert.Equal(t, "ONAPPUPDATE", ev.Get("event"))
	assert.Equal(t, "2", ev.Get("data[VERSION]"))
	assert.Equal(t, "1", ev.Get("data[PREVIOUS_VERSION]"))
	assert.Equal(t, p.MemberID(), ev.Get("auth[member_id]"))
	assert.NotEqual(t, installed.Get("auth[application_token]"), ev.Get("auth[application_token]"), "a new application_token")
	_, _, appToken := p.App()
	assert.Equal(t, appToken, ev.Get("auth[application_token]"), "the portal's events carry it from now on")
	assert.Equal(t, "5", ev.Get("auth[user_id]"))
	f := &fixture{t: t, p: p, h: p.Handler()}
	requireOK(t, f.form("profile", url.Values{"auth": {ev.Get("auth[access_token]")}}))
}
