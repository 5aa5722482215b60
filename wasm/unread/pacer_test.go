package unread

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Unix(1_700_000_000, 0)

func at(d time.Duration) time.Time { return t0.Add(d) }

// knownPacer is a pacer on the standard plan whose first request has been
// answered and whose ramp is over (as if a burst had passed), so the
// bucket's level is known.
func knownPacer() *Pacer {
	p := NewPacer(StandardPlan, 16, 50, 100*time.Millisecond)
	p.Sent(t0, 1)
	p.Ended(1, true)
	p.ramping = false
	return p
}

func TestPacerLetsTheFirstRoundOfTwoGoAndWaitsForItsAnswer(t *testing.T) {
	p := NewPacer(StandardPlan, 16, 50, 100*time.Millisecond)
	for range 2 {
		size, wait, why := p.Next(t0, 500, t0)
		require.Equal(t, 50, size)
		assert.Zero(t, wait)
		assert.Equal(t, NotWaiting, why)
		p.Sent(t0, 50)
	}

	size, wait, why := p.Next(at(10*time.Millisecond), 400, t0)
	assert.Zero(t, size, "the rest wait for the first round's answers")
	assert.Equal(t, WaitProbe, why)
	assert.Equal(t, SlowStartWait-10*time.Millisecond, wait)

	p.Ended(50, true)
	size, _, _ = p.Next(at(20*time.Millisecond), 400, t0)
	assert.Zero(t, size, "a round waits for all of itself")
	p.Ended(50, true)
	size, _, _ = p.Next(at(20*time.Millisecond), 400, t0)
	assert.Equal(t, 50, size, "after the round's answers, the next round goes")
}

func TestPacerLetsOneRequestAtATimeWaitOnTheSharedBudget(t *testing.T) {
	p := knownPacer()
	p.shared = true
	size, _, _ := p.Next(t0, 500, t0)
	require.Equal(t, 50, size)
	p.Sent(t0, 50)
	size, _, why := p.Next(t0, 450, t0)
	assert.Zero(t, size, "the next waits while the one before waits on the shared budget")
	assert.Equal(t, WaitShared, why)
	p.Granted()
	size, _, _ = p.Next(t0, 450, t0)
	assert.Equal(t, 50, size, "granted: the next may go to the budget, though the first is still under way")
	p.Sent(t0, 50)
	p.Granted()
	p.Granted() // a turn passed twice counts once
	p.Sent(t0, 50)
	_, _, why = p.Next(t0, 350, t0)
	assert.Equal(t, WaitShared, why)
}

func TestPacerStopsWaitingForASlowFirstAnswer(t *testing.T) {
	p := NewPacer(StandardPlan, 16, 50, 100*time.Millisecond)
	p.Sent(t0, 50)
	size, _, _ := p.Next(at(SlowStartWait), 450, t0)
	assert.Equal(t, 50, size)
}

func TestPacerSendsAloneAgainAfterAFirstRequestGotNoAnswer(t *testing.T) {
	p := NewPacer(StandardPlan, 16, 50, 100*time.Millisecond)
	p.Sent(t0, 1)
	p.Ended(1, false) // a failed fetch: the bucket is still unknown
	p.Sent(at(time.Second), 1)
	_, _, why := p.Next(at(time.Second+time.Millisecond), 10, t0)
	assert.Equal(t, WaitProbe, why)
}

func TestPacerGathersCallsBehindAPartFilledRequestForAtMostTheLinger(t *testing.T) {
	p := knownPacer()
	p.Sent(at(time.Second), 3) // part-filled, under way
	arrived := at(time.Second + 10*time.Millisecond)

	size, wait, why := p.Next(arrived, 2, arrived)
	assert.Zero(t, size)
	assert.Equal(t, WaitGather, why)
	assert.Equal(t, 100*time.Millisecond, wait)

	size, _, _ = p.Next(arrived.Add(100*time.Millisecond), 2, arrived)
	assert.Equal(t, 50, size, "the request under way stalled: the calls go after the linger")

	size, _, _ = p.Next(arrived, 50, arrived)
	assert.Equal(t, 50, size, "a full request's worth never waits")
}

func TestPacerBoundsRequestsUnderWay(t *testing.T) {
	p := NewPacer(Plan{Rate: 100, Burst: 1000}, 2, 50, 100*time.Millisecond)
	p.Sent(t0, 50)
	p.Ended(50, true)
	p.Sent(t0, 50)
	p.Sent(t0, 50)
	size, wait, why := p.Next(t0, 500, t0)
	assert.Zero(t, size)
	assert.Zero(t, wait, "woken when a request ends")
	assert.Equal(t, WaitFlight, why)
}

