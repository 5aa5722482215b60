package unread

import (
	"math"
	"strconv"
	"sync"
	"time"
)

// Transport performs one REST request: a form-urlencoded POST of body to
// url. It returns an error only when no answer arrived (a network failure,
// or stop was closed, which must end the request); an answer with any
// status is a Response.
type Transport interface {
	Post(stop <-chan struct{}, url, body string) (Response, error)
}

// Config sets up a Client. Zero fields take the defaults in brackets.
type Config struct {
	Transport Transport
	Auth      Auth
	Portal    string // base URL that overrides the auth source's portal
	// PageSecure: the page is https, so a plain http portal is refused.
	PageSecure bool

	Rate  float64 // requests the portal lets through per second [2]
	Burst int     // requests the portal's bucket holds [50]
	// BatchSize is the most commands one request carries [50, the
	// portal's batch limit]; 1 sends one request per call, unmerged.
	BatchSize   int
	MaxInFlight int // requests under way at once [6]

	Timeout        time.Duration // a call's whole life, queue and retries included [2m]
	RequestTimeout time.Duration // one request's life [20s, or Timeout if shorter]
	RefreshTimeout time.Duration // one token fetch or refresh [10s]
	QueueSize      int           // calls waiting or under way at once [10000]
	MaxAttempts    int           // requests made for one call at most [6]

	// OnSettle, when set, hears of every call as it settles.
	OnSettle func(Progress)
}

const (
	maxBatch = 50 // the portal's limit of commands in one batch

	backoffBase = 500 * time.Millisecond
	backoffCap  = 30 * time.Second

	// operatingSoftLimit: past this many seconds of a method's 480 s budget,
	// requests are spaced by operatingSpacing so the method is not blocked.
	operatingSoftLimit = 360
	operatingSpacing   = time.Second
	maxOperatingWait   = 10 * time.Minute
	// operatingUnknownWait: the pause after OPERATION_TIME_LIMIT from a
	// portal that gave no reset time.
	operatingUnknownWait = 10 * time.Second
)

// jitterAllowance is how much later than its predecessor a request may
// reach the portal without the two bucket levels drifting apart: the
// portal counts arrivals, the client counts departures, and a request
// that travels faster than the one before it shortens the gap the portal
// sees. The client keeps that many seconds of drain as headroom.
const jitterAllowance = 250 * time.Millisecond

// capacity is the part of the portal's burst the client fills: all of it
// but the headroom for jitter, and at least one request.
func capacity(rate float64, burst int) int {
	headroom := int(math.Ceil(rate * jitterAllowance.Seconds()))
	return max(1, burst-max(1, headroom))
}

func (cfg *Config) setDefaults() {
	if cfg.Rate <= 0 {
		cfg.Rate = 2
	}
	if cfg.Burst <= 0 {
		cfg.Burst = 50
	}
	if cfg.BatchSize <= 0 || cfg.BatchSize > maxBatch {
		cfg.BatchSize = maxBatch
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = 6
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Minute
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 20 * time.Second
	}
	cfg.RequestTimeout = min(cfg.RequestTimeout, cfg.Timeout)
	if cfg.RefreshTimeout <= 0 {
		cfg.RefreshTimeout = 10 * time.Second
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 10000
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 6
	}
}

// Stats counts what a client has done. Queued and InFlight are calls now;
// the rest are totals.
type Stats struct {
	Requests  int // requests sent, batches included
	Batches   int // batch requests sent
	Commands  int // im.dialog.unread commands sent, in batches or not
	Retries   int // calls sent again after a failed attempt
	Refreshes int // token refreshes started
	Queued    int // calls waiting to be sent
	InFlight  int // calls in a request under way
	Status503 int // answers QUERY_LIMIT_EXCEEDED (the portal's bucket was full)
	Status429 int // answers OPERATION_TIME_LIMIT
	Settled   int // calls settled
	Succeeded int
	Failed    int
}

// Progress tells of one call that has just settled.
type Progress struct {
	Dialog  DialogID // empty for a call whose arguments were refused
	Message MessageID
	Err     *Error // nil when the mark was accepted
	Stats   Stats
}

