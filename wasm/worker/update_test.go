//go:build !js

package worker

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/markunread/markunread/web/devportal"
)

// postEvent posts an event form to the front, as a portal (or someone else) would.
func (f *fixture) postEvent(form url.Values) int {
	f.t.Helper()
	res, err := http.PostForm(f.front.URL+"/events", form)
	require.NoError(f.t, err)
	res.Body.Close()
	return res.StatusCode
}

func TestAnUpdateByTheAdministratorReplacesTheApplicationToken(t *testing.T) {
	f := newFixture(t)
	installed := f.appEvent("install")
	require.EqualValues(t, 200, installed["status"])
	tok := f.portal.IssueTokenAs(3)
	at := time.Now().Add(time.Hour)
	status, _ := f.api("/api/jobs", f.jobBody(tok, [][]any{{"chat1", 5}}, &at))
	require.Equal(t, 201, status)

	updated := f.appEvent("update") // by the emulator's user 1, an administrator
	require.EqualValues(t, 200, updated["status"], "%v", updated)
	require.NotEqual(t, installed["applicationToken"], updated["applicationToken"])
	assert.NotContains(t, f.store().dump(), updated["applicationToken"], "the new token is kept sealed")

	old := url.Values{"event": {"ONAPPUNINSTALL"}, "auth[member_id]": {f.portal.MemberID()},
		"auth[application_token]": {installed["applicationToken"].(string)}}
	assert.Equal(t, http.StatusForbidden, f.postEvent(old), "the token from before the update no longer opens anything")
	assert.Contains(t, f.store().keys(), keyInstall)

	again := url.Values{"event": {"ONAPPUPDATE"}, "auth[member_id]": {f.portal.MemberID()},
		"auth[application_token]": {updated["applicationToken"].(string)}}
	assert.Equal(t, http.StatusOK, f.postEvent(again), "the same update again, with the kept token, is taken")

	require.EqualValues(t, 200, f.appEvent("uninstall")["status"], "the portal's next event carries the new token")
	assert.Empty(t, f.store().keys(), "nothing of the portal is left")
}

func TestAnUpdateWithAWrongTokenChangesNothing(t *testing.T) {
	f := newFixture(t)
	installed := f.appEvent("install")
	require.EqualValues(t, 200, installed["status"])
	keptInstall, _, _ := f.store().Get(keyInstall)
	admin := f.portal.IssueTokenAs(devportal.DefaultUser)
	other := devportal.New(devportal.Config{})
	otherS := httptest.NewServer(other.Handler())
	defer otherS.Close()

	forged := func(access, clientEndpoint string) url.Values {
		v := url.Values{"event": {"ONAPPUPDATE"}, "auth[member_id]": {f.portal.MemberID()},
			"auth[application_token]": {strings.Repeat("7", 32)}, "data[VERSION]": {"2"}, "data[PREVIOUS_VERSION]": {"1"}}
		if access != "" {
			v.Set("auth[access_token]", access)
		}
		if clientEndpoint != "" {
			v.Set("auth[client_endpoint]", clientEndpoint)
		}
		return v
	}
	for name, form := range map[string]url.Values{
		"no access token":                 forged("", ""),
		"a forged access token":           forged(strings.Repeat("f", 64), ""),
		"a user's token, not an admin's":  forged(f.portal.IssueTokenAs(3).Access, ""),
		"another portal's admin token":    forged(other.IssueTokenAs(devportal.DefaultUser).Access, otherS.URL+"/rest/"),
		"an admin token, another address": forged(admin.Access, "https://attacker.example/rest/"),
	} {
		assert.Equal(t, http.StatusForbidden, f.postEvent(form), name)
		v, _, _ := f.store().Get(keyInstall)
		assert.Equal(t, keptInstall, v, "%s: the install is as it was", name)
	}
	// The emulator's own update, made by a user who is not an administrator.
	assert.EqualValues(t, 403, f.appEvent("update?user=3")["status"])
	v, _, _ := f.store().Get(keyInstall)
	assert.Equal(t, keptInstall, v)
	assert.NotContains(t, f.out.hosts(), "attacker.example")
	assert.NotContains(t, f.out.hosts(), strings.TrimPrefix(otherS.URL, "http://"), "profile is asked of the installed portal only")

	uninstall := url.Values{"event": {"ONAPPUNINSTALL"}, "auth[member_id]": {f.portal.MemberID()},
		"auth[application_token]": {installed["applicationToken"].(string)}}
	assert.Equal(t, http.StatusOK, f.postEvent(uninstall), "the token from the install still opens the install")
	assert.Empty(t, f.store().keys())
}
