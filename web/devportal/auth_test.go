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

func TestMissingAuthIsNoAuthFound(t *testing.T) {
	f := newFixture(t, Config{})
	w := f.form("im.dialog.unread", url.Values{"DIALOG_ID": {"chat1"}, "MESSAGE_ID": {"1"}})
	requireError(t, w, http.StatusUnauthorized, "NO_AUTH_FOUND", "Wrong authorization data")
	assert.Equal(t, 1, f.p.Stats().Status401)
	assert.Empty(t, f.p.Unread())
}

func TestUnknownTokenIsInvalidToken(t *testing.T) {
	f := newFixture(t, Config{})
	w := f.form("im.dialog.unread", url.Values{"auth": {"nope"}, "DIALOG_ID": {"chat1"}, "MESSAGE_ID": {"1"}})
	requireError(t, w, http.StatusUnauthorized, "invalid_token", "The access token provided is invalid")
}

func TestExpiredTokenIsExpiredToken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Config{TokenLifetime: time.Minute})
		requireOK(t, f.mark("chat1", "1"))
		time.Sleep(time.Minute)
		requireError(t, f.mark("chat1", "1"), http.StatusUnauthorized, "expired_token", "The access token provided has expired")
		assert.Equal(t, 1, f.p.Stats().Status401)
	})
}

func TestDefaultTokenLifetimeIs3600s(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Config{})
		time.Sleep(3599 * time.Second)
		requireOK(t, f.mark("chat1", "1"))
		time.Sleep(time.Second)
		requireError(t, f.mark("chat1", "1"), http.StatusUnauthorized, "expired_token", "The access token provided has expired")
	})
}

func TestRefreshTokenWorksOnceAndOldAccessStaysValid(t *testing.T) {
	p := New(Config{})
	tok := p.IssueToken()
	nt, err := p.Refresh(tok.Refresh)
	require.NoError(t, err)
	assert.NotEqual(t, tok.Access, nt.Access)
	_, err = p.Refresh(tok.Refresh)
	assert.ErrorIs(t, err, ErrInvalidGrant)
	_, err = p.Refresh("unknown")
	assert.ErrorIs(t, err, ErrInvalidGrant)

	f := &fixture{t: t, p: p, h: p.Handler(), token: tok.Access}
	requireOK(t, f.mark("chat1", "1"))
	f.token = nt.Access
	requireOK(t, f.mark("chat1", "1"))
}
