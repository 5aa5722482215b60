package unread

import (
	"encoding/json"
	"errors"
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

func newTestClient(t *testing.T, p *fakePortal, cfg Config) *Client {
	cfg.Transport = p
	if cfg.Auth == nil {
		cfg.Auth = &fakeAuth{tokens: []string{p.token}}
	}
	c := New(cfg)
	t.Cleanup(c.Close)
	return c
}

// markAll starts one Mark per dialog at once and returns their errors in order.
func markAll(c *Client, dialogs []DialogID, message MessageID) []*Error {
	errs := make([]*Error, len(dialogs))
	var wg sync.WaitGroup
	for i, d := range dialogs {
		wg.Go(func() { errs[i] = c.Mark(req(nil, d, message)) })
	}
	wg.Wait()
	return errs
}

// req is a MarkRequest for dialog and message, as page JavaScript would
// pass them.
func req(abort *Stop, dialog DialogID, message MessageID) MarkRequest {
	return MarkRequest{Dialog: String(string(dialog)), Message: Number(float64(message)), Abort: abort}
}

func dialogs(n int) []DialogID {
	ds := make([]DialogID, n)
	for i := range ds {
		ds[i] = DialogID("chat" + strconv.Itoa(i+1))
	}
	return ds
}

type mark struct {
	dialog  DialogID
	message MessageID
}

// markTogether makes marks wait together: a first call holds the client's
// one request slot (MaxInFlight 1) until all of marks are queued behind it,
// so they leave in one request. p.script's answers come after the first's.
func markTogether(c *Client, p *fakePortal, marks ...mark) []*Error {
	release := make(chan struct{})
	p.script = append([]func() Response{func() Response { <-release; return answer(200, `{"result":true}`) }}, p.script...)
	go c.Mark(req(nil, "chat1", 1))
	synctest.Wait()
	errs := make([]*Error, len(marks))
	var wg sync.WaitGroup
	for i, m := range marks {
		wg.Go(func() { errs[i] = c.Mark(req(nil, m.dialog, m.message)) })
	}
	synctest.Wait()
	close(release)
	wg.Wait()
	return errs
}

func TestOneWaitingCallGoesAsAPlainRequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		c := newTestClient(t, p, Config{})
		require.Nil(t, c.Mark(req(nil, "chat29", 12)))
		require.Len(t, p.requests, 1)
		assert.Equal(t, "chat29", p.requests[0].Get("DIALOG_ID"))
		assert.Equal(t, "12", p.requests[0].Get("MESSAGE_ID"))
		assert.Equal(t, "good", p.requests[0].Get("auth"))
		assert.Equal(t, map[string]int64{"chat29": 12}, p.unread)
		s := c.Stats()
		assert.Equal(t, Stats{Requests: 1, Commands: 1, Settled: 1, Succeeded: 1}, s)
	})
}

func TestWaitingCallsGoAsOneBatch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		c := newTestClient(t, p, Config{MaxInFlight: 1})
		marks := make([]mark, 120)
		for i := range marks {
			marks[i] = mark{DialogID("sg" + strconv.Itoa(i+1)), 5}
		}
		for _, err := range markTogether(c, p, marks...) {
			assert.Nil(t, err)
		}
		assert.Len(t, p.unread, 120) // the first call got a scripted answer
		s := c.Stats()
		// the call that held the slot, then 120 waiting marks as 50 + 50 + 20
		assert.Equal(t, 4, s.Requests)
		assert.Equal(t, 3, s.Batches)
		assert.Equal(t, 121, s.Commands)
	})
}

func TestBatchMapsEachCommandErrorToItsCaller(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		c := newTestClient(t, p, Config{MaxInFlight: 1})
		// The portal refuses chat3 inside the batch.
		p.hook = func(form url.Values) (Response, bool) {
			results, failures := map[string]any{}, map[string]any{}
			for _, key := range []string{"c0", "c1", "c2"} {
				if strings.Contains(form.Get("cmd["+key+"]"), "chat3&") {
					failures[key] = map[string]any{"error": "ACCESS_ERROR", "error_description": "You do not have access to the specified dialog"}
				} else {
					results[key] = true
				}
			}
			return Response{Status: 200, JSON: map[string]any{"result": map[string]any{"result": results, "result_error": failures}}}, true
		}
		errs := markTogether(c, p, mark{"chat2", 7}, mark{"chat3", 7}, mark{"chat4", 7})
		assert.Nil(t, errs[0])
		require.NotNil(t, errs[1])
		assert.Equal(t, "ACCESS_ERROR", errs[1].Code)
		assert.Equal(t, "You do not have access to the specified dialog", errs[1].Description)
		assert.Equal(t, 1, errs[1].Attempts)
		assert.Nil(t, errs[2])
		require.Len(t, p.requests, 2)
		assert.Equal(t, "0", p.requests[1].Get("halt"))
		assert.ElementsMatch(t, []string{
			"im.dialog.unread?DIALOG_ID=chat2&MESSAGE_ID=7",
			"im.dialog.unread?DIALOG_ID=chat3&MESSAGE_ID=7",
			"im.dialog.unread?DIALOG_ID=chat4&MESSAGE_ID=7",
		}, []string{p.requests[1].Get("cmd[c0]"), p.requests[1].Get("cmd[c1]"), p.requests[1].Get("cmd[c2]")})
	})
}

