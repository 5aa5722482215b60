//go:build js && wasm

package browser

import (
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/markunread/markunread/wasm/internal/time"
	"github.com/markunread/markunread/wasm/unread"
)

// These tests pin, one each, the portal facts of docs/bitrix24.md that the
// module relies on, against the emulator answering as the real portal does.
// Each fails if the module breaks its fact. Two of them wait for the
// portal's operating-time limit to lift (about 70 s and 30 s).

// TestACallMadeWhileTheMethodIsBlockedSucceedsWhenItReopens: the portal
// blocks im.dialog.unread for 65 s and, as on a real portal, the 429 says
// nothing of when it lifts (docs/bitrix24.md#f-otl-429-no-time), and no
// successful answer came before it to give an operating_reset_at
// (docs/bitrix24.md#f-otl-reset-at). The call waits, probing with a
// doubling pause (10 s, 20 s, 40 s), and succeeds when the method reopens,
// within the default timeout of 120 s: waiting for the portal's limits
// spends no attempt.
func TestACallMadeWhileTheMethodIsBlockedSucceedsWhenItReopens(t *testing.T) {
	if testing.Short() {
		t.Skip("waits 70 s for the portal's block to lift")
	}
	p := portalFromEnv(t)
	p.reset(t, `{"blockMs":{"im.dialog.unread":65000}}`)
	defer p.reset(t, `{}`)
	c := newClient(p, unread.Config{}) // the defaults: timeoutMs 120000, maxAttempts 6
	defer c.Close()

	start := time.Now()
	err := c.Mark(markRequest("chat29", 12))
	took := time.Since(start)

	require.Nil(t, err, "the call failed after %s", took.Round(time.Millisecond))
	assert.GreaterOrEqual(t, took, 65*time.Second, "the call succeeded while the method was blocked")
	assert.Less(t, took, 120*time.Second)
	s := p.state(t)
	assert.Equal(t, 12.0, s.unread["chat29"])
	// The first request, then probes 10, 30 and 70 s after it: the last
	// one passes.
	assert.Equal(t, 4, s.stat("requests"), "requests the portal saw")
	assert.Equal(t, 3, s.stat("status429"))
	t.Logf("blocked for 65 s: the call succeeded after %s and %d requests", took.Round(time.Millisecond), s.stat("requests"))
}

// TestOneBlockedCommandInABatchLeavesTheOthersAndLaterCallsAlone: a batch
// of 8 marks in which the method's budget runs out after the 7th command.
// The portal answers the batch 200, the 8th command with
// OPERATION_TIME_LIMIT in result_error, the 7 others with true
// (docs/bitrix24.md#f-otl-batch-cmd); batch itself is never blocked
// (docs/bitrix24.md#f-otl-batch-exempt). The emulator makes this happen the
// way the real portal would: each command costs 1 s of a 6.5 s budget, in a
// 30 s window (3 s baskets), so the method stays blocked for 27 to 30 s.
//
// What a caller sees: the 7 resolve true at once; the 8th, held by the
// module alone, probes after 10 s (still blocked) and 20 s more (open) and
// resolves true about 30 s later; a later pair of calls goes at once, in one
// batch, as before: the module did not fall back to single requests.
func TestOneBlockedCommandInABatchLeavesTheOthersAndLaterCallsAlone(t *testing.T) {
	if testing.Short() {
		t.Skip("waits 30 s for the portal's block to lift")
	}
	p := portalFromEnv(t)
	p.reset(t, `{}`)
	defer p.reset(t, `{}`)
	// A bucket of one request a second that the client fills with one
	// request: after the first call, the next request waits about a second,
	// long enough for 8 calls made together to queue and leave as one batch.
	c := newClient(p, unread.Config{Rate: 1, Burst: 2})
	defer c.Close()
	// The first call ends the slow start (one request alone until the portal
	// has answered once).
	require.Nil(t, c.Mark(markRequest("chat100", 1)))
	p.reset(t, `{"commandCostMs":1000,"operatingBudgetMs":6500,"operatingWindowMs":30000}`)

	var dialogs []unread.DialogID
	for i := range 8 {
		dialogs = append(dialogs, unread.DialogID("chat"+strconv.Itoa(i+1)))
	}
	results := marksTogether(c, dialogs...)
	var prompt, late []timedMark
	for _, r := range results {
		require.Nil(t, r.err, "%s failed after %s", r.dialog, r.took)
		if r.took < 5*time.Second {
			prompt = append(prompt, r)
		} else {
			late = append(late, r)
		}
	}
	require.Len(t, prompt, 7, "calls that resolved at once")
	require.Len(t, late, 1, "calls held by the block")
	assert.GreaterOrEqual(t, late[0].took, 27*time.Second, "the held call succeeded before the block could lift")
	assert.Less(t, late[0].took, 45*time.Second, "the held call waited past its second probe")
	s := p.state(t)
	assert.Equal(t, 1, s.stat("batches"), "the 8 went in one batch")
	// The batch, a probe 10 s after (429), another 20 s after that.
	assert.Equal(t, 3, s.stat("requests"), "requests the portal saw")
	assert.Equal(t, 1, s.stat("status429"), "single requests answered 429")
	for _, d := range dialogs {
		assert.Equal(t, 12.0, s.unread[string(d)], "%s recorded", d)
	}
	t.Logf("7 resolved within %s; the 8th (%s) after %s", maxTook(prompt).Round(time.Millisecond), late[0].dialog, late[0].took.Round(time.Millisecond))

	later := marksTogether(c, "chat9", "chat10")
	for _, r := range later {
		require.Nil(t, r.err, "a later call, %s", r.dialog)
		assert.Less(t, r.took, 5*time.Second, "a later call, %s, was held", r.dialog)
	}
	s = p.state(t)
	assert.Equal(t, 4, s.stat("requests"), "the later pair went in one request")
	assert.Equal(t, 2, s.stat("batches"), "the later pair went as a batch")
	t.Logf("a later pair resolved within %s, in one batch", maxTook(later).Round(time.Millisecond))
}

