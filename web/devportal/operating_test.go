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

func timeOf(t *testing.T, m map[string]any) map[string]any {
	t.Helper()
	requireTimeBlock(t, m["time"])
	return m["time"].(map[string]any)
}

// docs/bitrix24.md#f-otl-limit, #f-otl-429-no-time, #f-otl-reset-at, #f-otl-batch-cmd
func TestOperatingLimitReaches429AndReopensAtTheLastResetAt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Config{Burst: 1000, CommandCost: 10 * time.Second})
		start := time.Now()
		var lastReset float64
		// 49 calls, 1 s apart, all in the first minute basket: 490 s > 480 s after the 49th.
		for i := range 49 {
			tb := timeOf(t, requireOK(t, f.mark("chat1", "1")))
			assert.InDelta(t, float64(10*(i+1)), tb["operating"], 1e-6)
			lastReset = tb["operating_reset_at"].(float64)
			assert.Equal(t, float64(start.Add(10*time.Minute).Unix()), lastReset, "the basket's first call + 600 s")
			time.Sleep(time.Second)
		}
		requireError(t, f.mark("chat1", "1"), http.StatusTooManyRequests, "OPERATION_TIME_LIMIT", "Method is blocked due to operation time limit.")
		assert.Equal(t, 1, f.p.Stats().Status429)

		// In a batch: the blocked method's command fails on its own, HTTP 200; another
		// method's command runs.
		w := f.form("batch", url.Values{"auth": {f.token}, "cmd[a]": {"im.dialog.unread?DIALOG_ID=chat2&MESSAGE_ID=1"}, "cmd[b]": {"app.info"}})
		r := batchResultOf(t, requireOK(t, w))
		assert.Equal(t, map[string]any{"error": "OPERATION_TIME_LIMIT", "error_description": "Method is blocked due to operation time limit."}, r["result_error"].(map[string]any)["a"])
		assert.Contains(t, r["result"], "b")
		assert.NotContains(t, r["result_time"], "a")
		assert.NotContains(t, f.p.Unread(), "chat2")

		time.Sleep(time.Until(time.Unix(int64(lastReset), 0)))
		requireOK(t, f.mark("chat1", "1"))
	})
}

// docs/bitrix24.md#f-otl-reset-at: with no budget used, operating_reset_at is the request's
// start + 600 s; operating is 0.
func TestResetAtIsPresentWithoutUsedBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Config{})
		time.Sleep(1500 * time.Millisecond)
		start := time.Now()
		tb := timeOf(t, requireOK(t, f.mark("chat1", "1")))
		assert.Equal(t, float64(0), tb["operating"])
		assert.Equal(t, float64(start.Add(10*time.Minute).Unix()), tb["operating_reset_at"])
	})
}

// docs/bitrix24.md#f-otl-baskets: a call of 0.1 s or less is not counted.
func TestCallsOfAtMostATenthOfASecondAreNotCounted(t *testing.T) {
	for _, c := range []struct {
		cost time.Duration
		want float64
	}{{0, 0}, {100 * time.Millisecond, 0}, {101 * time.Millisecond, 0.101}, {2 * time.Second, 2}} {
		f := newFixture(t, Config{CommandCost: c.cost})
		tb := timeOf(t, requireOK(t, f.mark("chat1", "1")))
		assert.InDelta(t, c.want, tb["operating"], 1e-9, "cost %v", c.cost)
	}
}

// docs/bitrix24.md#f-otl-baskets, #f-otl-reset-at: a basket stops counting when its
// wall-clock minute + 10 begins, which may come before the operating_reset_at it gave.
func TestBasketDropsAtItsMinuteNoLaterThanItsResetAt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Config{})
		t0 := time.Now() // synctest's clock starts on a minute boundary
		time.Sleep(30 * time.Second)
		f.p.Reset(Config{CommandCost: 300 * time.Second})
		requireOK(t, f.mark("chat1", "1")) // basket 0: 300 s, reset at t0+630
		time.Sleep(60 * time.Second)
		f.p.mu.Lock()
		f.p.cfg.CommandCost = 200 * time.Second
		f.p.mu.Unlock()
		tb := timeOf(t, requireOK(t, f.mark("chat1", "1"))) // basket 1: 200 s
		assert.InDelta(t, 500, tb["operating"], 1e-6)
		assert.Equal(t, float64(t0.Add(630*time.Second).Unix()), tb["operating_reset_at"], "the oldest basket's reset")

		time.Sleep(time.Until(t0.Add(600*time.Second - time.Millisecond)))
		require.Equal(t, http.StatusTooManyRequests, f.mark("chat1", "1").Code, "basket 0 still counts in minute 9")
		time.Sleep(time.Millisecond)
		tb = timeOf(t, requireOK(t, f.mark("chat1", "1")))
		assert.InDelta(t, 400, tb["operating"], 1e-6, "basket 0 gone at minute 10; basket 1 plus this call")
	})
}

// docs/bitrix24.md#f-otl-per-method
func TestOperatingLimitIsPerMethod(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Config{CommandCost: time.Minute, OperatingBudget: time.Minute})
		requireOK(t, f.mark("chat1", "1"))
		requireOK(t, f.mark("chat1", "1"))
		requireError(t, f.mark("chat1", "1"), http.StatusTooManyRequests, "OPERATION_TIME_LIMIT", "Method is blocked due to operation time limit.")
		tb := timeOf(t, requireOK(t, f.form("app.info", url.Values{"auth": {f.token}})))
		assert.InDelta(t, 60, tb["operating"], 1e-6, "app.info's own budget")
	})
}

