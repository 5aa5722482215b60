//go:build !js

package worker

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/markunread/markunread/web/devportal"
)

// A page that kept the pair it handed over, after the Worker renewed that pair, hands it
// over again: the Worker asks the portal, which no longer takes it, instead of keeping
// the dead pair in place of its own; the user's other job still runs.
func TestAPairTheWorkerRenewedIsNotTakenAgain(t *testing.T) {
	f := newFixture(t)
	require.EqualValues(t, 200, f.appEvent("install")["status"])
	f.portal.Reset(devportal.Config{TokenLifetime: time.Second})
	tok := f.portal.IssueTokenAs(4)
	start := time.Now()
	first, second := start.Add(1200*time.Millisecond), start.Add(3*time.Second) // after the token's life
	status, body := f.api("/api/jobs", f.jobBody(tok, [][]any{{"chat5", 2}}, &first))
	require.Equal(t, 201, status, "%v", body)
	status, body = f.api("/api/jobs", f.jobBody(tok, [][]any{{"chat7", 3}}, &second))
	require.Equal(t, 201, status, "%v", body)

	time.Sleep(time.Until(first))
	f.runAlarm() // the access token expired: the Worker renews the pair, then marks
	require.Equal(t, map[string]int64{"chat5": 2}, f.portal.Unread())

	soon := time.Now().Add(time.Minute)
	status, body = f.api("/api/jobs", f.jobBody(tok, [][]any{{"chat6", 1}}, &soon))
	assert.Equal(t, 403, status, "%v", body)
	assert.Equal(t, "TOKEN_REFUSED", body["error"])

	time.Sleep(time.Until(second))
	f.runAlarm() // the Worker's own pair expired too: renewed again from it
	assert.Equal(t, map[string]int64{"chat5": 2, "chat7": 3}, f.portal.Unread(), "the other job ran with the Worker's pair")
}