// Client queues marks and sends them under the portal's limits. Use New;
// call Close when done with it.
type Client struct {
	cfg     Config
	session *session
	closing *Stop
	wake    chan struct{}
	stopped chan struct{}

	mu          sync.Mutex
	bucket      *Bucket
	queue       []*call // FIFO; settled calls are swept lazily
	requests    int     // requests under way
	partials    int     // of them, requests with room for more commands
	pausedUntil time.Time
	closed      bool
	stats       Stats
}

// call is one markUnread call, from Mark until it settles.
type call struct {
	dialog    DialogID
	message   MessageID
	done      chan struct{}
	err       *Error
	settled   bool
	state     callState
	attempts  int       // requests made for it
	limited   int       // of them, answered QUERY_LIMIT_EXCEEDED
	refreshed bool      // a token refresh was already done for it
	notBefore time.Time // backing off until then
}

type callState uint8

const (
	refused callState = iota // never queued: the queue was full or the client closed
	queued                   // waiting in the queue
	sending                  // in a request under way
)

// New starts a client. cfg.Transport is required.
func New(cfg Config) *Client {
	cfg.setDefaults()
	c := &Client{
		cfg:     cfg,
		session: &session{auth: cfg.Auth, timeout: cfg.RefreshTimeout},
		closing: NewStop(),
		wake:    make(chan struct{}, 1),
		stopped: make(chan struct{}),
		bucket:  NewBucket(cfg.Rate, capacity(cfg.Rate, cfg.Burst)),
	}
	go c.dispatch()
	return c
}

// Mark marks dialog unread from message on, and returns when the call has
// settled: nil when the portal accepted it, an *Error otherwise. It gives
// up with TIMEOUT after Config.Timeout, and with the *Error abort fires
// with (ABORTED when that is nil); a call already in a request may still
// reach the portal then. abort may be nil. Mark is safe for concurrent use.
func (c *Client) Mark(abort *Stop, dialog DialogID, message MessageID) *Error {
	k := &call{dialog: dialog, message: message, done: make(chan struct{})}

	c.mu.Lock()
	var p *Progress
	switch {
	case c.closed:
		p = c.finishLocked(k, newError(CodeClosed, "the client is closed"))
	case c.stats.Queued+c.stats.InFlight >= c.cfg.QueueSize:
		p = c.finishLocked(k, newError(CodeQueueFull, strconv.Itoa(c.cfg.QueueSize)+" calls are already waiting or under way"))
	default:
		k.state = queued
		c.queue = append(c.queue, k)
		c.stats.Queued++
	}
	c.mu.Unlock()
	if k.settled {
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
	case <-abort.Done():
		gaveUp = abort.Why()
		if gaveUp == nil {
			gaveUp = newError(CodeAborted, "the call was aborted")
		}
	case <-timeout.Done():
		gaveUp = newError(CodeTimeout, "no outcome within "+c.cfg.Timeout.String())
	}
	c.mu.Lock()
	if !k.settled {
		gaveUp = withAttempts(gaveUp, k.attempts)
		if gaveUp.Code == CodeTimeout {
			gaveUp.Description += " (" + strconv.Itoa(k.attempts) + " attempts)"
		}
	}
	p = c.finishLocked(k, gaveUp)
	c.mu.Unlock()
	c.report(p)
	return k.err
}

// Refuse settles a call that never reached the queue, because its
// arguments were refused before a Client call could be made: it counts as
// settled and failed, and OnSettle hears of it like any other call.
func (c *Client) Refuse(err *Error) {
	c.mu.Lock()
	p := c.finishLocked(&call{}, err)
	c.mu.Unlock()
	c.report(p)
}

// Stats returns the client's counters now.
func (c *Client) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.statsLocked()
}

func (c *Client) statsLocked() Stats {
	s := c.stats
	s.Refreshes = c.session.refreshes()
	return s
}

