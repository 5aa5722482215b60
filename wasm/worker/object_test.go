//go:build !js

package worker

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/markunread/markunread/wasm/unread"
	"github.com/markunread/markunread/web/devportal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestInstallKeepsThePortalAndUninstallLeavesNothing(t *testing.T) {
	f := newFixture(t)
	out := f.appEvent("install")
	require.EqualValues(t, 200, out["status"], "%v", out)
	require.Contains(t, f.store().keys(), keyInstall)
	in, err := f.objs.object(f.portal.MemberID()).install()
	require.NoError(t, err)
	assert.Equal(t, f.portalS.URL, in.Base)
	assert.NotContains(t, f.store().dump(), out["applicationToken"], "the application_token is kept sealed")

	tok := f.portal.IssueTokenAs(3)
	at := time.Now().Add(time.Hour)
	status, _ := f.api("/api/jobs", f.jobBody(tok, [][]any{{"chat1", 5}}, &at))
	require.Equal(t, 201, status)
	_, hasAlarm, _ := f.store().Alarm()
	require.True(t, hasAlarm)

	out = f.appEvent("uninstall")
	require.EqualValues(t, 200, out["status"], "%v", out)
	assert.Empty(t, f.store().keys(), "nothing of the portal is left")
	_, hasAlarm, _ = f.store().Alarm()
	assert.False(t, hasAlarm, "no alarm is left")
}

func TestAnEventWithAWrongApplicationTokenChangesNothing(t *testing.T) {
	f := newFixture(t)
	require.EqualValues(t, 200, f.appEvent("install")["status"])
	before := f.store().dump()
	for _, event := range []string{"ONAPPUNINSTALL", "ONAPPINSTALL"} {
		form := url.Values{
			"event": {event}, "auth[member_id]": {f.portal.MemberID()}, "auth[application_token]": {strings.Repeat("0", 32)},
			"auth[client_endpoint]": {"https://attacker.example/rest/"},
		}
		res, err := http.PostForm(f.front.URL+"/events", form)
		require.NoError(t, err)
		res.Body.Close()
		assert.Equal(t, http.StatusForbidden, res.StatusCode, event)
	}
	assert.Equal(t, before, f.store().dump(), "the install is as it was")
	assert.NotContains(t, f.out.hosts(), "attacker.example")
}

func TestAReminderMarksTheDialogAsThatUserWhenDue(t *testing.T) {
	f := newFixture(t)
	require.EqualValues(t, 200, f.appEvent("install")["status"])
	tok := f.portal.IssueTokenAs(7)
	at := time.Now().Add(300 * time.Millisecond)
	status, body := f.api("/api/jobs", f.jobBody(tok, [][]any{{"chat29", 12}, {"sg4", 3}}, &at))
	require.Equal(t, 201, status, "%v", body)
	assert.Empty(t, f.portal.Unread(), "nothing is marked before its time")
	alarm, _, _ := f.store().Alarm()
	assert.WithinDuration(t, at, alarm, time.Millisecond)
	assert.NotContains(t, f.store().dump(), tok.Access)
	assert.NotContains(t, f.store().dump(), tok.Refresh)

	time.Sleep(time.Until(alarm))
	f.runAlarm()
	assert.Equal(t, map[string]int64{"chat29": 12, "sg4": 3}, f.portal.Unread())
	for _, d := range f.portal.Messenger(0).Dialogs {
		assert.Equal(t, 7, d.MarkedBy, d.ID)
	}
	status, body = f.api("/api/jobs/list", map[string]any{"memberId": f.portal.MemberID(), "accessToken": tok.Access})
	require.Equal(t, 200, status)
	jobs := body["jobs"].([]any)
	require.Len(t, jobs, 1)
	job := jobs[0].(map[string]any)
	assert.Equal(t, StateDone, job["state"])
	assert.EqualValues(t, 2, job["marked"])
	assert.NotContains(t, f.store().keys(), tokenKey(7), "the user's tokens go when their last job ends")
	for _, k := range f.store().keys() {
		assert.False(t, strings.HasPrefix(k, prefixPairs) || strings.HasPrefix(k, prefixProg), k)
	}
	hosts := f.out.hosts()
	assert.Equal(t, map[string]bool{strings.TrimPrefix(f.portalS.URL, "http://"): true}, hosts, "no host but the portal")
}

