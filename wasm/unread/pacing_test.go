package unread

import (
	"net/url"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The portal's bucket: the client never trips it, and when someone else fills it,
// it costs one 503 and the rest follow at the drain rate.

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
		// The first round (two requests) met the full bucket; after its
		// answers the client drains at the portal's pace: 20 requests at 2/s.
		assert.Equal(t, 2, s.Status503)
		assert.Equal(t, 2, s.Retries)
		assert.InDelta(t, 10, time.Since(start).Seconds(), 0.6)
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

func TestAFullBucketAtStartCostsTheFirstRoundsTwo503s(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		p.level, p.at = 50, time.Now() // another app spent the portal's bucket
		c := newTestClient(t, p, Config{})
		start := time.Now()
		for _, err := range markAll(c, dialogs(500), 1) {
			require.Nil(t, err)
		}
		s := c.Stats()
		assert.Equal(t, 2, s.Status503, "the first round of two met the full bucket; the rest followed at the drain rate")
		assert.Len(t, p.unread, 500)
		// 11 requests at 2 per second after the first answer.
		assert.InDelta(t, 5.5, time.Since(start).Seconds(), 0.6)
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