func TestTwoWaitingMarksOfOneDialogBecomeOneCommandWithTheLowerID(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		c := newTestClient(t, p, Config{MaxInFlight: 1})
		errs := markTogether(c, p, mark{"chat29", 15}, mark{"chat29", 12}, mark{"sg7", 3})
		assert.Equal(t, []*Error{nil, nil, nil}, errs)
		require.Len(t, p.requests, 2)
		batch := p.requests[1]
		cmds := []string{batch.Get("cmd[c0]"), batch.Get("cmd[c1]")}
		assert.ElementsMatch(t, []string{"im.dialog.unread?DIALOG_ID=chat29&MESSAGE_ID=12", "im.dialog.unread?DIALOG_ID=sg7&MESSAGE_ID=3"}, cmds)
		assert.Empty(t, batch.Get("cmd[c2]"))
		assert.Equal(t, int64(12), p.unread["chat29"])
	})
}

func TestMergedCallersShareTheCommandsError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		c := newTestClient(t, p, Config{MaxInFlight: 1})
		p.script = []func() Response{func() Response {
			return answer(403, `{"error":"ACCESS_ERROR","error_description":"no access"}`)
		}}
		errs := markTogether(c, p, mark{"chat29", 15}, mark{"chat29", 12})
		for _, err := range errs {
			require.NotNil(t, err)
			assert.Equal(t, "ACCESS_ERROR", err.Code)
			assert.Equal(t, 403, err.Status)
		}
		require.Len(t, p.requests, 2)
		assert.Equal(t, "12", p.requests[1].Get("MESSAGE_ID"))
	})
}

func TestBatchingOffSendsOneRequestPerCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		c := newTestClient(t, p, Config{BatchSize: 1})
		errs := markAll(c, []DialogID{"chat1", "chat1", "chat2"}, 4)
		assert.Equal(t, []*Error{nil, nil, nil}, errs)
		assert.Len(t, p.requests, 3)
		assert.Equal(t, 0, c.Stats().Batches)
	})
}

func TestTheLimiterNeverTripsThePortal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		c := newTestClient(t, p, Config{BatchSize: 1})
		start := time.Now()
		errs := markAll(c, dialogs(110), 1)
		for _, err := range errs {
			require.Nil(t, err)
		}
		assert.Equal(t, 0, c.Stats().Status503)
		assert.Equal(t, 110, len(p.requests))
		// 50 at once, then 60 more at 2 per second.
		elapsed := time.Since(start)
		assert.GreaterOrEqual(t, elapsed, 29*time.Second)
		assert.Less(t, elapsed, 32*time.Second)
	})
}

func TestAFullPortalBucketFillsOursAndSendingGoesAtTheDrainRate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		p.level = 50 // another app spent the portal's bucket
		p.at = time.Now()
		c := newTestClient(t, p, Config{BatchSize: 1})
		start := time.Now()
		errs := markAll(c, dialogs(20), 1)
		for _, err := range errs {
			require.Nil(t, err)
		}
		s := c.Stats()
		assert.Equal(t, 20, s.Succeeded)
		// The first request went alone and met the full bucket; after its
		// answer the client drains at the portal's pace: 20 requests at 2/s.
		assert.Equal(t, 1, s.Status503)
		assert.Equal(t, 1, s.Retries)
		assert.InDelta(t, 10, time.Since(start).Seconds(), 0.6)
	})
}

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

func TestBeyondTheQueueBoundCallsFailAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		p.stall = true
		c := newTestClient(t, p, Config{QueueSize: 3, Timeout: time.Minute})
		for i := 0; i < 3; i++ {
			go c.Mark(req(nil, "chat1", 1))
		}
		synctest.Wait()
		err := c.Mark(req(nil, "chat2", 1))
		require.NotNil(t, err)
		assert.Equal(t, CodeQueueFull, err.Code)
		assert.Equal(t, 0, err.Attempts)
		s := c.Stats()
		assert.Equal(t, 3, s.Queued+s.InFlight)
		assert.Equal(t, 1, s.Failed)
	})
}