func TestAJobIsRefusedWithAForgedTokenAnotherPortalsTokenOrNoInstall(t *testing.T) {
	f := newFixture(t)
	other := devportal.New(devportal.Config{})
	tok := f.portal.IssueTokenAs(2)
	status, body := f.api("/api/jobs", f.jobBody(tok, [][]any{{"chat1", 1}}, nil))
	assert.Equal(t, 404, status)
	assert.Equal(t, CodeNotInstalled, body["error"])

	require.EqualValues(t, 200, f.appEvent("install")["status"])
	forged := devportal.Token{Access: strings.Repeat("ab", 32), Refresh: strings.Repeat("cd", 32)}
	for name, tk := range map[string]devportal.Token{"forged": forged, "other portal's": other.IssueTokenAs(2)} {
		status, body = f.api("/api/jobs", f.jobBody(tk, [][]any{{"chat1", 1}}, nil))
		assert.Equal(t, 403, status, name)
		assert.Equal(t, CodeTokenRefused, body["error"], name)
		assert.NotContains(t, body["error_description"], tk.Access, name)
	}
	for _, k := range f.store().keys() {
		assert.False(t, strings.HasPrefix(k, prefixJob) || strings.HasPrefix(k, prefixToken), "nothing kept for a refused job: %s", k)
	}
}

func TestBadJobsGetACodeAndAClearMessage(t *testing.T) {
	f := newFixture(t)
	require.EqualValues(t, 200, f.appEvent("install")["status"])
	tok := f.portal.IssueToken()
	far := time.Now().Add(400 * 24 * time.Hour)
	cases := []struct {
		name   string
		body   map[string]any
		status int
		code   string
		text   string
	}{
		{"no pairs", f.jobBody(tok, [][]any{}, nil), 400, CodeBadPair, "pairs is empty"},
		{"a bad dialog", f.jobBody(tok, [][]any{{"chat 1", 1}}, nil), 400, CodeBadPair, "pairs[0]: DIALOG_ID_EMPTY"},
		{"message first", f.jobBody(tok, [][]any{{"", 0}}, nil), 400, CodeBadPair, "MESSAGE_ID_ERROR"},
		{"not a pair", f.jobBody(tok, [][]any{{"chat1"}}, nil), 400, CodeBadPair, "is not [dialogId, messageId]"},
		{"too far", f.jobBody(tok, [][]any{{"chat1", 1}}, &far), 400, CodeBadTime, "366 days"},
		{"no member", map[string]any{"pairs": [][]any{{"chat1", 1}}}, 400, CodeBadRequest, "memberId"},
	}
	for _, c := range cases {
		status, body := f.api("/api/jobs", c.body)
		assert.Equal(t, c.status, status, c.name)
		assert.Equal(t, c.code, body["error"], c.name)
		assert.Contains(t, body["error_description"], c.text, c.name)
	}
	many := make([][]any, MaxPairs+1)
	for i := range many {
		many[i] = []any{"chat1", i + 1}
	}
	status, body := f.api("/api/jobs", f.jobBody(tok, many, nil))
	assert.Equal(t, 413, status)
	assert.Equal(t, CodeTooLarge, body["error"])
}

func TestAUserSeesAndCancelsOnlyTheirOwnJobs(t *testing.T) {
	f := newFixture(t)
	require.EqualValues(t, 200, f.appEvent("install")["status"])
	anna, john := f.portal.IssueTokenAs(2), f.portal.IssueTokenAs(3)
	at := time.Now().Add(time.Hour)
	_, body := f.api("/api/jobs", f.jobBody(anna, [][]any{{"chat1", 1}}, &at))
	id := body["job"].(map[string]any)["id"].(string)
	_, body = f.api("/api/jobs/list", map[string]any{"memberId": f.portal.MemberID(), "accessToken": john.Access})
	assert.Empty(t, body["jobs"])
	status, body := f.api("/api/jobs/cancel", map[string]any{"memberId": f.portal.MemberID(), "accessToken": john.Access, "id": id})
	assert.Equal(t, 404, status)
	assert.Equal(t, CodeNotFound, body["error"])
	status, body = f.api("/api/jobs/cancel", map[string]any{"memberId": f.portal.MemberID(), "accessToken": anna.Access, "id": id})
	require.Equal(t, 200, status)
	assert.Equal(t, StateCancelled, body["job"].(map[string]any)["state"])
	f.runAlarm()
	assert.Empty(t, f.portal.Unread(), "a cancelled job marks nothing")
	assert.NotContains(t, f.store().keys(), tokenKey(2))
}

