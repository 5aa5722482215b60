package unread

import (
	"encoding/json"
	"net/url"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// What is retried (network errors, stalls, 503s) and what is not (overload, other
// client errors, a moved portal), and how many attempts a call is told of.

func TestNetworkErrorsAreRetriedWithGrowingBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		p.netFails = 3
		c := newTestClient(t, p, Config{})
		start := time.Now()
		require.Nil(t, c.Mark(req(nil, "chat1", 1)))
		// 3 backoffs of at least 0.25 s, 0.5 s and 1 s
		assert.GreaterOrEqual(t, time.Since(start), 1750*time.Millisecond)
		assert.Equal(t, 3, c.Stats().Retries)
		assert.Len(t, p.requests, 4)
	})
}

func TestRetriesAreBoundedAndTheErrorSaysHowManyAttempts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		p.hook = func(url.Values) (Response, bool) { return answer(500, `<html>down</html>`), true }
		c := newTestClient(t, p, Config{MaxAttempts: 4})
		err := c.Mark(req(nil, "chat1", 1))
		require.NotNil(t, err)
		assert.Equal(t, CodeBadResponse, err.Code)
		assert.Equal(t, 500, err.Status)
		assert.Equal(t, 4, err.Attempts)
		assert.Contains(t, err.Description, "gave up after 4 attempts")
		assert.Len(t, p.requests, 4)
	})
}

func TestOverloadAndOtherClientErrorsAreNotRetried(t *testing.T) {
	for status, body := range map[int]string{
		503: `{"error":"OVERLOAD_LIMIT","error_description":"REST API is blocked due to overload."}`,
		403: `{"error":"insufficient_scope","error_description":"The request requires higher privileges than provided by the access token"}`,
	} {
		synctest.Test(t, func(t *testing.T) {
			p := newFakePortal()
			p.hook = func(url.Values) (Response, bool) { return answer(status, body), true }
			c := newTestClient(t, p, Config{})
			err := c.Mark(req(nil, "chat1", 1))
			require.NotNil(t, err)
			var want map[string]any
			require.NoError(t, json.Unmarshal([]byte(body), &want))
			assert.Equal(t, want["error"], err.Code)
			assert.Equal(t, want["error_description"], err.Description)
			assert.Equal(t, status, err.Status)
			assert.Equal(t, 1, err.Attempts)
			assert.Len(t, p.requests, 1)
		})
	}
}

func TestAStalledRequestEndsAtItsTimeoutAndIsRetried(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		p.stall = true
		c := newTestClient(t, p, Config{RequestTimeout: time.Second, Timeout: time.Minute, MaxAttempts: 3})
		err := c.Mark(req(nil, "chat1", 1))
		require.NotNil(t, err)
		assert.Equal(t, CodeNetwork, err.Code)
		assert.Equal(t, "no answer from https://example.bitrix24.com within 1s (gave up after 3 attempts)", err.Description)
		assert.Equal(t, 3, err.Attempts)
		assert.Len(t, p.requests, 3)
		assert.Equal(t, 3, c.Stats().Abandoned, "each request given up on is counted")
	})
}

func TestABurstOf503sDoesNotSpendTheRetryBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		busy := func() Response {
			return answer(503, `{"error":"QUERY_LIMIT_EXCEEDED","error_description":"Too many requests"}`)
		}
		p.script = []func() Response{busy, busy, busy, busy, busy, busy, busy, busy}
		c := newTestClient(t, p, Config{MaxAttempts: 3})
		require.Nil(t, c.Mark(req(nil, "chat1", 1)))
		assert.Len(t, p.requests, 9)
		assert.Equal(t, 8, c.Stats().Status503)
	})
}

func TestAMovedPortalFailsAfterOneRequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		p.hook = func(url.Values) (Response, bool) { return Response{Status: 302, Redirected: true}, true }
		c := newTestClient(t, p, Config{})
		errs := markAll(c, dialogs(5), 1)
		for _, err := range errs {
			require.NotNil(t, err)
			assert.Equal(t, CodePortalMoved, err.Code)
			// in the one request, or failed without one
			assert.LessOrEqual(t, err.Attempts, 1)
		}
		assert.Len(t, p.requests, 1)
		err := c.Mark(req(nil, "chat9", 1))
		require.NotNil(t, err)
		assert.Equal(t, CodePortalMoved, err.Code, "later calls too")
		assert.Len(t, p.requests, 1)
	})
}