// Close stops the client: calls not yet settled fail with CLIENT_CLOSED,
// and requests under way are cancelled. Close waits for the dispatcher.
func (c *Client) Close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		<-c.stopped
		return
	}
	c.closed = true
	var done []*Progress
	for _, k := range c.queue {
		if !k.settled {
			done = append(done, c.finishLocked(k, newError(CodeClosed, "the client was closed")))
		}
	}
	c.queue = nil
	c.mu.Unlock()
	c.closing.Fire(newError(CodeClosed, "the client was closed"))
	c.report(done...)
	<-c.stopped
}

// finishLocked settles k once; later settlements are ignored (and give
// nil). The Progress it returns goes to report after the lock is released.
func (c *Client) finishLocked(k *call, err *Error) *Progress {
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
	c.stats.Settled++
	if err == nil {
		c.stats.Succeeded++
	} else {
		c.stats.Failed++
	}
	return &Progress{Dialog: k.dialog, Message: k.message, Err: err, Stats: c.statsLocked()}
}

func (c *Client) report(ps ...*Progress) {
	if c.cfg.OnSettle == nil {
		return
	}
	for _, p := range ps {
		if p != nil {
			c.cfg.OnSettle(*p)
		}
	}
}

func (c *Client) poke() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// dispatch is the client's one scheduler: it sends what is ready whenever
// the bucket, the in-flight bound and any operating-time pause allow, and
// otherwise sleeps until the earliest moment one of them could change.
func (c *Client) dispatch() {
	defer close(c.stopped)
	for {
		c.mu.Lock()
		cmds, wait := c.nextLocked(time.Now())
		c.mu.Unlock()
		if cmds != nil {
			go c.send(cmds)
			continue
		}
		var alarm *time.Timer
		if wait > 0 {
			alarm = time.AfterFunc(wait, c.poke) // a stale poke costs one loop
		}
		select {
		case <-c.closing.Done():
			return
		case <-c.wake:
		}
		if alarm != nil {
			alarm.Stop()
		}
	}
}

// nextLocked takes the commands of the next request if one may go now;
// otherwise it says how long to wait (0: until woken).
func (c *Client) nextLocked(now time.Time) ([]*command, time.Duration) {
	if c.closed || c.requests >= c.cfg.MaxInFlight {
		return nil, 0
	}
	if now.Before(c.pausedUntil) {
		return nil, c.pausedUntil.Sub(now)
	}
	// Sweep settled calls and find the earliest backoff among the rest.
	live := c.queue[:0]
	var ready int
	var earliest time.Time
	for _, k := range c.queue {
		if k.settled {
			continue
		}
		live = append(live, k)
		if !k.notBefore.After(now) {
			ready++
		} else if earliest.IsZero() || k.notBefore.Before(earliest) {
			earliest = k.notBefore
		}
	}
	clear(c.queue[len(live):])
	c.queue = live
	if ready == 0 {
		if earliest.IsZero() {
			return nil, 0
		}
		return nil, earliest.Sub(now)
	}
	// Calls that arrive while a request with room to spare is under way
	// wait for it and leave together, unless they fill a request of their
	// own: page code that calls markUnread in a loop then costs a few
	// batches, not a string of single requests. A lone call never waits.
	if c.partials > 0 && ready < c.cfg.BatchSize {
		return nil, 0 // woken when that request ends
	}
	if d := c.bucket.Delay(now); d > 0 {
		return nil, d
	}
	cmds := c.takeLocked(now)
	c.bucket.Add(now)
	c.requestStartedLocked(cmds)
	c.stats.Requests++
	c.stats.Commands += len(cmds)
	if len(cmds) > 1 {
		c.stats.Batches++
	}
	return cmds, 0
}