func TestAJobRefreshesAnExpiredTokenAtTheOAuthServer(t *testing.T) {
	f := newFixture(t)
	require.EqualValues(t, 200, f.appEvent("install")["status"])
	f.portal.Reset(devportal.Config{TokenLifetime: 400 * time.Millisecond})
	tok := f.portal.IssueTokenAs(4)
	at := time.Now().Add(600 * time.Millisecond) // due after the access token expired
	status, body := f.api("/api/jobs", f.jobBody(tok, [][]any{{"chat5", 2}}, &at))
	require.Equal(t, 201, status, "%v", body)
	time.Sleep(time.Until(at))
	f.runAlarm()
	assert.Equal(t, map[string]int64{"chat5": 2}, f.portal.Unread())
}

func TestAJobWhoseTokensCannotBeRefreshedKeepsItsError(t *testing.T) {
	f := newFixture(t)
	require.EqualValues(t, 200, f.appEvent("install")["status"])
	f.objs.settings.ClientSecret = "not the app's secret"
	f.portal.Reset(devportal.Config{TokenLifetime: 300 * time.Millisecond})
	tok := f.portal.IssueTokenAs(4)
	at := time.Now().Add(500 * time.Millisecond)
	status, _ := f.api("/api/jobs", f.jobBody(tok, [][]any{{"chat5", 2}}, &at))
	require.Equal(t, 201, status)
	time.Sleep(time.Until(at))
	f.runAlarm()
	assert.Empty(t, f.portal.Unread())
	_, body := f.api("/api/jobs/list", map[string]any{"memberId": f.portal.MemberID(), "accessToken": f.portal.IssueTokenAs(4).Access})
	job := body["jobs"].([]any)[0].(map[string]any)
	assert.Equal(t, StateFailed, job["state"])
	assert.Equal(t, "REFRESH_FAILED", job["error"].(map[string]any)["code"])
	assert.NotContains(t, f.store().dump(), "not the app's secret")
}

func TestThePortalBudgetLetsNoMoreThanTheBucketHoldsAtOnce(t *testing.T) {
	b := &portalBudget{}
	plan := unread.StandardPlan
	assert.Equal(t, 49, budgetCapacity(plan), "one request of headroom below the portal's 50")
	for i := 0; i < budgetCapacity(plan); i++ {
		c, err := b.Reserve("p", plan, nil)
		require.NoError(t, err)
		assert.Equal(t, unread.AppCount{Granted: i, Counted: true}, c, "every user's requests counted before this one")
	}
	b.Full("p")
	// The next one waits for the bucket to drain (half a second at 2/s): stopped
	// before that, it was not let through.
	stop := make(chan struct{})
	time.AfterFunc(50*time.Millisecond, func() { close(stop) })
	_, err := b.Reserve("p", plan, stop)
	assert.Error(t, err, "the next waits for the drain")
	c, err := b.Reserve("p", plan, nil)
	require.NoError(t, err)
	assert.Equal(t, unread.AppCount{Granted: budgetCapacity(plan), Refused: 1, Counted: true}, c, "a 503 told is counted")
}

func TestARunStartsWithWhatTheObjectSpentOfTheBucketBeforeIt(t *testing.T) {
	o := &Object{Store: newMemStore()}
	for range 49 { // verifying 49 tokens with profile, just now
		o.spendOne()
	}
	b := &portalBudget{spent: o.spentNow(time.Now())}
	stop := make(chan struct{})
	time.AfterFunc(50*time.Millisecond, func() { close(stop) })
	_, err := b.Reserve("p", unread.StandardPlan, stop)
	assert.Error(t, err, "the bucket is as full as those requests left it: the run's first request waits")
	fresh := &portalBudget{spent: (&Object{Store: newMemStore()}).spentNow(time.Now())}
	_, err = fresh.Reserve("p", unread.StandardPlan, nil)
	assert.NoError(t, err, "with nothing spent it goes at once")
}
