package unread

import (
	"net/url"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The budget the clients of one portal share (SharedBudget): asked for every
// request, told of 503s and of the holds one client meets.

func TestTheSharedBudgetIsAskedForEveryRequestAndToldOf503s(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		p.level, p.at = 50, time.Now()
		shared := &fakeShared{}
		c := newTestClient(t, p, Config{Shared: shared})
		for _, err := range markAll(c, dialogs(120), 1) {
			require.Nil(t, err)
		}
		assert.Equal(t, c.Stats().Requests, shared.reserved)
		assert.Equal(t, 2, shared.full, "each of the first round's two 503s")
		assert.Equal(t, StandardPlan, shared.plan)
	})
}

type fakeShared struct {
	mu             sync.Mutex
	reserved, full int
	plan           Plan
}

func (f *fakeShared) Reserve(portal string, plan Plan, stop <-chan struct{}) (AppCount, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reserved++
	f.plan = plan
	return AppCount{}, nil
}

func (f *fakeShared) Full(string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.full++
}

func (f *fakeShared) Hold(string, string, int64) {}

func (f *fakeShared) Room(string, Belief) {}

// relayShared is the shared budget of several clients: each one's Hold
// reaches the others' Held, as budget.js relays it between tabs.
type relayShared struct {
	fakeShared
	clients []*Client
}

// relayFor is client i's view of r.
type relayFor struct {
	*relayShared
	i int
}

func (r relayFor) Hold(portal, method string, untilMs int64) {
	for j, c := range r.clients {
		if j != r.i {
			c.Held(portal, method, time.UnixMilli(untilMs))
		}
	}
}

func TestAClientHoldsItsCallsWhileAnotherMetTheMethodsBlock(t *testing.T) {
	t.Run("b has sent before", func(t *testing.T) { testHeldByAnother(t, true) })
	t.Run("b's first request", func(t *testing.T) { testHeldByAnother(t, false) })
}

func testHeldByAnother(t *testing.T, bSentBefore bool) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		var reopens time.Time // zero: not blocked
		blockedAnswers := 0
		p.hook = func(url.Values) (Response, bool) {
			if time.Now().Before(reopens) {
				blockedAnswers++
				return answer(429, `{"error":"OPERATION_TIME_LIMIT","error_description":"Method is blocked due to operation time limit."}`), true
			}
			return Response{}, false
		}
		shared := &relayShared{}
		a := newTestClient(t, p, Config{BatchSize: 1, Shared: relayFor{shared, 0}})
		b := newTestClient(t, p, Config{BatchSize: 1, Shared: relayFor{shared, 1}})
		shared.clients = []*Client{a, b}
		if bSentBefore {
			require.Nil(t, b.Mark(req(nil, "chat1", 1)), "b has sent once, so it knows its portal")
		}

		start := time.Now()
		p.mu.Lock()
		reopens = start.Add(25 * time.Second)
		p.mu.Unlock()
		aDone := make(chan *Error, 1)
		go func() { aDone <- a.Mark(req(nil, "chat2", 1)) }()
		time.Sleep(time.Second) // a met the block; its first probe is due at 10 s
		type result struct {
			err  *Error
			took time.Duration
		}
		bDone := make(chan result, 1)
		go func() {
			t0 := time.Now()
			err := b.Mark(req(nil, "chat3", 1))
			bDone <- result{err, time.Since(t0)}
		}()
		require.Nil(t, <-aDone, "a's call, after its probes")
		// a probed at 10 s and 30 s (pauses of 10 and 20 s): the block lifted at 25 s
		assert.InDelta(t, 30, time.Since(start).Seconds(), 1.5)
		r := <-bDone
		require.Nil(t, r.err)
		assert.Greater(t, r.took, 25*time.Second, "b waited for the block to lift")
		p.mu.Lock()
		assert.Equal(t, 2, blockedAnswers, "b sent nothing into the block: only a's request and its first probe met it")
		p.mu.Unlock()
		assert.Zero(t, b.Stats().Status429)
	})
}
