//go:build !js

package workerd

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/markunread/markunread/web/devportal"
)

func TestAnUpdateBringsANewApplicationTokenAndAForgedOneChangesNothing(t *testing.T) {
	e := start(t, devportal.Config{})
	installed := e.appEvent("install")
	require.EqualValues(t, 200, installed["status"], e.log.String())
	tok := e.portal.IssueTokenAs(3)
	status, _ := e.job(tok, [][]any{{"chat1", 1}}, time.Now().Add(time.Hour))
	require.Equal(t, 201, status)
	post := func(form url.Values) int {
		res, err := http.PostForm(e.w.URL+"/events", form)
		require.NoError(t, err)
		res.Body.Close()
		return res.StatusCode
	}
	forged := url.Values{"event": {"ONAPPUPDATE"}, "auth[member_id]": {e.portal.MemberID()},
		"auth[application_token]": {strings.Repeat("7", 32)}, "auth[access_token]": {e.portal.IssueTokenAs(3).Access}}
	assert.Equal(t, 403, post(forged), "a user who is not the portal's administrator cannot set the token")
	uninstallWith := func(token string) url.Values {
		return url.Values{"event": {"ONAPPUNINSTALL"}, "auth[member_id]": {e.portal.MemberID()}, "auth[application_token]": {token}}
	}
	assert.Equal(t, 403, post(uninstallWith(strings.Repeat("7", 32))), "the forged token opens nothing")
	assert.Len(t, e.jobs(tok), 1)

	require.EqualValues(t, 200, e.appEvent("update")["status"], e.log.String())
	assert.Equal(t, 403, post(uninstallWith(installed["applicationToken"].(string))), "the token from before the update opens nothing")
	assert.Len(t, e.jobs(tok), 1, "the job is still there")
	require.EqualValues(t, 200, e.appEvent("uninstall")["status"], "the portal's events carry the new token")
	status, body := e.api("/api/jobs/list", map[string]any{"memberId": e.portal.MemberID(), "accessToken": tok.Access})
	assert.Equal(t, 404, status)
	assert.Equal(t, "NOT_INSTALLED", body["error"])
}
