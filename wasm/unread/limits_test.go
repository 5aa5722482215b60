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

// The client under the portal's limits: the bucket, the plan, the
// operating-time limit, and calls of different urgency.

func TestAFullBucketAtStartCostsOne503(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		p.level, p.at = 50, time.Now() // another app spent the portal's bucket
		c := newTestClient(t, p, Config{})
		start := time.Now()
		for _, err := range markAll(c, dialogs(500), 1) {
			require.Nil(t, err)
		}
		s := c.Stats()
		assert.Equal(t, 1, s.Status503, "the first request went alone and met the full bucket; the rest followed at the drain rate")
		assert.Len(t, p.unread, 500)
		// 11 requests at 2 per second after the first answer.
		assert.InDelta(t, 5.5, time.Since(start).Seconds(), 0.6)
	})
}

func TestACallIsNotHeldLongerThanTheLingerByAStalledRequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		stalled := make(chan struct{})
		c := newTestClient(t, p, Config{Timeout: time.Minute})
		require.Nil(t, c.Mark(req(nil, "chat1", 1))) // the bucket's level is known
		p.script = []func() Response{func() Response { <-stalled; return answer(200, `{"result":true}`) }}
		go c.Mark(req(nil, "chat2", 1)) // part-filled, and it stalls
		synctest.Wait()
		start := time.Now()
		require.Nil(t, c.Mark(req(nil, "chat3", 1)))
		assert.LessOrEqual(t, time.Since(start), defaultLinger+p.latency, "the new call waited for the stalled request")
		close(stalled)
	})
}

func TestAClickGoesInTheNextRequestWhileABulkJobWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		p.level, p.at = 50, time.Now()
		c := newTestClient(t, p, Config{Rate: 2, Burst: 50, Timeout: time.Hour})
		var wg sync.WaitGroup
		for i, d := range dialogs(10000) {
			wg.Go(func() { c.Mark(MarkRequest{Dialog: String(string(d)), Message: Number(float64(i + 1)), Bulk: true}) })
		}
		synctest.Wait()
		time.Sleep(3 * time.Second) // the bulk job is under way, on a full bucket
		p.mu.Lock()
		before := len(p.requests)
		p.mu.Unlock()
		start := time.Now()
		require.Nil(t, c.Mark(req(nil, "chat77777", 5)))
		took := time.Since(start)
		assert.LessOrEqual(t, took, 500*time.Millisecond+2*p.latency, "one request interval plus one round trip")
		p.mu.Lock()
		next := p.requests[before]
		p.mu.Unlock()
		assert.Contains(t, next.Encode(), "chat77777", "the click went in the next request")
		wg.Wait()
		s := c.Stats()
		assert.Equal(t, 10001, s.Succeeded)
		// The click took one command's room in a request of bulk marks:
		// 10,001 marks need 201 requests, plus the one 503 of the full start.
		assert.Equal(t, 201+1, s.Requests)
	})
}

func TestTheBulkQueueHasItsOwnBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		p.stall = true
		c := newTestClient(t, p, Config{BulkQueueSize: 3, QueueSize: 1, Timeout: time.Minute})
		for range 3 {
			go c.Mark(MarkRequest{Dialog: String("chat1"), Message: Number(1), Bulk: true})
		}
		synctest.Wait()
		err := c.Mark(MarkRequest{Dialog: String("chat2"), Message: Number(1), Bulk: true})
		require.NotNil(t, err)
		assert.Equal(t, CodeQueueFull, err.Code)
		assert.Contains(t, err.Description, "bulk")
		go c.Mark(req(nil, "chat3", 1)) // an interactive call still gets in
		synctest.Wait()
		assert.Equal(t, 4, c.Stats().Queued+c.Stats().InFlight)
	})
}

func TestAnEnterprisePlanIsLearnedFromAppInfo(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		p.rate, p.burst, p.license = 5, 250, "ru_ent250"
		plans := &fakePlans{}
		c := newTestClient(t, p, Config{Plans: plans})
		start := time.Now()
		for _, err := range markAll(c, dialogs(10000), 1) {
			require.Nil(t, err)
		}
		took := time.Since(start)
		assert.Equal(t, 1, p.appInfo)
		assert.Equal(t, 0, c.Stats().Status503)
		assert.Equal(t, EnterprisePlan, plans.saved["https://example.bitrix24.com"])
		// 200 batches fit the Enterprise burst of 250; on the standard
		// plan they would take (200-49)/2 = 75 s.
		assert.Less(t, took, 5*time.Second)
	})
}