func TestAnAbortedQueuedCallIsNeverSent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		c := newTestClient(t, p, Config{BatchSize: 1, Burst: 1, Rate: 1})
		require.Nil(t, c.Mark(req(nil, "chat1", 1)))
		abort := NewStop()
		var err *Error
		done := make(chan struct{})
		go func() { err = c.Mark(req(abort, "chat2", 1)); close(done) }()
		synctest.Wait() // queued: the bucket holds it for a second
		abort.Fire(nil)
		<-done
		require.NotNil(t, err)
		assert.Equal(t, CodeAborted, err.Code)
		time.Sleep(5 * time.Second)
		assert.Len(t, p.requests, 1)
		assert.Equal(t, Stats{Requests: 1, Commands: 1, Settled: 2, Succeeded: 1, Failed: 1}, c.Stats())
	})
}

func TestAnAbortsReasonIsGivenAsIs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		p.stall = true
		c := newTestClient(t, p, Config{})
		abort := NewStop()
		abort.Fire(&Error{Code: CodeAborted, Description: "the page's AbortSignal fired: user left"})
		err := c.Mark(req(abort, "chat1", 1))
		require.NotNil(t, err)
		assert.Equal(t, "the page's AbortSignal fired: user left", err.Description)
	})
}

func TestACallThatOutlivesItsTimeoutSaysSo(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		p.stall = true
		c := newTestClient(t, p, Config{Timeout: 3 * time.Second})
		start := time.Now()
		err := c.Mark(req(nil, "chat1", 1))
		require.NotNil(t, err)
		assert.Equal(t, CodeTimeout, err.Code)
		assert.Equal(t, 3*time.Second, time.Since(start))
		assert.Contains(t, err.Description, "3s")
	})
}

func TestEveryCallSettlesExactlyOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		p.netFails = 2
		var mu sync.Mutex
		seen := map[DialogID]int{}
		c := newTestClient(t, p, Config{Timeout: 2 * time.Second, OnSettle: func(pr Progress) {
			mu.Lock()
			seen[pr.Dialog]++
			mu.Unlock()
		}})
		ds := dialogs(200)
		abort := NewStop()
		var wg sync.WaitGroup
		for i, d := range ds {
			var callAbort *Stop
			if i%3 == 0 {
				callAbort = abort
			}
			wg.Go(func() { c.Mark(req(callAbort, d, 1)) })
		}
		time.Sleep(10 * time.Millisecond)
		abort.Fire(nil)
		wg.Wait()
		synctest.Wait()
		for _, d := range ds {
			assert.Equal(t, 1, seen[d], d)
		}
		s := c.Stats()
		assert.Equal(t, 200, s.Settled)
		assert.Equal(t, 0, s.Queued)
		assert.Equal(t, 0, s.InFlight)
	})
}

func TestCloseSettlesWaitingCalls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		p.stall = true
		c := New(Config{Transport: p, Auth: &fakeAuth{tokens: []string{"good"}}})
		var err *Error
		done := make(chan struct{})
		go func() { err = c.Mark(req(nil, "chat1", 1)); close(done) }()
		synctest.Wait()
		c.Close()
		<-done
		require.NotNil(t, err)
		assert.Equal(t, CodeClosed, err.Code)
		assert.Equal(t, CodeClosed, c.Mark(req(nil, "chat1", 1)).Code)
	})
}

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

func TestAPortalThatStaysFullEndsTheCallAtItsTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		p.hook = func(url.Values) (Response, bool) {
			return answer(503, `{"error":"QUERY_LIMIT_EXCEEDED","error_description":"Too many requests"}`), true
		}
		c := newTestClient(t, p, Config{Timeout: 10 * time.Second})
		err := c.Mark(req(nil, "chat1", 1))
		require.NotNil(t, err)
		assert.Equal(t, CodeTimeout, err.Code)
		// Never faster than one request per drain step of the filled bucket;
		// a bucket that stays full says others take all of it, and the client
		// backs off further, to its least room, but keeps asking.
		assert.LessOrEqual(t, len(p.requests), 21)
		assert.GreaterOrEqual(t, len(p.requests), 2)
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

func TestCallsArrivingOneByOneGatherBehindARequestWithRoomToSpare(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		c := newTestClient(t, p, Config{})
		// As page code calling markUnread in a loop: the client sees each
		// call before the next arrives.
		var wg sync.WaitGroup
		errs := make([]*Error, 80)
		for i, d := range dialogs(80) {
			wg.Go(func() { errs[i] = c.Mark(req(nil, d, 1)) })
			synctest.Wait()
		}
		wg.Wait()
		for _, err := range errs {
			assert.Nil(t, err)
		}
		// The first call goes at once; the other 79 wait for it and go as a
		// full batch of 50 and one of 29.
		s := c.Stats()
		assert.Equal(t, 3, s.Requests)
		assert.Equal(t, 80, s.Commands)
		assert.Len(t, p.unread, 80)
	})
}
