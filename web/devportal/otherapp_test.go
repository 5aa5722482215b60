package devportal

import (
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// otherAt is a bucket of 2/s, burst 50, at prefill, with o playing into it from t0: take
// and stats look at fixed instants, the way a real request and Stats do.
type otherAt struct {
	t0    time.Time
	b     leakyBucket
	s     otherAppState
	stats Stats
}

func newOtherAt(o OtherApp, prefill float64) *otherAt {
	t0 := time.Unix(1000, 0)
	return &otherAt{t0: t0, b: newLeakyBucket(2, 50, prefill, t0), s: newOtherAppState(o, 2, t0)}
}

// take is the app's request at t0+d.
func (x *otherAt) take(d time.Duration) bool {
	x.s.advance(&x.b, x.t0.Add(d), &x.stats)
	return x.b.take(x.t0.Add(d))
}

func (x *otherAt) at(d time.Duration) Stats {
	x.s.advance(&x.b, x.t0.Add(d), &x.stats)
	return x.stats
}

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

func TestSteadyOtherAppSendsOnTimeWhileThereIsRoom(t *testing.T) {
	x := newOtherAt(OtherApp{PerSecond: 1}, 0)
	assert.Zero(t, x.at(0).OtherRequests, "nothing at the reset: its room is the app's")
	assert.Zero(t, x.at(ms(999)).OtherRequests)
	assert.Equal(t, 1, x.at(ms(1000)).OtherRequests)
	assert.Equal(t, 10, x.at(ms(10500)).OtherRequests, "due at 1, 2, ... 10 s")
	assert.Zero(t, x.at(ms(10500)).OtherWaited)
	assert.Zero(t, x.at(ms(10500)).Other503, "a steady app is never refused")
	assert.InDelta(t, 1, x.b.level, 1e-9, "each found the bucket drained: only the last one, at 10 s, is in it")
	assert.Equal(t, x.t0.Add(10*time.Second), x.b.last)
}

func TestSteadyOtherAppWaitsForRoomAndTakesItFirst(t *testing.T) {
	x := newOtherAt(OtherApp{PerSecond: 1}, 49.5)
	// The app takes the last room before the other's request is due at 1 s: that one
	// waits for the room that frees at 1.25 s.
	assert.True(t, x.take(ms(750)))
	assert.True(t, x.take(ms(750)))
	assert.False(t, x.take(ms(750)))
	assert.Zero(t, x.at(ms(1249)).OtherRequests)
	s := x.at(ms(1250))
	assert.Equal(t, 1, s.OtherRequests)
	assert.Equal(t, 1, s.OtherWaited)
	assert.False(t, x.take(ms(1250)), "at equal instants the other app's request comes first")
	assert.False(t, x.take(ms(1500)))
	assert.True(t, x.take(ms(1750)), "the room at 1.75 s is the app's")
	assert.Equal(t, 2, x.at(ms(2250)).OtherWaited, "the one due at 2 s waited too")
	assert.False(t, x.take(ms(2250)))

	// From then on the app, asking every 0.25 s, gets what the other leaves: one a second.
	got := 0
	for d := ms(2500); d <= ms(12250); d += ms(250) {
		if x.take(d) {
			got++
		}
	}
	assert.Equal(t, 10, got, "at 2.75, 3.75, ... 11.75 s")
	s = x.at(ms(12250))
	assert.Equal(t, 12, s.OtherRequests, "due at 1 ... 12 s")
	assert.Equal(t, 12, s.OtherWaited)
}

func TestSteadyOtherAppAndTheAppShareTheDrain(t *testing.T) {
	x := newOtherAt(OtherApp{PerSecond: 1}, 0)
	for i := range 50 {
		require.True(t, x.take(0), "request %d", i)
	}
	require.False(t, x.take(0))
	// The app asks every 0.5 s; a room frees every 0.5 s, and the other app's
	// request due at each whole second takes that one.
	got := 0
	for d := ms(500); d <= ms(10000); d += ms(500) {
		if x.take(d) {
			got++
		}
	}
	s := x.at(ms(10000))
	assert.Equal(t, 10, got, "at 0.5, 1.5, ... 9.5 s")
	assert.Equal(t, 10, s.OtherRequests)
	assert.Zero(t, s.OtherWaited)
}

func TestSteadyOtherAppAtThePlanRateTakesAllTheRoom(t *testing.T) {
	x := newOtherAt(OtherApp{PerSecond: 3}, 50)
	for d := ms(1); d <= ms(10001); d += ms(100) {
		assert.False(t, x.take(d), "at %v", d)
	}
	s := x.at(ms(10001))
	assert.Equal(t, 20, s.OtherRequests, "the drain's 20 rooms in 10 s")
	assert.Equal(t, 20, s.OtherWaited)
}

func TestBurstOtherAppSpendsTheBucketAtOnce(t *testing.T) {
	x := newOtherAt(OtherApp{Burst: 10, Every: 5 * time.Second}, 0)
	for i := range 50 {
		require.True(t, x.take(0), "request %d: nothing at the reset", i)
	}
	assert.False(t, x.take(0))
	assert.Zero(t, x.at(ms(4999)).OtherRequests)
	// At 5 s the bucket has drained 10: the burst takes all of it.
	assert.False(t, x.take(ms(5000)))
	s := x.at(ms(5000))
	assert.Equal(t, 10, s.OtherRequests)
	assert.Zero(t, s.Other503)
	assert.True(t, x.take(ms(5500)))
	assert.Equal(t, 20, x.at(ms(10000)).OtherRequests, "the next at 10 s")
}

func TestBurstOtherAppSendsRefusedRequestsAgainWhenThereIsRoom(t *testing.T) {
	x := newOtherAt(OtherApp{Burst: 10, Every: 10 * time.Second}, 0)
	for range 50 {
		require.True(t, x.take(ms(9900)))
	}
	s := x.at(ms(10000))
	assert.Equal(t, 10, s.OtherRequests)
	assert.Equal(t, 10, s.Other503, "the app filled the bucket 0.1 s before")
	// The refused ones may go again after 1/rate + 1 s = 1.5 s: 3 rooms have freed
	// by then, and the rest go one by one as rooms free, before the app's requests.
	assert.Equal(t, 10, x.at(ms(11499)).OtherRequests)
	assert.Equal(t, 13, x.at(ms(11500)).OtherRequests)
	assert.Equal(t, 13, x.at(ms(11899)).OtherRequests)
	assert.False(t, x.take(ms(11900)), "the room at 11.9 s is the other app's")
	assert.Equal(t, 14, x.at(ms(11900)).OtherRequests)
	assert.False(t, x.take(ms(14900)))
	s = x.at(ms(14900))
	assert.Equal(t, 20, s.OtherRequests, "10 refused, 10 admitted")
	assert.Equal(t, 10, s.Other503, "refused once each")
	assert.Equal(t, 7, s.OtherWaited, "those that found no room at 11.5 s")
	assert.True(t, x.take(ms(15400)), "the burst has all gone through")
}

func TestBurstOtherAppGetsItsShareBesideAGreedyApp(t *testing.T) {
	x := newOtherAt(OtherApp{Burst: 10, Every: 10 * time.Second}, 0)
	got := 0
	for d := ms(0); d <= ms(119000); d += ms(100) { // the app asks every 0.1 s
		if x.take(d) {
			got++
		}
	}
	s := x.at(ms(119000))
	admitted := s.OtherRequests - s.Other503
	assert.Equal(t, 110, admitted, "all of its 11 bursts, at 10 ... 110 s; the last one's refused requests took every room from 111.5 s on")
	assert.Greater(t, s.Other503, 90, "nearly every burst request found the bucket at its brim")
	// 50 at the start and 2 a second: 288 rooms by 119 s, each taken by one or the other.
	assert.Equal(t, 288-admitted, got)
}

func TestRoomAtIsWhenTakeSucceeds(t *testing.T) {
	t0 := time.Unix(1000, 0)
	b := newLeakyBucket(3, 50, 50, t0)
	at := b.roomAt()
	assert.Equal(t, t0.Add(333333334), at, "1/3 s, rounded up")
	probe := b
	assert.False(t, probe.take(at.Add(-10*time.Nanosecond)))
	assert.True(t, b.take(at))
	b = newLeakyBucket(3, 50, 10, t0)
	assert.Equal(t, t0, b.roomAt(), "room now")
}

func TestParseOtherApp(t *testing.T) {
	for spec, want := range map[string]OtherApp{
		"1.5/s":   {PerSecond: 1.5},
		" 1/s ":   {PerSecond: 1},
		"10/5s":   {Burst: 10, Every: 5 * time.Second},
		"2/1s":    {Burst: 2, Every: time.Second},
		"3/500ms": {Burst: 3, Every: 500 * time.Millisecond},
		"":        {},
		"off":     {},
	} {
		got, err := ParseOtherApp(spec)
		require.NoError(t, err, spec)
		assert.Equal(t, want, got, spec)
	}
	for _, spec := range []string{"1", "x/s", "0/s", "-1/s", "1/x", "1.5/5s", "0/5s", "10/10ms", "2000/s", "5000/10s", "NaN/s", "Inf/s"} {
		_, err := ParseOtherApp(spec)
		assert.Error(t, err, spec)
	}
	_, err := ParseOtherApp("1")
	assert.ErrorContains(t, err, "e.g. 1.5/s")
	assert.Equal(t, "1.5/s", OtherApp{PerSecond: 1.5}.String())
	assert.Equal(t, "10/5s", OtherApp{Burst: 10, Every: 5 * time.Second}.String())
	assert.InDelta(t, 2, OtherApp{Burst: 10, Every: 5 * time.Second}.MeanRate(), 1e-12)
}

func TestInvalidOtherAppIsNotPlayed(t *testing.T) {
	x := newOtherAt(OtherApp{Burst: 10}, 0) // no Every: it would never end
	assert.Zero(t, x.at(time.Hour).OtherRequests)
}

func TestPortalCountsTheOtherAppApart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Config{OtherApp: OtherApp{PerSecond: 1}, Prefill: 50})
		ok := 0
		for range 41 { // every 0.25 s for 10 s
			if f.mark("chat1", "1").Code == http.StatusOK {
				ok++
			}
			time.Sleep(250 * time.Millisecond)
		}
		s := f.p.Stats()
		assert.Equal(t, 41, s.Requests, "the app's requests only")
		assert.Equal(t, 41-ok, s.Status503, "the app's 503s only")
		assert.Equal(t, 10, ok, "at 0.5, 1.5, ... 9.5 s")
		assert.Equal(t, 10, s.OtherRequests, "due at 1 ... 10 s")
		assert.Zero(t, s.Other503)
		assert.Equal(t, 4, s.MaxPerSecond, "the app's arrivals, 4 a second")
	})
}

