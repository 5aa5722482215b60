package unread

import (
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Calls of different urgency: an interactive call goes ahead of a bulk job, which
// has a queue bound of its own.

func TestAClickGoesInTheNextRequestWhileABulkJobWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		p.level, p.at = 50, time.Now()
		c := newTestClient(t, p, Config{Rate: 2, Burst: 50, Timeout: time.Hour})
		var wg sync.WaitGroup
		for i, d := range dialogs(10000) {
			wg.Go(func() { c.Mark(MarkRequest{Dialog: String(string(d)), Message: Number(float64(i + 1)), Bulk: true}) })
		}
		synctest.Wait()
		time.Sleep(3 * time.Second) // the bulk job is under way, on a full bucket
		p.mu.Lock()
		before := len(p.requests)
		p.mu.Unlock()
		start := time.Now()
		require.Nil(t, c.Mark(req(nil, "chat77777", 5)))
		took := time.Since(start)
		assert.LessOrEqual(t, took, 500*time.Millisecond+2*p.latency, "one request interval plus one round trip")
		p.mu.Lock()
		next := p.requests[before]
		p.mu.Unlock()
		assert.Contains(t, next.Encode(), "chat77777", "the click went in the next request")
		wg.Wait()
		s := c.Stats()
		assert.Equal(t, 10001, s.Succeeded)
		// The click took one command's room in a request of bulk marks:
		// 10,001 marks need 201 requests, plus the first round's two 503s
		// at the full start.
		assert.Equal(t, 201+2, s.Requests)
	})
}

func TestTheBulkQueueHasItsOwnBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		p.stall = true
		c := newTestClient(t, p, Config{BulkQueueSize: 3, QueueSize: 1, Timeout: time.Minute})
		for range 3 {
			go c.Mark(MarkRequest{Dialog: String("chat1"), Message: Number(1), Bulk: true})
		}
		synctest.Wait()
		err := c.Mark(MarkRequest{Dialog: String("chat2"), Message: Number(1), Bulk: true})
		require.NotNil(t, err)
		assert.Equal(t, CodeQueueFull, err.Code)
		assert.Contains(t, err.Description, "bulk")
		go c.Mark(req(nil, "chat3", 1)) // an interactive call still gets in
		synctest.Wait()
		assert.Equal(t, 4, c.Stats().Queued+c.Stats().InFlight)
	})
}