func TestAStandardPortalIsNeverAskedForItsPlanByASmallJob(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		c := newTestClient(t, p, Config{})
		for _, err := range markAll(c, dialogs(20), 1) {
			require.Nil(t, err)
		}
		assert.Zero(t, p.appInfo)
	})
}

func TestASmallJobOnAFullBucketDoesNotAskForThePlan(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		p.level, p.at = p.burst, time.Now() // another app spent the bucket
		c := newTestClient(t, p, Config{})
		start := time.Now()
		for _, err := range markAll(c, dialogs(500), 1) {
			require.Nil(t, err)
		}
		assert.Zero(t, p.appInfo, "a request for the plan would have taken a batch's place")
		assert.Equal(t, 1, c.Stats().Status503)
		// 10 batches at the drain rate, after the first request's 503
		assert.InDelta(t, 5.5, time.Since(start).Seconds(), 0.6)
	})
}

func TestARememberedPlanIsUsedWithoutAsking(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		p.rate, p.burst = 5, 250
		plans := &fakePlans{saved: map[string]Plan{"https://example.bitrix24.com": EnterprisePlan}}
		c := newTestClient(t, p, Config{Plans: plans, BatchSize: 1})
		for _, err := range markAll(c, dialogs(300), 1) {
			require.Nil(t, err)
		}
		assert.Zero(t, p.appInfo)
		assert.Zero(t, c.Stats().Status503)
	})
}

func TestALargerPlanOnAStandardPortalCostsOne503(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal() // 2 per second, 50
		c := newTestClient(t, p, Config{Rate: 5, Burst: 250})
		for _, err := range markAll(c, dialogs(10000), 1) {
			require.Nil(t, err)
		}
		assert.Equal(t, 1, c.Stats().Status503, "the first request beyond a standard bucket went alone")
		assert.Len(t, p.unread, 10000)
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

func TestAFailedFetchFillsTheBucketSoRetriesCannotStorm(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		p.netFails = 1 << 30 // every request fails, as a 503 without CORS does in a browser
		c := newTestClient(t, p, Config{Timeout: 10 * time.Second, MaxAttempts: 100, BatchSize: 1})
		markAll(c, dialogs(500), 1)
		// one request alone, then at most one per drain step of the filled bucket
		assert.LessOrEqual(t, len(p.requests), 1+int(10*p.rate)+1)
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

func TestTheArgumentsAreCheckedInThePortalsOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		c := newTestClient(t, p, Config{})
		err := c.Mark(MarkRequest{Dialog: String(""), Message: Number(0)})
		require.NotNil(t, err)
		assert.Equal(t, CodeMessageID, err.Code, "MESSAGE_ID is checked first")
		err = c.Mark(MarkRequest{Dialog: String("0"), Message: Number(5)})
		require.NotNil(t, err)
		assert.Equal(t, CodeDialogID, err.Code)
		err = c.Mark(MarkRequest{Dialog: Number(0), Message: Number(5)})
		require.NotNil(t, err)
		assert.Equal(t, CodeDialogID, err.Code)
		assert.Empty(t, p.requests)
		assert.Equal(t, Stats{Settled: 3, Failed: 3}, c.Stats(), "each refused call counted once")
	})
}

func TestTheSharedBudgetIsAskedForEveryRequestAndToldOf503s(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		p.level, p.at = 50, time.Now()
		shared := &fakeShared{}
		c := newTestClient(t, p, Config{Shared: shared})
		for _, err := range markAll(c, dialogs(120), 1) {
			require.Nil(t, err)
		}
		assert.Equal(t, c.Stats().Requests, shared.reserved)
		assert.Equal(t, 1, shared.full)
		assert.Equal(t, StandardPlan, shared.plan)
	})
}

type fakePlans struct {
	mu    sync.Mutex
	saved map[string]Plan
}

func (f *fakePlans) Recall(portal string) (Plan, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.saved[portal]
	return p, ok
}

func (f *fakePlans) Remember(portal string, plan Plan) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.saved == nil {
		f.saved = map[string]Plan{}
	}
	f.saved[portal] = plan
}

type fakeShared struct {
	mu             sync.Mutex
	reserved, full int
	plan           Plan
}

func (f *fakeShared) Reserve(portal string, plan Plan, stop <-chan struct{}) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reserved++
	f.plan = plan
	return nil
}

func (f *fakeShared) Full(string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.full++
}

func (f *fakeShared) Hold(string, string, int64) {}

func (f *fakeShared) Room(string, float64, int64) {}

// relayShared is the shared budget of several clients: each one's Hold
// reaches the others' Held, as budget.js relays it between tabs.
type relayShared struct {
	fakeShared
	clients []*Client
}

