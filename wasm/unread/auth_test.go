package unread

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Tokens: no source, an insecure portal, and one shared refresh for the calls that
// met an expired token.

func TestNoAuthSourceRejectsWithNoAuth(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		c := New(Config{Transport: p})
		defer c.Close()
		err := c.Mark(req(nil, "chat1", 1))
		require.NotNil(t, err)
		assert.Equal(t, CodeNoAuth, err.Code)
		assert.Empty(t, p.requests)
		assert.Zero(t, c.Stats().Requests, "a request that never left is not counted")
	})
}

func TestAnInsecurePortalGetsNoToken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		c := newTestClient(t, p, Config{Portal: "http://example.bitrix24.com"})
		err := c.Mark(req(nil, "chat1", 1))
		require.NotNil(t, err)
		assert.Equal(t, CodeInvalidPortal, err.Code)
		assert.Empty(t, p.requests)
	})
}

func TestOneRefreshServesEveryCallThatMetTheExpiredToken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		p.token = "second"
		p.expired["first"] = true
		auth := &fakeAuth{tokens: []string{"first", "second", "third"}}
		c := newTestClient(t, p, Config{Auth: auth, BatchSize: 1, Burst: 1000})
		errs := markAll(c, dialogs(200), 1)
		for _, err := range errs {
			require.Nil(t, err)
		}
		assert.Equal(t, 1, auth.refreshCount())
		assert.Equal(t, 1, c.Stats().Refreshes)
		assert.Len(t, p.unread, 200)
	})
}

func TestASecondAuthFailureSurfacesThePortalsCode(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		p.token = "none works"
		auth := &fakeAuth{tokens: []string{"first", "second", "third"}}
		c := newTestClient(t, p, Config{Auth: auth})
		err := c.Mark(req(nil, "chat1", 1))
		require.NotNil(t, err)
		assert.Equal(t, CodeInvalidToken, err.Code)
		assert.Equal(t, 401, err.Status)
		assert.Equal(t, 2, err.Attempts)
		assert.Equal(t, 1, auth.refreshCount())
	})
}

func TestARefreshThatDoesNotAnswerFailsTheWaitingCalls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		p.token = "second"
		auth := &fakeAuth{tokens: []string{"first", "second"}, block: true}
		c := newTestClient(t, p, Config{Auth: auth, RefreshTimeout: 4 * time.Second})
		start := time.Now()
		errs := markAll(c, dialogs(5), 1)
		for _, err := range errs {
			require.NotNil(t, err)
			assert.Equal(t, CodeRefreshFailed, err.Code)
			assert.Contains(t, err.Description, "did not answer within 4s")
		}
		assert.Less(t, time.Since(start), 5*time.Second)
		assert.Equal(t, 1, auth.refreshCount())
	})
}

func TestAFailedRefreshSaysWhy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		p.token = "second"
		auth := &fakeAuth{tokens: []string{"first", "second"}, fail: errors.New("the portal did not answer refreshAuth")}
		c := newTestClient(t, p, Config{Auth: auth})
		err := c.Mark(req(nil, "chat1", 1))
		require.NotNil(t, err)
		assert.Equal(t, CodeRefreshFailed, err.Code)
		assert.Contains(t, err.Description, "the portal did not answer refreshAuth")
	})
}
