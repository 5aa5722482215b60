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

// How waiting calls leave: alone, or together in one batch, each command's outcome
// mapped back to its own callers.

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