// relayFor is client i's view of r.
type relayFor struct {
	*relayShared
	i int
}

func (r relayFor) Hold(portal, method string, untilMs int64) {
	for j, c := range r.clients {
		if j != r.i {
			c.Held(portal, method, time.UnixMilli(untilMs))
		}
	}
}

func TestAClientHoldsItsCallsWhileAnotherMetTheMethodsBlock(t *testing.T) {
	t.Run("b has sent before", func(t *testing.T) { testHeldByAnother(t, true) })
	t.Run("b's first request", func(t *testing.T) { testHeldByAnother(t, false) })
}

func testHeldByAnother(t *testing.T, bSentBefore bool) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		var reopens time.Time // zero: not blocked
		blockedAnswers := 0
		p.hook = func(url.Values) (Response, bool) {
			if time.Now().Before(reopens) {
				blockedAnswers++
				return answer(429, `{"error":"OPERATION_TIME_LIMIT","error_description":"Method is blocked due to operation time limit."}`), true
			}
			return Response{}, false
		}
		shared := &relayShared{}
		a := newTestClient(t, p, Config{BatchSize: 1, Shared: relayFor{shared, 0}})
		b := newTestClient(t, p, Config{BatchSize: 1, Shared: relayFor{shared, 1}})
		shared.clients = []*Client{a, b}
		if bSentBefore {
			require.Nil(t, b.Mark(req(nil, "chat1", 1)), "b has sent once, so it knows its portal")
		}

		start := time.Now()
		p.mu.Lock()
		reopens = start.Add(25 * time.Second)
		p.mu.Unlock()
		aDone := make(chan *Error, 1)
		go func() { aDone <- a.Mark(req(nil, "chat2", 1)) }()
		time.Sleep(time.Second) // a met the block; its first probe is due at 10 s
		type result struct {
			err  *Error
			took time.Duration
		}
		bDone := make(chan result, 1)
		go func() {
			t0 := time.Now()
			err := b.Mark(req(nil, "chat3", 1))
			bDone <- result{err, time.Since(t0)}
		}()
		require.Nil(t, <-aDone, "a's call, after its probes")
		// a probed at 10 s and 30 s (pauses of 10 and 20 s): the block lifted at 25 s
		assert.InDelta(t, 30, time.Since(start).Seconds(), 1.5)
		r := <-bDone
		require.Nil(t, r.err)
		assert.Greater(t, r.took, 25*time.Second, "b waited for the block to lift")
		p.mu.Lock()
		assert.Equal(t, 2, blockedAnswers, "b sent nothing into the block: only a's request and its first probe met it")
		p.mu.Unlock()
		assert.Zero(t, b.Stats().Status429)
	})
}

func TestA503WithinTheStandardBucketLeavesALargerPlanAlone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		p.rate, p.burst = 5, 250
		busy := func() Response {
			return answer(503, `{"error":"QUERY_LIMIT_EXCEEDED","error_description":"Too many requests"}`)
		}
		p.script = []func() Response{busy} // another app's load, at the start
		c := newTestClient(t, p, Config{Rate: 5, Burst: 250})
		start := time.Now()
		for _, err := range markAll(c, dialogs(10000), 1) {
			require.Nil(t, err)
		}
		assert.Equal(t, 1, c.Stats().Status503)
		// The full bucket drains at the plan's 5 per second: 200 batches in
		// 40 s. Put back on 2 per second, they would take 100 s.
		assert.InDelta(t, 40, time.Since(start).Seconds(), 2)
	})
}

func TestARememberedStandardPlanIsAskedAgain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		p.rate, p.burst, p.license = 5, 250, "ru_ent250" // upgraded since
		plans := &fakePlans{saved: map[string]Plan{"https://example.bitrix24.com": StandardPlan}}
		c := newTestClient(t, p, Config{Plans: plans})
		for _, err := range markAll(c, dialogs(10000), 1) {
			require.Nil(t, err)
		}
		assert.Equal(t, 1, p.appInfo)
		assert.Equal(t, EnterprisePlan, plans.saved["https://example.bitrix24.com"])
	})
}

func TestADisprovedPlanIsNotRecalledNextTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal() // standard, though remembered as Enterprise
		plans := &fakePlans{saved: map[string]Plan{"https://example.bitrix24.com": EnterprisePlan}}
		c := newTestClient(t, p, Config{Plans: plans})
		for _, err := range markAll(c, dialogs(3000), 1) {
			require.Nil(t, err)
		}
		assert.Equal(t, 1, c.Stats().Status503)
		assert.Equal(t, StandardPlan, plans.saved["https://example.bitrix24.com"])
	})
}
