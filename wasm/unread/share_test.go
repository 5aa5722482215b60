package unread

import (
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestShareLearnsTheOthersRateBetweenTwoFullBuckets(t *testing.T) {
	s := NewShare(StandardPlan)
	assert.Equal(t, 2.0, s.Room(t0), "alone on the bucket: the plan's whole rate")
	assert.False(t, s.Refused(t0), "one 503 alone says the bucket is full, not who filled it")
	for i := 1; i <= 5; i++ {
		s.Passed(at(time.Duration(i) * 2 * time.Second)) // the client passed 5 in 10 s
	}
	require.True(t, s.Refused(at(10*time.Second)))
	// Full to full in 10 s: the bucket took 20, the client 5, the others 15
	// (and half a request of margin for the level's doubt).
	assert.InDelta(t, (20.0-5+shareMargin)/10, s.Others(at(10*time.Second)), 1e-9)
	assert.InDelta(t, 2-(15.0+shareMargin)/10, s.Room(at(10*time.Second)), 1e-9)
}

func TestShareCountsARequestByWhenItArrivedNotWhenItWasHeardOf(t *testing.T) {
	s := NewShare(StandardPlan)
	s.Refused(at(4 * time.Second))
	for range 5 {
		s.Passed(at(3 * time.Second)) // arrived before the 503, heard of after it
	}
	for i := 5; i <= 14; i++ {
		s.Passed(at(time.Duration(i) * time.Second))
	}
	s.Refused(at(14 * time.Second))
	// In the 10 s from the first 503 the client passed 10, not 15.
	assert.InDelta(t, (20.0-10+shareMargin)/10, s.Others(at(14*time.Second)), 1e-9)
}

func TestShareFadesWhenNo503RenewsIt(t *testing.T) {
	s := NewShare(StandardPlan)
	s.Refused(t0)
	s.Refused(at(10 * time.Second)) // nothing passed: others take about all of it
	o := s.Others(at(10 * time.Second))
	require.Greater(t, o, 1.8)
	assert.Equal(t, o, s.Others(at(19*time.Second)), "held for the quiet time")
	assert.InDelta(t, o*shareFade, s.Others(at(20*time.Second)), 1e-9)
	assert.InDelta(t, o*shareFade*shareFade, s.Others(at(22*time.Second)), 1e-9)
	assert.Zero(t, s.Others(at(60*time.Second)), "the others stopped: back to the plan's rate")
	assert.Equal(t, 2.0, s.Room(at(60*time.Second)))
}

func TestShareKeepsSomeRoomToLearnFrom(t *testing.T) {
	s := NewShare(StandardPlan)
	s.Refused(t0)
	s.Refused(at(2 * time.Second))
	assert.InDelta(t, 2*minRoomShare, s.Room(at(2*time.Second)), 1e-9)
}

// Refused three times in a row over 3 s with nothing passed: the others
// took the whole drain meanwhile, 6 requests, and the one they took as
// the run began; the client keeps 7 free for their next lump, held as long
// as a belief, then faded.
func TestShareKeepsRoomFreeForTheOthersLumps(t *testing.T) {
	s := NewShare(StandardPlan)
	for _, d := range []time.Duration{0, time.Second, 3 * time.Second} {
		s.Refused(at(d))
	}
	s.Passed(at(4 * time.Second))
	assert.InDelta(t, 7, s.Reserve(at(4*time.Second)), 1e-9)
	assert.InDelta(t, 7, s.Reserve(at(4*time.Second+maxShareQuiet-time.Millisecond)), 1e-9, "held")
	assert.InDelta(t, 7*shareFade, s.Reserve(at(4*time.Second+maxShareQuiet)), 1e-9, "then faded")
	assert.Zero(t, s.Reserve(at(4*time.Second+2*maxShareQuiet)), "the others stopped bursting")

	// A run met again beyond the reserve: the lumps are larger than it.
	s.Refused(at(10 * time.Second))
	s.Refused(at(11 * time.Second))
	s.Passed(at(12 * time.Second))
	assert.InDelta(t, 7+2+1, s.Reserve(at(12*time.Second)), 1e-9)
	s.Refused(at(20 * time.Second))
	s.Refused(at(25 * time.Second))
	s.Passed(at(26 * time.Second))
	assert.InDelta(t, float64(StandardPlan.Burst)*maxLumpShare, s.Reserve(at(26*time.Second)), 1e-9, "at most a quarter of the burst")
}

// A single 503 after passes is the steady others met: no lump. While a
// run is under way the reserve grows with it, at most what the room
// drains in runHold, so a bucket others keep full is still probed.
func TestShareReservesNothingForASingle503AndBoundsARunUnderWay(t *testing.T) {
	s := NewShare(StandardPlan)
	s.Refused(t0)
	s.Passed(at(time.Second))
	assert.Zero(t, s.Reserve(at(time.Second)))

	s = NewShare(StandardPlan)
	s.Refused(t0)
	s.Refused(at(500 * time.Millisecond))
	assert.InDelta(t, 1, s.Reserve(at(500*time.Millisecond)), 1e-9, "the drain of the half second the run has lasted")
	s.Refused(at(2 * time.Second))
	require.InDelta(t, StandardPlan.Rate*minRoomShare, s.Room(at(2*time.Second)), 1e-9, "others keep the bucket full")
	assert.Zero(t, s.Reserve(at(2*time.Second)), "the least room is probed at its own pace")
}

// A 503 says the client met the brim pacing by what it believed, so it
// never lowers the belief, even when the shared budget's count says the
// app's clients passed more than that belief leaves room for.
func TestShareA503NeverLowersTheBelief(t *testing.T) {
	s := NewShare(StandardPlan)
	s.Counted(AppCount{Granted: 0, Counted: true})
	s.Refused(t0)
	require.True(t, s.Heard(belief(1.2, at(5*time.Second), 0)))
	s.Counted(AppCount{Granted: 18, Counted: true})
	believed := s.Others(at(10 * time.Second))
	s.Refused(at(10 * time.Second)) // from the counts alone: (20 − 18 + 0.75) / 10
	assert.InDelta(t, believed, s.Others(at(10*time.Second)), 1e-9)
}

// With a shared budget, n is the budget's count of the app's passed
// requests: the app's other clients' requests are the app's, not the
// others'.
func TestShareCountsTheAppsOtherClientsRequestsAsTheApps(t *testing.T) {
	alone, shared := NewShare(StandardPlan), NewShare(StandardPlan)
	shared.Counted(AppCount{Granted: 40, Counted: true})
	alone.Refused(t0)
	shared.Refused(t0)
	for i := range 6 {
		alone.Passed(at(time.Duration(i+1) * time.Second))
		shared.Passed(at(time.Duration(i+1) * time.Second))
	}
	shared.Counted(AppCount{Granted: 57, Refused: 2, Counted: true}) // 15 of the app's passed, 6 of them this client's
	require.True(t, alone.Refused(at(10*time.Second)))
	require.True(t, shared.Refused(at(10*time.Second)))
	assert.InDelta(t, (20-6+shareMargin)/10, alone.Others(at(10*time.Second)), 1e-9, "its own requests alone")
	assert.InDelta(t, (20-15+shareMargin)/10, shared.Others(at(10*time.Second)), 1e-9, "the app's, counted by the budget")
}

// A count of grants lower than the last says the budget started again: the levels
// known before cannot be measured against it.
func TestShareForgetsTheKnownLevelsWhenTheBudgetsCountStartsAgain(t *testing.T) {
	s := NewShare(StandardPlan)
	s.Counted(AppCount{Granted: 30, Counted: true})
	s.Refused(t0)
	s.Counted(AppCount{Granted: 2, Counted: true})
	assert.False(t, s.Refused(at(10*time.Second)), "no level to estimate from")
	assert.Zero(t, s.Others(at(10*time.Second)))
}

func TestShareForgetsALevelOnceTheBucketMayHaveRunEmpty(t *testing.T) {
	s := NewShare(StandardPlan)
	s.Refused(t0)
	// 30 s later the client's own requests alone would have drained away:
	// the bucket may have run empty, and the span says nothing of the others.
	s.Passed(at(30 * time.Second))
	assert.False(t, s.Refused(at(31*time.Second)))
	assert.Zero(t, s.Others(at(31*time.Second)))
}

func belief(others float64, at time.Time, hold time.Duration) Belief {
	return Belief{OthersPerSec: others, AtMs: at.UnixMilli(), HoldMs: hold.Milliseconds()}
}

func TestShareTakesAnotherClientsNewerEstimate(t *testing.T) {
	s := NewShare(StandardPlan)
	require.True(t, s.Heard(belief(1.5, at(time.Second), 0)))
	assert.InDelta(t, 0.5, s.Room(at(time.Second)), 1e-9)
	assert.False(t, s.Heard(belief(0, t0, 0)), "older than what the client believes")
	assert.False(t, s.Heard(belief(-1, at(2*time.Second), 0)), "not a rate")
	assert.InDelta(t, 0.5, s.Room(at(4*time.Second)), 1e-9)
}

// A belief heard holds as long as the teller's did before it fades, so
// the app's clients probe upward together, not each on its own clock.
func TestShareHoldsAHeardBeliefAsLongAsItsTellerDid(t *testing.T) {
	s := NewShare(StandardPlan)
	require.True(t, s.Heard(belief(1, t0, 20*time.Second)))
	assert.InDelta(t, 1, s.Others(at(20*time.Second-time.Millisecond)), 1e-9, "held")
	assert.InDelta(t, shareFade, s.Others(at(20*time.Second)), 1e-9, "then faded")
	told := s.Belief()
	assert.InDelta(t, 1, told.OthersPerSec, 1e-9, "told as learned, not faded: the hearer fades it on the same clock")
	assert.Equal(t, t0.UnixMilli(), told.AtMs)
	assert.Equal(t, int64(20000), told.HoldMs)

	q := NewShare(StandardPlan)
	require.True(t, q.Heard(belief(1, t0, 0)))
	assert.InDelta(t, shareFade, q.Others(at(shareQuiet)), 1e-9, "no hold told: the hearer's own, the least")
}

func TestTheClientTellsWhenItLearnsOthersShareTheBucketAndWhenTheyStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := sharedPortal(&otherApp{perSecond: 1})
		p.other.stop = time.Now().Add(30 * time.Second)
		var mu sync.Mutex
		var shares []string
		shared := &roomShared{}
		c := newTestClient(t, p, Config{Timeout: time.Hour, Shared: shared, OnLog: func(e LogEvent) {
			if e.Kind == LogShare {
				mu.Lock()
				shares = append(shares, e.Text)
				mu.Unlock()
			}
		}})
		for _, err := range markAll(c, dialogs(10000), 1) {
			require.Nil(t, err)
		}
		synctest.Wait()
		mu.Lock()
		defer mu.Unlock()
		require.NotEmpty(t, shares)
		assert.Contains(t, shares[0], "other apps spend about")
		assert.Contains(t, shares[0], "this client assumes")
		assert.True(t, strings.HasPrefix(shares[len(shares)-1], "no sign of other apps"), "the last: %q", shares[len(shares)-1])
		shared.mu.Lock()
		defer shared.mu.Unlock()
		require.NotEmpty(t, shared.rooms, "the app's other clients heard it")
		assert.Greater(t, shared.rooms[0].OthersPerSec, 0.5)
		// A client that hears the last of it now (a tab that opens after
		// the others stopped) fades it as the teller did: none.
		later := NewShare(StandardPlan)
		require.True(t, later.Heard(shared.rooms[len(shared.rooms)-1]))
		assert.Zero(t, later.Others(time.Now()))
		assert.Equal(t, 2.0, shared.plan.Rate, "the last reservation at the plan's whole rate again")
	})
}

// roomShared records what a client tells the app's other clients of the
// others.
type roomShared struct {
	fakeShared
	rooms []Belief
}

func (r *roomShared) Room(_ string, b Belief) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rooms = append(r.rooms, b)
}
