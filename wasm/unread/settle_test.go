package unread

import (
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every call settles exactly once: beyond the queue bound, aborted, timed out, or
// waiting when the client closes.

func TestBeyondTheQueueBoundCallsFailAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		p.stall = true
		c := newTestClient(t, p, Config{QueueSize: 3, Timeout: time.Minute})
		for i := 0; i < 3; i++ {
			go c.Mark(req(nil, "chat1", 1))
		}
		synctest.Wait()
		err := c.Mark(req(nil, "chat2", 1))
		require.NotNil(t, err)
		assert.Equal(t, CodeQueueFull, err.Code)
		assert.Equal(t, 0, err.Attempts)
		s := c.Stats()
		assert.Equal(t, 3, s.Queued+s.InFlight)
		assert.Equal(t, 1, s.Failed)
	})
}

func TestAnAbortedQueuedCallIsNeverSent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		c := newTestClient(t, p, Config{BatchSize: 1, Burst: 1, Rate: 1})
		require.Nil(t, c.Mark(req(nil, "chat1", 1)))
		abort := NewStop()
		var err *Error
		done := make(chan struct{})
		go func() { err = c.Mark(req(abort, "chat2", 1)); close(done) }()
		synctest.Wait() // queued: the bucket holds it for a second
		abort.Fire(nil)
		<-done
		require.NotNil(t, err)
		assert.Equal(t, CodeAborted, err.Code)
		time.Sleep(5 * time.Second)
		assert.Len(t, p.requests, 1)
		assert.Equal(t, Stats{Requests: 1, Commands: 1, Settled: 2, Succeeded: 1, Failed: 1}, c.Stats())
	})
}

func TestAnAbortsReasonIsGivenAsIs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		p.stall = true
		c := newTestClient(t, p, Config{})
		abort := NewStop()
		abort.Fire(&Error{Code: CodeAborted, Description: "the page's AbortSignal fired: user left"})
		err := c.Mark(req(abort, "chat1", 1))
		require.NotNil(t, err)
		assert.Equal(t, "the page's AbortSignal fired: user left", err.Description)
	})
}

func TestACallThatOutlivesItsTimeoutSaysSo(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		p.stall = true
		c := newTestClient(t, p, Config{Timeout: 3 * time.Second})
		start := time.Now()
		err := c.Mark(req(nil, "chat1", 1))
		require.NotNil(t, err)
		assert.Equal(t, CodeTimeout, err.Code)
		assert.Equal(t, 3*time.Second, time.Since(start))
		assert.Contains(t, err.Description, "3s")
	})
}

func TestEveryCallSettlesExactlyOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		p.netFails = 2
		var mu sync.Mutex
		seen := map[DialogID]int{}
		c := newTestClient(t, p, Config{Timeout: 2 * time.Second, OnSettle: func(pr Progress) {
			mu.Lock()
			seen[pr.Dialog]++
			mu.Unlock()
		}})
		ds := dialogs(200)
		abort := NewStop()
		var wg sync.WaitGroup
		for i, d := range ds {
			var callAbort *Stop
			if i%3 == 0 {
				callAbort = abort
			}
			wg.Go(func() { c.Mark(req(callAbort, d, 1)) })
		}
		time.Sleep(10 * time.Millisecond)
		abort.Fire(nil)
		wg.Wait()
		synctest.Wait()
		for _, d := range ds {
			assert.Equal(t, 1, seen[d], d)
		}
		s := c.Stats()
		assert.Equal(t, 200, s.Settled)
		assert.Equal(t, 0, s.Queued)
		assert.Equal(t, 0, s.InFlight)
	})
}

func TestCloseSettlesWaitingCalls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		p.stall = true
		c := New(Config{Transport: p, Auth: &fakeAuth{tokens: []string{"good"}}})
		var err *Error
		done := make(chan struct{})
		go func() { err = c.Mark(req(nil, "chat1", 1)); close(done) }()
		synctest.Wait()
		c.Close()
		<-done
		require.NotNil(t, err)
		assert.Equal(t, CodeClosed, err.Code)
		assert.Equal(t, CodeClosed, c.Mark(req(nil, "chat1", 1)).Code)
	})
}
