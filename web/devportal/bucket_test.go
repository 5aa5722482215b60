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

func requireLimited(t *testing.T, f *fixture) {
	t.Helper()
	requireError(t, f.mark("chat1", "1"), http.StatusServiceUnavailable, "QUERY_LIMIT_EXCEEDED", "Too many requests")
}

func TestBucketAdmitsBurstThen503(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Config{})
		for i := range 50 {
			require.Equal(t, http.StatusOK, f.mark("chat1", "1").Code, "request %d", i)
		}
		requireLimited(t, f)
		w := f.mark("chat1", "1")
		assert.Empty(t, w.Header().Get("Retry-After"), "no Retry-After is sent")
		assert.Equal(t, 2, f.p.Stats().Status503)
	})
}

func TestBucketDrainsAtRate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Config{})
		for range 50 {
			f.mark("chat1", "1")
		}
		requireLimited(t, f)
		time.Sleep(499 * time.Millisecond)
		requireLimited(t, f)
		time.Sleep(time.Millisecond) // 0.5 s at 2/s drains exactly one
		requireOK(t, f.mark("chat1", "1"))
		requireLimited(t, f)
		time.Sleep(5 * time.Second) // 10 more
		for range 10 {
			requireOK(t, f.mark("chat1", "1"))
		}
		requireLimited(t, f)
	})
}

func TestRefusedRequestsDoNotFillTheBucket(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Config{})
		for range 50 {
			f.mark("chat1", "1")
		}
		for range 100 {
			requireLimited(t, f)
		}
		time.Sleep(500 * time.Millisecond)
		requireOK(t, f.mark("chat1", "1"))
	})
}

func TestBucketIsCheckedBeforeAuth(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Config{Burst: 1})
		requireError(t, f.form("im.dialog.unread", nil), http.StatusUnauthorized, "NO_AUTH_FOUND", "Wrong authorization data")
		requireError(t, f.form("im.dialog.unread", nil), http.StatusServiceUnavailable, "QUERY_LIMIT_EXCEEDED", "Too many requests")
	})
}

func TestPrefillModelsAnotherAppUsingTheBucket(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Config{Prefill: 48})
		requireOK(t, f.mark("chat1", "1"))
		requireOK(t, f.mark("chat1", "1"))
		requireLimited(t, f)
	})
}

func TestEnterpriseBucket5Per250(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Config{Rate: 5, Burst: 250})
		for range 250 {
			require.Equal(t, http.StatusOK, f.mark("chat1", "1").Code)
		}
		requireLimited(t, f)
		time.Sleep(time.Second)
		for range 5 {
			requireOK(t, f.mark("chat1", "1"))
		}
		requireLimited(t, f)
	})
}

func TestBatchCountsAsOneRequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Config{Burst: 2})
		cmd := url.Values{"auth": {f.token}}
		for i := range 50 {
			cmd.Set("cmd[k"+string(rune('A'+i%26))+string(rune('a'+i/26))+"]", "im.dialog.unread?DIALOG_ID=chat1&MESSAGE_ID=1")
		}
		requireOK(t, f.form("batch", cmd))
		requireOK(t, f.mark("chat1", "1"))
		requireLimited(t, f)
		s := f.p.Stats()
		assert.Equal(t, 3, s.Requests)
		assert.Equal(t, 1, s.Batches)
		assert.Equal(t, 51, s.Commands)
	})
}

func TestMaxPerSecondIsTheBusiestOneSecondWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Config{})
		for range 3 {
			f.mark("chat1", "1")
			time.Sleep(400 * time.Millisecond)
		}
		// arrivals at 0, .4, .8 -> 3 within a second
		assert.Equal(t, 3, f.p.Stats().MaxPerSecond)
		time.Sleep(2 * time.Second)
		for range 2 {
			f.mark("chat1", "1")
		}
		assert.Equal(t, 3, f.p.Stats().MaxPerSecond)
		for range 5 {
			f.mark("chat1", "1")
		}
		assert.Equal(t, 7, f.p.Stats().MaxPerSecond)
	})
}

func TestLeakyBucketArithmetic(t *testing.T) {
	t0 := time.Unix(1000, 0)
	b := newLeakyBucket(2, 3, 0, t0)
	assert.True(t, b.take(t0))
	assert.True(t, b.take(t0))
	assert.True(t, b.take(t0))
	assert.False(t, b.take(t0))
	assert.InDelta(t, 3, b.level, 1e-9)
	assert.True(t, b.take(t0.Add(500*time.Millisecond)))
	assert.False(t, b.take(t0.Add(500*time.Millisecond)))
	assert.True(t, b.take(t0.Add(time.Hour)))
	assert.InDelta(t, 1, b.level, 1e-9, "drains to 0, never below")
	assert.InDelta(t, 3, newLeakyBucket(2, 3, 10, t0).level, 1e-9, "prefill is capped at burst")
}
