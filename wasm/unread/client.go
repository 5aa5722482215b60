package unread

import (
	"strconv"
	"sync"

	"github.com/markunread/markunread/wasm/internal/time"
)

// Client admits markUnread calls, queues them, and accounts for each until
// it settles, exactly once. When a request leaves is the Pacer's decision;
// what happens after an answer is the retry policy's (retry.go); the
// request itself is in request.go. Use New; call Close when done with it.
type Client struct {
	cfg     Config
	session *session
	closing *Stop
	wake    chan struct{}
	stopped chan struct{}

	logMu   sync.Mutex
	logs    []LogEvent // waiting for forwardLogs
	logWake chan struct{}

	mu       sync.Mutex
	pacer    *Pacer
	lanes    [2]lane // interactive, then bulk: interactive calls always go first
	plan     planState
	moved    *Error     // the portal answered with a redirect: every call fails with it
	base     string     // the portal's base URL, once a request has been made
	recalled bool       // the plan store was asked
	holds    []hold     // other clients' blocks heard before base was known
	heard    *roomHeard // another client's word of the others, before base was known
	closed   bool
	stats    Stats
	// Requests under way, and a channel closed when they drop to none
	// (made by the first Close that waits). A count under mu rather than
	// a sync.WaitGroup, whose code is 1.3 KB brotli of the module.
	sends     int
	sendsDone chan struct{}
}

// lane is one queue of calls, oldest first, with its own bound. Settled
// calls are swept lazily.
type lane struct {
	calls []*call
	live  int // calls of this lane waiting or under way
	bound int
}

type planState uint8

const (
	planFixed   planState = iota // the page gave the limits
	planUnknown                  // learn it: recall it, or ask app.info once the portal answered
	planAsking                   // app.info is under way
	planKnown                    // learned or recalled
)

// call is one markUnread call, from Mark until it settles.
type call struct {
	dialog        DialogID
	message       MessageID
	bulk          bool
	done          chan struct{} // closed when it settles; nil for a bulk job's call (its job counts them)
	err           *Error
	settled       bool
	state         callState
	queuedAt      time.Time
	notBefore     time.Time     // backing off or held until then
	attempts      int           // requests made for it
	free          int           // of them, answered with the portal's limits: they do not count
	refreshed     bool          // a token refresh was already done for it
	blockedPause  time.Duration // the next probe pause while its method is blocked
	last          *Error        // what its last attempt came to, for a timeout's description
	awaitingToken bool          // taken into a request that waits for a token
	job           *job          // the bulk job it belongs to, if any
	index         int           // its place in the job
}

type callState uint8

const (
	refused callState = iota // never queued
	queued                   // waiting in a lane
	sending                  // in a request under way
)

// MarkRequest is one markUnread call as page JavaScript made it.
type MarkRequest struct {
	Dialog, Message Arg
	// Bulk calls wait behind every interactive call and have their own
	// queue bound, so a bulk job never delays a click nor fills its queue.
	Bulk  bool
	Abort *Stop // nil: the call cannot be aborted
}

// New starts a client. cfg.Transport is required.
func New(cfg Config) *Client {
	plan := planFixed
	if cfg.Rate == 0 && cfg.Burst == 0 {
		plan = planUnknown
	}
	cfg.setDefaults()
	start := Plan{Rate: cfg.Rate, Burst: cfg.Burst}
	c := &Client{
		cfg:     cfg,
		session: &session{auth: cfg.Auth, timeout: cfg.RefreshTimeout},
		closing: NewStop(),
		wake:    make(chan struct{}, 1),
		stopped: make(chan struct{}),
		pacer:   NewPacer(start, cfg.MaxInFlight, cfg.BatchSize, cfg.Linger),
		plan:    plan,
		logWake: make(chan struct{}, 1),
	}
	if cfg.OnLog != nil {
		go c.forwardLogs()
	}
	c.session.log = c.log
	c.pacer.shared = cfg.Shared != nil
	c.lanes[0].bound, c.lanes[1].bound = cfg.QueueSize, cfg.BulkQueueSize
	go c.dispatch()
	return c
}

