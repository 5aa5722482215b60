package unread

import (
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The operating-time limit (OPERATION_TIME_LIMIT): a blocked method's calls wait
// until it reopens, the others go on.

func TestOperatingLimitWaitsUntilTheResetTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		p.script = []func() Response{func() Response {
			now := float64(time.Now().Unix())
			return answer(429, `{"error":"OPERATION_TIME_LIMIT","error_description":"Method is blocked due to operation time limit.","time":{"finish":`+
				strconv.FormatFloat(now, 'f', -1, 64)+`,"operating":481,"operating_reset_at":`+strconv.FormatFloat(now+90, 'f', -1, 64)+`}}`)
		}}
		c := newTestClient(t, p, Config{Timeout: 5 * time.Minute})
		start := time.Now()
		require.Nil(t, c.Mark(req(nil, "chat1", 1)))
		elapsed := time.Since(start)
		assert.GreaterOrEqual(t, elapsed, 90*time.Second)
		assert.Less(t, elapsed, 92*time.Second)
		assert.Equal(t, 1, c.Stats().Status429)
		assert.Len(t, p.requests, 2)
	})
}

func TestAnAbsurdOperatingResetTimeIsCapped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		p.script = []func() Response{func() Response {
			return answer(429, `{"error":"OPERATION_TIME_LIMIT","time":{"finish":1000,"operating":481,"operating_reset_at":1e300}}`)
		}}
		c := newTestClient(t, p, Config{Timeout: time.Hour})
		start := time.Now()
		require.Nil(t, c.Mark(req(nil, "chat1", 1)))
		assert.Equal(t, 10*time.Minute, time.Since(start).Truncate(time.Second))
	})
}

func TestNearTheOperatingBudgetRequestsAreSpacedOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		p.hook = func(form url.Values) (Response, bool) {
			return answer(200, `{"result":true,"time":{"operating":400,"operating_reset_at":2000,"finish":1000}}`), true
		}
		c := newTestClient(t, p, Config{BatchSize: 1, MaxInFlight: 1})
		start := time.Now()
		for _, err := range markAll(c, dialogs(5), 1) {
			require.Nil(t, err)
		}
		// After each answer that says 400 s of the 480 s budget are used,
		// the next request waits a second.
		assert.GreaterOrEqual(t, time.Since(start), 4*time.Second)
		assert.Equal(t, 0, c.Stats().Status429)
	})
}

func TestACallMadeWhileItsMethodIsBlockedSucceedsWhenItReopens(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		reopens := time.Now().Add(65 * time.Second)
		p.hook = func(url.Values) (Response, bool) {
			if time.Now().Before(reopens) {
				return answer(429, `{"error":"OPERATION_TIME_LIMIT","error_description":"Method is blocked due to operation time limit."}`), true
			}
			return Response{}, false
		}
		c := newTestClient(t, p, Config{MaxAttempts: 2})
		start := time.Now()
		err := c.Mark(req(nil, "chat1", 1))
		require.Nil(t, err, "within the default timeout")
		// probes after 10, 20 and 40 s: the fourth request passes at 70 s
		assert.InDelta(t, 70, time.Since(start).Seconds(), 1)
		assert.Len(t, p.requests, 4, "the waits are not attempts: MaxAttempts 2 did not end it")
		assert.Equal(t, 3, c.Stats().Status429)
	})
}

func TestABlockedCommandInABatchIsHeldAndTheOthersSettle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		reopens := time.Now().Add(30 * time.Second)
		blocked := answer(429, `{"error":"OPERATION_TIME_LIMIT","error_description":"Method is blocked due to operation time limit."}`)
		p.hook = func(form url.Values) (Response, bool) {
			if form.Get("DIALOG_ID") == "chat8" && time.Now().Before(reopens) {
				return blocked, true
			}
			if !strings.Contains(form.Encode(), "cmd") {
				return Response{}, false
			}
			results, failures := map[string]any{}, map[string]any{}
			for key, vals := range form {
				if !strings.HasPrefix(key, "cmd[") {
					continue
				}
				k := strings.TrimSuffix(strings.TrimPrefix(key, "cmd["), "]")
				if strings.Contains(vals[0], "chat8&") && time.Now().Before(reopens) {
					failures[k] = map[string]any{"error": "OPERATION_TIME_LIMIT", "error_description": "Method is blocked due to operation time limit."}
				} else {
					results[k] = true
				}
			}
			return Response{Status: 200, JSON: map[string]any{"result": map[string]any{"result": results, "result_error": failures}}}, true
		}
		var mu sync.Mutex
		settledAt := map[DialogID]time.Duration{}
		start := time.Now()
		c := newTestClient(t, p, Config{MaxInFlight: 1, OnSettle: func(pr Progress) {
			mu.Lock()
			settledAt[pr.Dialog] = time.Since(start)
			mu.Unlock()
		}})
		errs := markTogether(c, p, mark{"chat2", 1}, mark{"chat3", 1}, mark{"chat4", 1}, mark{"chat5", 1},
			mark{"chat6", 1}, mark{"chat7", 1}, mark{"chat8", 1}, mark{"chat9", 1})
		for _, err := range errs {
			assert.Nil(t, err)
		}
		mu.Lock()
		for _, d := range []DialogID{"chat2", "chat3", "chat4", "chat5", "chat6", "chat7", "chat9"} {
			assert.Less(t, settledAt[d], time.Second, "%s settled with the batch", d)
		}
		mu.Unlock()
		// probes after 10 and 20 s: the block lifted at 30 s
		assert.InDelta(t, 30, time.Since(start).Seconds(), 1, "chat8 waited for the probes past the block")
		later := time.Now()
		require.Nil(t, c.Mark(req(nil, "chat10", 1)))
		assert.Less(t, time.Since(later), time.Second, "a later call is not held")
	})
}