// takeLocked removes the ready calls of up to BatchSize dialogs from the
// queue, oldest first. Calls of one dialog become one command with the
// lowest message id: marking from 12 covers marking from 15.
func (c *Client) takeLocked(now time.Time) []*command {
	merge := c.cfg.BatchSize > 1
	var cmds []*command
	byDialog := make(map[DialogID]*command)
	rest := c.queue[:0]
	for _, k := range c.queue {
		if k.notBefore.After(now) {
			rest = append(rest, k)
			continue
		}
		cmd := byDialog[k.dialog]
		if cmd == nil || !merge {
			if len(cmds) == c.cfg.BatchSize {
				rest = append(rest, k)
				continue
			}
			cmd = &command{key: "c" + strconv.Itoa(len(cmds)), dialog: k.dialog, message: k.message}
			cmds = append(cmds, cmd)
			byDialog[k.dialog] = cmd
		}
		cmd.message = min(cmd.message, k.message)
		cmd.calls = append(cmd.calls, k)
		k.state = sending
		k.attempts++
		c.stats.Queued--
		c.stats.InFlight++
	}
	clear(c.queue[len(rest):])
	c.queue = rest
	return cmds
}

func (c *Client) requestStartedLocked(cmds []*command) {
	c.requests++
	if len(cmds) < c.cfg.BatchSize {
		c.partials++
	}
}

func (c *Client) requestEndedLocked(cmds []*command) {
	c.requests--
	if len(cmds) < c.cfg.BatchSize {
		c.partials--
	}
}

// send makes one request for cmds and deals with its answer.
func (c *Client) send(cmds []*command) {
	creds, err := c.session.credentials(c.closing.Done())
	if err == nil {
		var base string
		base, err = CheckPortal(either(c.cfg.Portal, creds.Portal), c.cfg.PageSecure)
		if err == nil {
			c.post(cmds, base, creds.AccessToken)
			return
		}
	}
	c.mu.Lock()
	c.requestEndedLocked(cmds)
	var done []*Progress
	for _, cmd := range cmds {
		for _, k := range cmd.calls {
			done = append(done, c.finishLocked(k, withAttempts(err, k.attempts)))
		}
	}
	c.mu.Unlock()
	c.report(done...)
	c.poke()
}

func (c *Client) post(cmds []*command, base, token string) {
	url, body := base+"/rest/"+method, ""
	if len(cmds) == 1 {
		body = singleBody(cmds[0], token)
	} else {
		url = base + "/rest/batch"
		body = batchBody(cmds, token)
	}
	// The request ends at its timeout or when the client closes.
	stop := NewStop()
	timer := stop.FireAfter(c.cfg.RequestTimeout, newError(CodeNetwork, "no answer from the portal within "+c.cfg.RequestTimeout.String()))
	go func() {
		select {
		case <-c.closing.Done():
			stop.Fire(c.closing.Why())
		case <-stop.Done():
		}
	}()
	resp, netErr := c.cfg.Transport.Post(stop.Done(), url, body)
	timer.Stop()
	why := stop.Why()
	stop.Fire(nil) // ends the goroutine above

	verdicts := make([]verdict, len(cmds))
	var t timing
	switch {
	case netErr != nil:
		v := verdict{newError(CodeNetwork, "no answer from the portal: "+netErr.Error()), retryLater}
		if why != nil {
			v.err = withAttempts(why, 0)
		}
		for i := range verdicts {
			verdicts[i] = v
		}
	case len(cmds) == 1:
		verdicts[0], t = readSingle(resp)
	default:
		keys := make([]string, len(cmds))
		for i, cmd := range cmds {
			keys[i] = cmd.key
		}
		whole, all, each, tt := readBatch(resp, keys)
		t = tt
		for i, cmd := range cmds {
			if whole {
				verdicts[i] = all
			} else {
				verdicts[i] = each[cmd.key]
			}
		}
	}
	c.settle(cmds, verdicts, t, token)
}