// Mark checks the arguments with the portal's rules, in the portal's order
// (docs/bitrix24.md#f-unread-order), queues the call, and returns when it
// has settled: nil when the portal accepted the mark, an *Error otherwise.
// A call the portal would refuse is refused here, without a request. It
// gives up with TIMEOUT after Config.Timeout, and with the *Error its
// Abort fires with (ABORTED when that is nil); a call already in a request
// may still reach the portal then. Mark is safe for concurrent use.
func (c *Client) Mark(r MarkRequest) *Error {
	k := &call{bulk: r.Bulk, done: make(chan struct{})}
	c.mu.Lock()
	var p *Progress
	if err := c.admitLocked(k, r, r.Abort, time.Now()); err != nil {
		p = c.settleLocked(k, err)
	}
	c.mu.Unlock()
	if p != nil {
		c.report(p)
		return k.err
	}
	c.poke()

	// Timers here are AfterFuncs: time.NewTimer's channel carries time.Time
	// values through an interface, which keeps Time's formatting code (about
	// 17 KB brotli) in the module.
	timeout := NewStop()
	defer timeout.FireAfter(c.cfg.Timeout, nil).Stop()
	var gaveUp *Error
	select {
	case <-k.done:
		return k.err
	case <-r.Abort.Done():
		gaveUp = aborted(r.Abort)
	case <-timeout.Done():
	}
	c.mu.Lock()
	if !k.settled {
		if gaveUp == nil {
			gaveUp = newError(CodeTimeout, "no outcome within "+c.cfg.Timeout.String()+": "+c.whyLocked(k))
		}
		gaveUp = withAttempts(gaveUp, k.attempts)
	}
	p = c.settleLocked(k, gaveUp)
	c.mu.Unlock()
	c.report(p)
	return k.err
}

// Contained counts a call that a contained panic ended before Mark saw it
// (the boundary's own code failed): it settles, failed, and OnSettle
// hears of it like any other call.
func (c *Client) Contained(err *Error) {
	c.mu.Lock()
	p := c.settleLocked(&call{done: make(chan struct{})}, err)
	c.mu.Unlock()
	c.report(p)
}

// admitLocked checks k's arguments with the portal's rules, in the
// portal's order (docs/bitrix24.md#f-unread-order), and queues it in its
// lane; or it says why not, and k is to be settled with that.
func (c *Client) admitLocked(k *call, r MarkRequest, abort *Stop, now time.Time) *Error {
	message, err := ParseMessageID(r.Message)
	if err != nil {
		return err
	}
	if k.dialog, err = ParseDialogID(r.Dialog); err != nil {
		return err
	}
	k.message = message
	ln := c.laneOf(k)
	switch {
	case abort.Why() != nil || isDone(abort.Done()):
		return aborted(abort)
	case c.closed:
		return newError(CodeClosed, "the client is closed")
	case c.moved != nil:
		return c.moved
	case ln.live >= ln.bound:
		return newError(CodeQueueFull, strconv.Itoa(ln.bound)+" "+laneName(k.bulk)+" calls are already waiting or under way")
	}
	k.state, k.queuedAt = queued, now
	ln.calls = append(ln.calls, k)
	ln.live++
	c.stats.Queued++
	return nil
}

func aborted(abort *Stop) *Error {
	if why := abort.Why(); why != nil {
		return why
	}
	return newError(CodeAborted, "the call was aborted")
}

func isDone(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func laneName(bulk bool) string {
	if bulk {
		return "bulk"
	}
	return "interactive"
}

// Close stops the client: calls not yet settled fail with CLIENT_CLOSED,
// requests under way are cancelled, and later calls fail at once. Close
// returns when the dispatcher and every request have ended; it may be
// called more than once.
func (c *Client) Close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		<-c.stopped
		c.waitSends()
		return
	}
	c.closed = true
	var done []*Progress
	for i := range c.lanes {
		for _, k := range c.lanes[i].calls {
			done = append(done, c.settleLocked(k, newError(CodeClosed, "the client was closed")))
		}
		c.lanes[i].calls = nil
	}
	c.mu.Unlock()
	c.closing.Fire(newError(CodeClosed, "the client was closed"))
	c.report(done...)
	<-c.stopped
	// Requests under way end too (each aborts its fetch), so that nothing
	// of the client outlives Close: no goroutine, no timer, no callback.
	c.waitSends()
}

// settleLocked settles k once; later settlements are ignored (and give
// nil). The Progress it returns goes to report after the lock is released.
func (c *Client) settleLocked(k *call, err *Error) *Progress {
	if k.settled {
		return nil
	}
	k.settled, k.err = true, err
	if k.done != nil {
		close(k.done)
	}
	switch k.state {
	case queued:
		c.stats.Queued--
	case sending:
		c.stats.InFlight--
	}
	if k.state != refused {
		c.laneOf(k).live--
	}
	c.stats.Settled++
	if err == nil {
		c.stats.Succeeded++
	} else {
		c.stats.Failed++
	}
	return &Progress{Dialog: k.dialog, Message: k.message, Bulk: k.bulk, Err: err, Stats: c.statsLocked(), call: k}
}

func (c *Client) laneOf(k *call) *lane {
	if k.bulk {
		return &c.lanes[1]
	}
	return &c.lanes[0]
}

func (c *Client) poke() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func withAttempts(e *Error, attempts int) *Error {
	cp := *e
	cp.Attempts = attempts
	return &cp
}

// attemptsText is "1 attempt", "2 attempts".
func attemptsText(n int) string {
	if n == 1 {
		return "1 attempt"
	}
	return strconv.Itoa(n) + " attempts"
}