func TestResetEndpointTakesTheOtherApp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFixture(t, Config{})
		w := f.do(http.MethodPost, "/devportal/reset", "application/json", `{"otherApp":"10/5s","prefill":50}`)
		require.Equal(t, http.StatusOK, w.Code)
		assert.Equal(t, OtherApp{Burst: 10, Every: 5 * time.Second}, f.p.config().OtherApp)
		time.Sleep(5 * time.Second) // 10 drained, and the burst takes them
		requireLimited(t, f)
		stats := decode(t, f.do(http.MethodGet, "/devportal/state", "", ""))["stats"].(map[string]any)
		assert.Equal(t, 10.0, stats["otherRequests"])
		assert.Equal(t, 1.0, stats["status503"])

		w = f.do(http.MethodPost, "/devportal/reset", "application/json", `{"otherApp":"fast"}`)
		assert.Equal(t, http.StatusBadRequest, w.Code)
		assert.Contains(t, w.Body.String(), "e.g. 10/5s")
		assert.Equal(t, OtherApp{Burst: 10, Every: 5 * time.Second}, f.p.config().OtherApp, "a refused reset changes nothing")

		// absent keeps the start-up configuration, "" turns it off
		require.Equal(t, http.StatusOK, f.do(http.MethodPost, "/devportal/reset", "", "").Code)
		assert.Zero(t, f.p.config().OtherApp)
		f.do(http.MethodPost, "/devportal/reset", "application/json", `{"otherApp":"1/s"}`)
		f.do(http.MethodPost, "/devportal/reset", "application/json", `{"otherApp":""}`)
		assert.Zero(t, f.p.Stats().OtherRequests)
	})
}