func TestPacerKeepsTheBucketsHeadroomAndDrainsAtThePlansRate(t *testing.T) {
	p := knownPacer()
	for i := 1; i < capacity(StandardPlan); i++ {
		size, _, _ := p.Next(t0, 50, t0)
		require.Equal(t, 50, size, "request %d", i)
		p.Sent(t0, 50)
		p.Ended(50, true)
	}
	size, wait, why := p.Next(t0, 50, t0)
	assert.Zero(t, size)
	assert.Equal(t, WaitBucket, why)
	assert.Equal(t, 501*time.Millisecond, wait)
}

func TestPacerAfterAFullBucketGoesAtTheDrainRate(t *testing.T) {
	p := knownPacer()
	p.Full(at(time.Second))
	_, wait, why := p.Next(at(time.Second), 50, t0)
	assert.Equal(t, WaitBucket, why)
	assert.Equal(t, 501*time.Millisecond, wait)
}

func TestPacerSpacesRequestsNearAMethodsOperatingBudget(t *testing.T) {
	p := knownPacer()
	p.Observe(t0, method, timing{operating: 400, resetAt: 2000, finish: 1000})
	size, wait, why := p.Next(t0, 1, t0)
	assert.Zero(t, size)
	assert.Equal(t, WaitSpacing, why)
	assert.Equal(t, operatingSpacing, wait)
	size, _, _ = p.Next(at(operatingSpacing), 1, t0)
	assert.Equal(t, 50, size)
}

func TestPacerHoldsABlockedMethodUntilItsLastKnownReset(t *testing.T) {
	p := knownPacer()
	// A successful answer said the oldest use leaves the window in 65 s.
	p.Observe(t0, method, timing{operating: 479, resetAt: 1065, finish: 1000})
	var pause time.Duration
	assert.Equal(t, at(65*time.Second), p.Reopens(at(time.Second), method, &pause))
	assert.Zero(t, pause, "a known reset is not a probe")
}

func TestPacerProbesABlockedMethodWithADoublingPauseWhenNoResetIsKnown(t *testing.T) {
	p := knownPacer()
	var pause time.Duration
	assert.Equal(t, at(10*time.Second), p.Reopens(t0, method, &pause))
	assert.Equal(t, at(20*time.Second), p.Reopens(t0, method, &pause))
	assert.Equal(t, at(40*time.Second), p.Reopens(t0, method, &pause))
	assert.Equal(t, at(80*time.Second), p.Reopens(t0, method, &pause))
	assert.Equal(t, at(80*time.Second), p.Reopens(t0, method, &pause), "capped")
	// A reset already past is no better than none.
	p.Observe(t0, method, timing{operating: 470, resetAt: 1001, finish: 1000})
	pause = 0
	assert.Equal(t, at(12*time.Second), p.Reopens(at(2*time.Second), method, &pause))
}

func TestPacerDoesNotTrustAResetThatCameWithLittleBudgetUsed(t *testing.T) {
	p := knownPacer()
	// Every answer carries a reset about ten minutes ahead, even with
	// nothing used: a block met later probes instead of waiting it out.
	p.Observe(t0, method, timing{operating: 0, resetAt: 1600, finish: 1000})
	var pause time.Duration
	assert.Equal(t, at(blockedPause), p.Reopens(t0, method, &pause))
}

func TestPacerIgnoresAnAbsurdResetTime(t *testing.T) {
	p := knownPacer()
	p.Observe(t0, method, timing{operating: 470, resetAt: 1e300, finish: 1000})
	var pause time.Duration
	assert.Equal(t, at(maxOperatingWait), p.Reopens(t0, method, &pause))
	p.Observe(t0, "batch", timing{operating: 470, resetAt: 500, finish: 1000})
	pause = 0
	assert.Equal(t, at(blockedPause), p.Reopens(t0, "batch", &pause), "a reset before the answer is none")
}

func TestPacerSendsSingleRequestsWhileBatchIsBlocked(t *testing.T) {
	p := knownPacer()
	p.Observe(t0, "batch", timing{operating: 479, resetAt: 1030, finish: 1000})
	until := p.BatchBlocked(at(time.Second))
	assert.Equal(t, at(30*time.Second), until)
	size, _, _ := p.Next(at(2*time.Second), 40, t0)
	assert.Equal(t, 1, size)
	size, _, _ = p.Next(at(30*time.Second), 40, t0)
	assert.Equal(t, 50, size, "batch reopened")
}

