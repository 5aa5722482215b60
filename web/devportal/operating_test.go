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

func TestOperatingLimitReaches429WithResetTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Config{Burst: 1000, CommandCost: 10 * time.Second})
		start := time.Now()
		// 49 commands, 1 s apart: the sum reaches 490 s (> 480 s) only with the 49th.
		for i := range 49 {
			m := requireOK(t, f.mark("chat1", "1"))
			assert.InDelta(t, float64(10*(i+1)), m["time"].(map[string]any)["operating"], 1e-6)
			time.Sleep(time.Second)
		}
		w := f.mark("chat1", "1")
		requireError(t, w, http.StatusTooManyRequests, "OPERATION_TIME_LIMIT", "Method is blocked due to operation time limit.")
		tb := decode(t, w)["time"].(map[string]any)
		assert.InDelta(t, 490, tb["operating"], 1e-6)
		// Dropping the first entry (at start) brings 490 down to 480: reset at start+600 s.
		want := start.Add(10 * time.Minute).Unix()
		assert.Equal(t, float64(want), tb["operating_reset_at"])
		assert.Equal(t, 1, f.p.Stats().Status429)

		// Still blocked in a batch, as a per-command error.
		r := batchResultOf(t, requireOK(t, f.form("batch", url.Values{"auth": {f.token}, "cmd[a]": {"im.dialog.unread?DIALOG_ID=chat2&MESSAGE_ID=1"}})))
		assert.Equal(t, "OPERATION_TIME_LIMIT", r["result_error"].(map[string]any)["a"].(map[string]any)["error"])
		assert.NotContains(t, f.p.Unread(), "chat2")

		time.Sleep(time.Until(time.Unix(want, 0)))
		requireOK(t, f.mark("chat1", "1"))
	})
}

func TestOperatingLimitIsPerMethod(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Config{CommandCost: time.Minute, OperatingBudget: time.Minute})
		requireOK(t, f.mark("chat1", "1"))
		requireOK(t, f.mark("chat1", "1"))
		require.Equal(t, http.StatusTooManyRequests, f.mark("chat1", "1").Code)
		// another method is not blocked by im.dialog.unread's sum
		requireError(t, f.form("im.other", url.Values{"auth": {f.token}}), http.StatusNotFound, "ERROR_METHOD_NOT_FOUND", "Method not found!")
	})
}

func TestOperatingTimeWithoutCommandCostIsMeasured(t *testing.T) {
	f := newFixture(t, Config{})
	m := requireOK(t, f.mark("chat1", "1"))
	op := m["time"].(map[string]any)["operating"].(float64)
	assert.GreaterOrEqual(t, op, 0.0)
	assert.Less(t, op, 1.0)
}
