package unread

import (
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runJob runs MarkMany and waits for every mark's outcome.
func runJob(c *Client, marks []MarkRequest, abort *Stop) []*Error {
	out := make([]*Error, len(marks))
	seen := make([]int, len(marks))
	<-c.MarkMany(marks, abort, func(i int, err *Error) {
		out[i] = err // each index is told once, from one goroutine
		seen[i]++
	})
	for i, n := range seen {
		if n != 1 {
			panic("mark " + strconv.Itoa(i) + " settled " + strconv.Itoa(n) + " times")
		}
	}
	return out
}

func bulkMarks(n int) []MarkRequest {
	marks := make([]MarkRequest, n)
	for i := range marks {
		marks[i] = MarkRequest{Dialog: String("chat" + strconv.Itoa(i+1)), Message: Number(float64(i + 1))}
	}
	return marks
}

func TestABulkJobGivesEachMarkItsOwnOutcome(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		c := newTestClient(t, p, Config{})
		marks := bulkMarks(1000)
		marks[10].Dialog = String("nonsense")
		marks[20].Message = Number(-1)
		errs := runJob(c, marks, nil)
		for i, err := range errs {
			switch i {
			case 10:
				require.NotNil(t, err)
				assert.Equal(t, CodeDialogID, err.Code)
			case 20:
				require.NotNil(t, err)
				assert.Equal(t, CodeMessageID, err.Code)
			default:
				assert.Nil(t, err, "mark %d", i)
			}
		}
		s := c.Stats()
		assert.Equal(t, 1000, s.Settled)
		assert.Equal(t, 998, s.Succeeded)
		assert.Len(t, p.unread, 998)
		assert.LessOrEqual(t, s.Requests, 21, "the job went in full batches after the first request")
	})
}

func TestAnAbortedBulkJobSettlesWhatIsLeft(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		p.level, p.at = 50, time.Now() // a full bucket: the job goes at 2 requests a second
		c := newTestClient(t, p, Config{})
		abort := NewStop()
		time.AfterFunc(3*time.Second, func() { abort.Fire(nil) })
		errs := runJob(c, bulkMarks(5000), abort)
		var ok, abortedN int
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case err.Code == CodeAborted:
				abortedN++
			default:
				t.Fatalf("unexpected %v", err)
			}
		}
		assert.Positive(t, ok)
		assert.Positive(t, abortedN)
		assert.Equal(t, 5000, ok+abortedN)
		s := c.Stats()
		assert.Zero(t, s.Queued)
		assert.Equal(t, 5000, s.Settled)
	})
}

func TestABulkJobThatOutlivesItsTimeoutSaysSo(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		p.stall = true
		c := newTestClient(t, p, Config{Timeout: 5 * time.Second})
		for _, err := range runJob(c, bulkMarks(120), nil) {
			require.NotNil(t, err)
			assert.Equal(t, CodeTimeout, err.Code)
		}
	})
}

// An abort while requests are under way: the pairs they carry settle with
// the portal's answer (it marked them), only the pairs not yet sent fail
// with ABORTED, and nothing goes after the abort.
func TestAnAbortedBulkJobTellsWhatThePortalMarked(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		p.latency = 300 * time.Millisecond
		c := newTestClient(t, p, Config{Rate: 2, Burst: 50})
		abort := NewStop()
		// The ramp's first round (two requests) is answered at 300 ms and
		// its second (four) leaves then: they are under way at 450 ms.
		time.AfterFunc(450*time.Millisecond, func() { abort.Fire(nil) })
		errs := runJob(c, bulkMarks(2000), abort)
		time.Sleep(time.Second) // any request still under way has been answered
		var ok int
		for i, err := range errs {
			_, marked := p.unread["chat"+strconv.Itoa(i+1)]
			if marked {
				assert.Nil(t, err, "pair %d was marked by the portal", i)
				ok++
				continue
			}
			require.NotNil(t, err, "pair %d", i)
			assert.Equal(t, CodeAborted, err.Code, "pair %d", i)
			assert.Zero(t, err.Attempts, "pair %d was never sent", i)
		}
		assert.Equal(t, 300, ok, "the first round's pairs and the four under way at the abort")
		assert.Len(t, p.requests, 6, "nothing left after the abort")
	})
}

// A pair under way at the abort whose answer says "again" (a full bucket)
// does not go again: it settles with ABORTED after its one attempt.
func TestAnAbortedBulkJobSendsNothingAgain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		p.level, p.at = 50, time.Now()
		p.latency = 300 * time.Millisecond
		c := newTestClient(t, p, Config{Rate: 2, Burst: 50})
		abort := NewStop()
		time.AfterFunc(100*time.Millisecond, func() { abort.Fire(nil) })
		errs := runJob(c, bulkMarks(100), abort)
		time.Sleep(time.Second)
		for i, err := range errs {
			require.NotNil(t, err, "pair %d", i)
			assert.Equal(t, CodeAborted, err.Code, "pair %d", i)
			assert.Equal(t, 1, err.Attempts, "pair %d went in the first round", i)
		}
		assert.Len(t, p.requests, 2, "the first round, refused; nothing after the abort")
		assert.Empty(t, p.unread)
	})
}
