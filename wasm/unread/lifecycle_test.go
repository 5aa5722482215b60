package unread

import (
	"net/url"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A call's life from admission to its one settlement, and what the client
// tells of it on the way.

func TestAnAlreadyAbortedCallIsCountedAndReported(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		var heard []Progress
		c := newTestClient(t, p, Config{OnSettle: func(pr Progress) { heard = append(heard, pr) }})
		abort := NewStop()
		abort.Fire(&Error{Code: CodeAborted, Description: "the call's AbortSignal fired: user left"})
		err := c.Mark(req(abort, "chat1", 1))
		require.NotNil(t, err)
		assert.Equal(t, CodeAborted, err.Code)
		assert.Equal(t, "the call's AbortSignal fired: user left", err.Description)
		assert.Empty(t, p.requests)
		assert.Equal(t, Stats{Settled: 1, Failed: 1}, c.Stats())
		require.Len(t, heard, 1)
		assert.Equal(t, DialogID("chat1"), heard[0].Dialog)
		assert.Equal(t, CodeAborted, heard[0].Err.Code)
	})
}

func TestAClosedClientRefusesCallsAtOnceAndCountsThem(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		c := newTestClient(t, p, Config{})
		require.Nil(t, c.Mark(req(nil, "chat1", 1)))
		c.Close()
		c.Close() // twice is fine
		err := c.Mark(req(nil, "chat2", 1))
		require.NotNil(t, err)
		assert.Equal(t, CodeClosed, err.Code)
		assert.Len(t, p.requests, 1)
		assert.Equal(t, 2, c.Stats().Settled)
	})
}

func TestATokenNearItsExpiryIsRefreshedBeforeUse(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		p.token = "second"
		p.expired["first"] = true
		auth := &fakeAuth{tokens: []string{"first", "second"}, expiresIn: 30 * time.Second}
		c := newTestClient(t, p, Config{Auth: auth})
		p.expired["first"] = false
		p.token = "first"
		require.Nil(t, c.Mark(req(nil, "chat1", 1)))
		time.Sleep(25 * time.Second) // within expiryMargin of the 30 s life
		p.token = "second"
		p.expired["first"] = true
		require.Nil(t, c.Mark(req(nil, "chat2", 1)))
		assert.Equal(t, 1, auth.refreshCount())
		assert.Equal(t, 1, c.Stats().Refreshes, "the early refresh is counted")
		assert.Len(t, p.requests, 2, "the expiring token was never sent")
		assert.Equal(t, "second", p.requests[1].Get("auth"))
	})
}

func TestAShortLivedTokenIsRefreshedAtHalfItsLifeNotOnEveryUse(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		p.token = "first"
		auth := &fakeAuth{tokens: []string{"first", "second"}, expiresIn: 5 * time.Second}
		c := newTestClient(t, p, Config{Auth: auth, BatchSize: 1})
		for i := range 4 { // within the first half of its 5 s life
			require.Nil(t, c.Mark(req(nil, "chat1", MessageID(i+1))))
			time.Sleep(500 * time.Millisecond)
		}
		assert.Equal(t, 0, auth.refreshCount(), "a token with 3 s of its 5 s left is used")
		time.Sleep(time.Second) // past half its life
		p.token = "second"
		require.Nil(t, c.Mark(req(nil, "chat1", 9)))
		assert.Equal(t, 1, auth.refreshCount())
		assert.Equal(t, 1, c.Stats().Refreshes)
	})
}

func TestATimeoutSaysWhatTheCallWaitedFor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		p.hook = func(url.Values) (Response, bool) {
			return answer(503, `{"error":"QUERY_LIMIT_EXCEEDED","error_description":"Too many requests"}`), true
		}
		c := newTestClient(t, p, Config{Timeout: 5 * time.Second})
		err := c.Mark(req(nil, "chat1", 1))
		require.NotNil(t, err)
		assert.Equal(t, CodeTimeout, err.Code)
		assert.Contains(t, err.Description, "no outcome within 5s")
		assert.Contains(t, err.Description, "bucket stayed full")
		assert.Contains(t, err.Description, "attempts)")
	})
}

func TestOneAttemptIsSaidInTheSingular(t *testing.T) {
	assert.Equal(t, "1 attempt", attemptsText(1))
	assert.Equal(t, "3 attempts", attemptsText(3))
}

func TestTheLogTellsOfRetriesAndFullBucketsWithoutTheToken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		p.level, p.at = 50, time.Now()
		var mu sync.Mutex
		var events []LogEvent
		var c *Client
		c = newTestClient(t, p, Config{OnLog: func(e LogEvent) {
			mu.Lock()
			events = append(events, e)
			mu.Unlock()
			_ = c.Stats() // the log may call back into the client
		}})
		for _, err := range markAll(c, dialogs(60), 1) {
			require.Nil(t, err)
		}
		synctest.Wait()
		mu.Lock()
		defer mu.Unlock()
		kinds := map[string]bool{}
		for _, e := range events {
			kinds[e.Kind] = true
			assert.NotContains(t, e.Text, p.token)
		}
		assert.True(t, kinds[LogBucketFull], "%v", events)
		assert.True(t, kinds[LogRetry], "%v", events)
	})
}

func TestOptionsOutsideTheirBoundsAreRefusedByName(t *testing.T) {
	for _, tc := range []struct {
		name  string
		value float64
	}{
		{"timeoutMs", 1e-7}, {"timeoutMs", 9.2e12}, {"limits.perSecond", 1e-300},
		{"limits.burst", 1.5}, {"queueSize", 0}, {"maxAttempts", -1},
	} {
		var cfg Config
		err := cfg.Set(tc.name, tc.value)
		require.NotNil(t, err, "%s %v", tc.name, tc.value)
		assert.Equal(t, CodeBadOption, err.Code)
		assert.True(t, strings.HasPrefix(err.Description, "options."+tc.name+" must be"), err.Description)
	}
	var cfg Config
	require.Nil(t, cfg.Set("timeoutMs", 1500))
	assert.Equal(t, 1500*time.Millisecond, cfg.Timeout)
	assert.NotNil(t, cfg.Set("nonsense", 1))
}

func TestATimeoutWhileATokenIsAwaitedSaysSo(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		auth := &fakeAuth{tokens: []string{"good"}, blockToken: true}
		c := newTestClient(t, p, Config{Auth: auth, Timeout: 3 * time.Second, RefreshTimeout: 5 * time.Second})
		err := c.Mark(req(nil, "chat1", 1))
		require.NotNil(t, err)
		assert.Equal(t, CodeTimeout, err.Code)
		assert.Contains(t, err.Description, "gave no token in time")
		assert.Contains(t, err.Description, "(0 attempts)", "no request left")
		time.Sleep(3 * time.Second) // the token fetch gives up at its own bound
	})
}

func TestTheDefaultLimitsAreTheStandardPlanWhereLearningStarts(t *testing.T) {
	var cfg Config
	cfg.setDefaults()
	assert.Equal(t, StandardPlan, Plan{Rate: cfg.Rate, Burst: cfg.Burst})
}