// docs/bitrix24.md#f-otl-limit: the check comes before each call, so in a batch the command
// that crosses the budget runs and the same method's later commands are refused.
func TestBatchCommandsAfterTheCrossingAreRefused(t *testing.T) {
	f := newFixture(t, Config{CommandCost: 10 * time.Second, OperatingBudget: 25 * time.Second})
	v := url.Values{"auth": {f.token}}
	for _, k := range []string{"a", "b", "c", "d"} {
		v.Set("cmd["+k+"]", "im.dialog.unread?DIALOG_ID=chat1&MESSAGE_ID=1")
	}
	r := batchResultOf(t, requireOK(t, f.form("batch", v)))
	assert.Equal(t, map[string]any{"a": true, "b": true, "c": true}, r["result"])
	assert.Equal(t, []string{"d"}, keys(r["result_error"]))
	rt := r["result_time"].(map[string]any)
	for k, want := range map[string]float64{"a": 10, "b": 20, "c": 30} {
		assert.InDelta(t, want, rt[k].(map[string]any)["operating"], 1e-6, k)
	}
}

// docs/bitrix24.md#f-otl-batch-exempt: batch is never booked; the envelope shows operating
// 0 and the request's start + 600 s, whatever its commands cost.
func TestBatchEnvelopeHasItsOwnUnbookedTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Config{CommandCost: 100 * time.Second, OperatingBudget: 150 * time.Second})
		start := time.Now()
		for i := range 3 {
			m := requireOK(t, f.form("batch", url.Values{"auth": {f.token}, "cmd[a]": {"app.info"}}))
			tb := timeOf(t, m)
			assert.Equal(t, float64(0), tb["operating"])
			assert.Equal(t, float64(start.Add(10*time.Minute).Unix()), tb["operating_reset_at"])
			if i == 2 { // app.info is past its 150 s by now; the batch is not
				assert.Equal(t, []string{"a"}, keys(batchResultOf(t, m)["result_error"]))
			}
		}
		assert.Equal(t, 3, f.p.Stats().Batches)
	})
}

// docs/bitrix24.md#f-otl-cloud-only
func TestSelfHostedPortalHasNoOperatingTime(t *testing.T) {
	f := newFixture(t, Config{SelfHosted: true, CommandCost: time.Hour, OperatingBudget: time.Second})
	for range 3 {
		m := decode(t, f.mark("chat1", "1"))
		tb := m["time"].(map[string]any)
		assert.NotContains(t, tb, "operating")
		assert.NotContains(t, tb, "operating_reset_at")
		for _, k := range []string{"start", "finish", "duration", "processing", "date_start", "date_finish"} {
			assert.Contains(t, tb, k)
		}
	}
	assert.Zero(t, f.p.Stats().Status429)
}

// Config.Blocks / -block: the method answers 429 for the given time, alone or as batch
// commands, and reopens after it; other methods are not affected.
func TestBlockedMethodAnswers429UntilTheBlockEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Config{Blocks: map[string]time.Duration{"IM.Dialog.Unread": 65 * time.Second}})
		start := time.Now()
		requireError(t, f.mark("chat1", "1"), http.StatusTooManyRequests, "OPERATION_TIME_LIMIT", "Method is blocked due to operation time limit.")
		v := url.Values{"auth": {f.token}, "cmd[info]": {"app.info"}}
		for i := range 8 {
			v.Set("cmd[m"+string(rune('0'+i))+"]", "im.dialog.unread?DIALOG_ID=chat1&MESSAGE_ID=1")
		}
		r := batchResultOf(t, requireOK(t, f.form("batch", v)))
		assert.Len(t, r["result_error"], 8)
		assert.Equal(t, []string{"info"}, keys(r["result"]))

		time.Sleep(time.Until(start.Add(65*time.Second - time.Millisecond)))
		require.Equal(t, http.StatusTooManyRequests, f.mark("chat1", "1").Code)
		time.Sleep(time.Millisecond)
		requireOK(t, f.mark("chat1", "1"))
		assert.Equal(t, map[string]int64{"chat1": 1}, f.p.Unread())
	})
}

// A blocked batch (a test aid only: a real portal never blocks batch) answers 429 and runs
// nothing.
func TestBlockedBatchAnswers429(t *testing.T) {
	f := newFixture(t, Config{})
	f.p.Block("batch", time.Minute)
	w := f.form("batch", url.Values{"auth": {f.token}, "cmd[a]": {"im.dialog.unread?DIALOG_ID=chat1&MESSAGE_ID=1"}})
	requireError(t, w, http.StatusTooManyRequests, "OPERATION_TIME_LIMIT", "Method is blocked due to operation time limit.")
	assert.Empty(t, f.p.Unread())
	requireOK(t, f.mark("chat1", "1"))
}

func keys(v any) []string {
	var out []string
	if m, ok := v.(map[string]any); ok {
		for k := range m {
			out = append(out, k)
		}
	}
	return out
}