// settle gives each command's callers their outcome, or queues them again.
func (c *Client) settle(cmds []*command, verdicts []verdict, t timing, token string) {
	now := time.Now()
	c.mu.Lock()
	c.requestEndedLocked(cmds)
	var limited, operating bool
	var retry []*call
	var done []*Progress
	for i, cmd := range cmds {
		v := verdicts[i]
		limited = limited || v.next == retryLimited
		operating = operating || v.next == retryAfter
		for _, k := range cmd.calls {
			if k.settled {
				continue
			}
			if again, at := c.retryLocked(k, v, now); again && !c.closed {
				if v.next == retryAuth {
					c.session.expire(token)
				}
				k.state, k.notBefore = queued, at
				c.stats.InFlight--
				c.stats.Queued++
				c.stats.Retries++
				retry = append(retry, k)
				continue
			}
			err := v.err
			if err != nil {
				err = withAttempts(err, k.attempts)
				if v.next != settle && c.closed {
					err = &Error{Code: CodeClosed, Description: "the client was closed", Attempts: k.attempts}
				} else if v.next != settle {
					err.Description += " (gave up after " + strconv.Itoa(k.attempts) + " attempts)"
				}
			}
			done = append(done, c.finishLocked(k, err))
		}
	}
	if limited {
		c.stats.Status503++
		c.bucket.Fill(now)
	}
	if operating {
		c.stats.Status429++
	}
	c.noteTimingLocked(t, operating, now)
	c.queue = append(retry, c.queue...)
	c.mu.Unlock()
	c.report(done...)
	c.poke()
}

// retryLocked decides whether k is sent again after verdict v, and when.
// Answers of a full portal bucket do not count against MaxAttempts: the
// portal said "later", the filled local bucket makes the client wait for
// it, and the call's Timeout bounds the wait. (A burst of 503s would
// otherwise spend a call's whole budget in two seconds.)
func (c *Client) retryLocked(k *call, v verdict, now time.Time) (bool, time.Time) {
	if v.next == retryLimited {
		k.limited++
	}
	if v.err == nil || v.next == settle || k.attempts-k.limited >= c.cfg.MaxAttempts {
		return false, time.Time{}
	}
	switch v.next {
	case retryAuth:
		if k.refreshed || !c.session.canRefresh() {
			return false, time.Time{}
		}
		k.refreshed = true
		return true, now // it waits for the refresh when it is sent
	case retryLimited, retryAfter:
		return true, now // the bucket, or the pause, holds it back
	}
	return true, now.Add(backoff(k.attempts - k.limited))
}

// noteTimingLocked reads the method's operating time. Once the portal
// blocked the method (limited), all sending pauses until the portal's reset
// time; near the limit, requests are spaced out.
func (c *Client) noteTimingLocked(t timing, limited bool, now time.Time) {
	var until time.Time
	switch {
	case limited && t.finish > 0 && t.operatingResetAt > t.finish:
		// Measured on the portal's clock, so a skewed page clock does not matter.
		wait := min(t.operatingResetAt-t.finish, maxOperatingWait.Seconds()) // before it can overflow
		until = now.Add(time.Duration(wait * float64(time.Second)))
	case limited: // self-hosted portals may not say when
		until = now.Add(operatingUnknownWait)
	case t.operating >= operatingSoftLimit:
		until = now.Add(operatingSpacing)
	}
	if until.After(c.pausedUntil) {
		c.pausedUntil = until
	}
}

// backoff is capped exponential backoff with jitter: the n-th retry waits
// between half and all of min(base*2^(n-1), cap).
func backoff(n int) time.Duration {
	n = max(n, 1)
	d := backoffCap
	if n < 16 {
		d = min(backoffBase<<(n-1), backoffCap)
	}
	return d/2 + time.Duration(jitter.next()%uint64(d/2+1))
}

// jitter is a xorshift generator: backoff needs spread, not quality, and
// math/rand/v2 costs the module a few KB.
var jitter = xorshift{state: uint64(time.Now().UnixNano()) | 1}

type xorshift struct {
	mu    sync.Mutex
	state uint64
}

func (x *xorshift) next() uint64 {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.state ^= x.state << 13
	x.state ^= x.state >> 7
	x.state ^= x.state << 17
	return x.state
}

func withAttempts(e *Error, attempts int) *Error {
	cp := *e
	cp.Attempts = attempts
	return &cp
}

func either(override, fallback string) string {
	if override != "" {
		return override
	}
	return fallback
}