func TestPacerCrossesTheStandardBucketWithOneRequestAloneOnALargerPlan(t *testing.T) {
	p := NewPacer(EnterprisePlan, 100, 50, 100*time.Millisecond)
	p.Sent(t0, 50)
	p.Ended(50, true)
	for i := 1; i < capacity(StandardPlan); i++ {
		p.Sent(t0, 50)
	}
	size, _, why := p.Next(t0, 50, t0)
	assert.Zero(t, size, "the request beyond the standard bucket waits for the others")
	assert.Equal(t, WaitProbe, why)
	for i := 1; i < capacity(StandardPlan); i++ {
		p.Ended(50, true)
	}
	// Alone, one after the other, until one is well past a standard
	// bucket's brim.
	for i := 0; i < 2; i++ {
		size, _, _ = p.Next(t0, 50, t0)
		require.Equal(t, 50, size, "then it goes alone")
		p.Sent(t0, 50)
		_, _, why = p.Next(t0, 50, t0)
		assert.Equal(t, WaitProbe, why)
		p.Ended(50, true)
	}
	require.True(t, p.confirmed, "it passed: the larger plan is real")
	size, _, _ = p.Next(t0, 50, t0)
	assert.Equal(t, 50, size)
	p.Sent(t0, 50)
	size, _, _ = p.Next(t0, 50, t0)
	assert.Equal(t, 50, size, "no more requests alone")
}

func TestPacerKeepsTheLevelWhenThePlanChanges(t *testing.T) {
	p := knownPacer()
	for i := 0; i < 30; i++ {
		p.Sent(t0, 50)
	}
	p.SetPlan(EnterprisePlan, t0)
	assert.InDelta(t, 31, p.bucket.Level(t0), 1e-9)
	assert.Equal(t, EnterprisePlan, p.Plan())
}

func TestPacerHoldsMarksWhileAnotherClientMetTheBlock(t *testing.T) {
	p := knownPacer()
	now := at(time.Second)
	p.Hold(now, method, now.Add(10*time.Second))
	size, wait, why := p.Next(now, 5, now)
	assert.Zero(t, size)
	assert.Equal(t, WaitHeld, why)
	assert.Equal(t, 10*time.Second+holdGrace, wait, "the client that met the block probes first")
	size, _, _ = p.Next(now.Add(11*time.Second), 5, now)
	assert.Equal(t, 50, size, "after the hold and its grace, marks go")

	p.Hold(now, "batch", now.Add(30*time.Second))
	size, _, _ = p.Next(now.Add(12*time.Second), 5, now)
	assert.Equal(t, 1, size, "batch blocked elsewhere: one command per request")

	q := knownPacer()
	q.Hold(now, method, now.Add(-time.Second))
	q.Hold(now, method, now.Add(maxOperatingWait+time.Minute))
	size, _, _ = q.Next(now, 5, now)
	assert.Equal(t, 50, size, "a hold already past, or beyond any block, is ignored")
}

// sendWhileAllowed sends requests at now while the pacer lets them go, and
// says how many went.
func sendWhileAllowed(p *Pacer, now time.Time) int {
	n := 0
	for {
		size, _, _ := p.Next(now, 5000, t0)
		if size == 0 {
			return n
		}
		p.Sent(now, size)
		n++
	}
}

func TestPacerRampsUpInRoundsWhileTheBucketsLevelIsUnknown(t *testing.T) {
	p := NewPacer(StandardPlan, 50, 50, 100*time.Millisecond)
	now := t0
	for _, round := range []int{2, 4} {
		require.Equal(t, round, sendWhileAllowed(p, now), "a round waits for the one before")
		now = now.Add(20 * time.Millisecond)
		_, _, why := p.Next(now, 5000, t0)
		assert.Equal(t, WaitProbe, why)
		for range round {
			p.Answered(now, reply{sent: now.Add(-20 * time.Millisecond), commands: 50, reached: true, verdicts: []verdict{{}}})
		}
	}
	// 6 passed: the window is at its bound, 6, and slides.
	assert.Equal(t, 6, sendWhileAllowed(p, now))
	// Each answer frees its slot; the window grows no further while the
	// level is unknown, so a bucket found mid-way costs at most 6 × 503.
	for passed := 7; passed <= 20; passed++ {
		p.Answered(now, reply{commands: 50, reached: true, verdicts: []verdict{{}}})
		assert.Equal(t, 1, sendWhileAllowed(p, now), "%d passed: still 6 under way", passed)
	}
}

func TestPacerEndsTheRampAtA503(t *testing.T) {
	p := NewPacer(StandardPlan, 50, 50, 100*time.Millisecond)
	sendWhileAllowed(p, t0)
	full := verdict{err: &Error{Code: CodeQueryLimit}, next: bucketFull}
	l := p.Answered(at(20*time.Millisecond), reply{sent: t0, commands: 50, reached: true, verdicts: []verdict{full}})
	assert.True(t, l.full)
	assert.Equal(t, 501*time.Millisecond, l.wait, "the bucket is known full: the drain rate")
	_, wait, why := p.Next(at(20*time.Millisecond), 5000, t0)
	assert.Equal(t, WaitBucket, why, "no ramp: the bucket paces")
	assert.Equal(t, 501*time.Millisecond, wait)
}