// timedMark is how one call made by marksTogether ended, and when.
type timedMark struct {
	dialog unread.DialogID
	err    *unread.Error
	took   time.Duration
}

// marksTogether marks each dialog from 12, all at once, and waits for all.
func marksTogether(c *unread.Client, dialogs ...unread.DialogID) []timedMark {
	out := make([]timedMark, len(dialogs))
	start := time.Now()
	var wg sync.WaitGroup
	for i, d := range dialogs {
		wg.Go(func() {
			err := c.Mark(markRequest(d, 12))
			out[i] = timedMark{d, err, time.Since(start)}
		})
	}
	wg.Wait()
	return out
}

func maxTook(rs []timedMark) time.Duration {
	var m time.Duration
	for _, r := range rs {
		m = max(m, r.took)
	}
	return m
}

// TestArgumentsAreCheckedInThePortalsOrderWithoutARequest: the portal checks
// MESSAGE_ID before DIALOG_ID and reads "0" as empty
// (docs/bitrix24.md#f-unread-order, #f-unread-dialog-id). The module refuses
// the same pairs with the same codes, and sends nothing; the emulator,
// asked directly afterwards, gives those codes.
func TestArgumentsAreCheckedInThePortalsOrderWithoutARequest(t *testing.T) {
	p := portalFromEnv(t)
	p.reset(t, `{}`)
	m := serveModule(t, p, p.token, nil)
	defer m.api.Call("close")

	for _, tc := range []struct {
		dialog, message any
		code            string
		form            string
	}{
		{"", 0, unread.CodeMessageID, "DIALOG_ID=&MESSAGE_ID=0"},
		{"0", 12, unread.CodeDialogID, "DIALOG_ID=0&MESSAGE_ID=12"},
		{0, 12, unread.CodeDialogID, "DIALOG_ID=0&MESSAGE_ID=12"},
	} {
		o := m.mark(t, tc.dialog, tc.message)
		assert.False(t, o.ok, "markUnread(%#v, %#v) resolved", tc.dialog, tc.message)
		assert.Equal(t, tc.code, o.code, "markUnread(%#v, %#v): %s", tc.dialog, tc.message, o.description)
	}
	assert.Equal(t, 0, p.state(t).stat("requests"), "requests the portal saw")
	assert.Equal(t, 0, m.stats()["requests"])

	// The portal gives the same codes for the same pairs.
	for _, tc := range []struct{ form, code string }{
		{"DIALOG_ID=&MESSAGE_ID=0", unread.CodeMessageID},
		{"DIALOG_ID=0&MESSAGE_ID=12", unread.CodeDialogID},
	} {
		r, err := p.http.Post(nil, p.url+"/rest/im.dialog.unread", tc.form+"&auth="+p.token)
		require.NoError(t, err)
		assert.Equal(t, 400, r.Status, tc.form)
		assert.Equal(t, tc.code, r.JSON.(map[string]any)["error"], tc.form)
	}
}
