package unread

import (
	"strconv"
	"time"
)

// dispatch is the client's one scheduler: it sends what the Pacer lets go
// whenever it may, and otherwise sleeps until the earliest moment that
// could change, or until woken by a call or an answer.
func (c *Client) dispatch() {
	defer close(c.stopped)
	for {
		c.mu.Lock()
		r, send, wait := c.nextLocked(time.Now())
		c.mu.Unlock()
		if send {
			c.sends.Add(1)
			go func() {
				defer c.sends.Done()
				c.send(r)
			}()
			continue
		}
		var alarm *time.Timer
		if wait > 0 {
			alarm = time.AfterFunc(wait, c.poke) // a stale poke costs one loop
		}
		select {
		case <-c.closing.Done():
		case <-c.wake:
		}
		if alarm != nil {
			alarm.Stop()
		}
		if isDone(c.closing.Done()) {
			return
		}
	}
}

// nextLocked takes the next request if one may go now (with no commands,
// it asks app.info for the plan); otherwise it says how long to wait (0:
// until woken).
func (c *Client) nextLocked(now time.Time) (r request, send bool, wait time.Duration) {
	if c.closed {
		return r, false, 0
	}
	ready, oldest, earliest := c.sweepLocked(now)
	if c.askPlanLocked(now) {
		return r, true, 0
	}
	size, wait, _ := c.pacer.Next(now, ready, oldest)
	if size == 0 {
		if ready == 0 && !earliest.IsZero() {
			wait = earliest.Sub(now)
		}
		return r, false, wait
	}
	r.cmds = c.takeLocked(now, size)
	r.beyond = c.pacer.Sent(now, len(r.cmds))
	return r, true, 0
}

// sweepLocked counts the calls ready at now, up to a full request's worth,
// with the arrival of the first of them, and, when none is ready, the
// earliest moment a held call becomes one. It stops as soon as it has a
// full request's worth: page code that queues 10,000 calls one by one
// would otherwise pay for a scan of the whole queue at each of them.
// Settled calls are skipped here and dropped by takeLocked.
func (c *Client) sweepLocked(now time.Time) (ready int, oldest, earliest time.Time) {
	for i := range c.lanes {
		for _, k := range c.lanes[i].calls {
			if k.settled {
				continue
			}
			if k.notBefore.After(now) {
				if earliest.IsZero() || k.notBefore.Before(earliest) {
					earliest = k.notBefore
				}
				continue
			}
			if ready == 0 {
				oldest = k.queuedAt
			}
			if ready++; ready >= c.cfg.BatchSize {
				return ready, oldest, earliest
			}
		}
	}
	return ready, oldest, earliest
}

// takeLocked removes the ready calls of up to size dialogs from the lanes,
// interactive first, oldest first. Calls of one dialog taken together
// become one command with the lowest message id: marking from 12 covers
// marking from 15.
func (c *Client) takeLocked(now time.Time, size int) []*command {
	merge := c.cfg.BatchSize > 1
	var cmds []*command
	byDialog := make(map[DialogID]*command)
	for i := range c.lanes {
		ln := &c.lanes[i]
		rest := ln.calls[:0]
		for j, k := range ln.calls {
			if len(cmds) == size {
				// Full: the rest wait for a later request, unscanned, so a
				// queue of 10,000 costs a request no more than a full one.
				rest = append(rest, ln.calls[j:]...)
				break
			}
			if k.settled {
				continue
			}
			if k.notBefore.After(now) {
				rest = append(rest, k)
				continue
			}
			cmd := byDialog[k.dialog]
			if cmd == nil || !merge {
				cmd = &command{key: "c" + strconv.Itoa(len(cmds)), dialog: k.dialog, message: k.message}
				cmds = append(cmds, cmd)
				byDialog[k.dialog] = cmd
			}
			cmd.message = min(cmd.message, k.message)
			cmd.calls = append(cmd.calls, k)
			k.state, k.awaitingToken = sending, true
			c.stats.Queued--
			c.stats.InFlight++
		}
		clear(ln.calls[len(rest):])
		ln.calls = rest
	}
	return cmds
}

// answered gives each command's callers their outcome, or queues them
// again. vs holds one verdict per command; t is the envelope's timing;
// reached is false when no answer came.
func (c *Client) answered(r request, vs []verdict, t timing, token string, reached bool) {
	cmds := r.cmds
	now := time.Now()
	c.mu.Lock()
	confirmed := c.pacer.confirmed // before this answer could change it
	c.pacer.Ended(len(cmds), reached)
	envelope := method
	if len(cmds) > 1 {
		envelope = "batch"
	}
	if reached && vs[0].next != batchBlocked {
		c.pacer.Observe(now, envelope, t)
	}
	var full, blocked, demoted bool
	var batchHeld time.Time
	for i := range cmds {
		if len(cmds) > 1 && vs[i].err == nil {
			c.pacer.Observe(now, method, vs[i].timing)
		}
		full = full || vs[i].next == bucketFull
		blocked = blocked || vs[i].next == methodBlocked || vs[i].next == batchBlocked
		if vs[i].next == batchBlocked && i == 0 {
			until := c.pacer.BatchBlocked(now)
			batchHeld = until
			c.log(LogEvent{Kind: LogBlocked, Code: CodeOperatingLimit, Text: "batch is blocked by the portal's operating-time limit: commands go as single requests", Wait: until.Sub(now), Commands: len(cmds)})
		}
	}
	var retried int
	var held time.Time
	var done []*Progress
	for _, v := range vs {
		if v.err != nil && v.err.Code == CodePortalMoved && c.moved == nil {
			// Every later request would meet the same redirect: the calls
			// waiting fail now, without one.
			c.moved = withAttempts(v.err, 0)
			for i := range c.lanes {
				for _, k := range c.lanes[i].calls {
					done = append(done, c.settleLocked(k, withAttempts(v.err, k.attempts)))
				}
			}
		}
	}
	for i, cmd := range cmds {
		v := vs[i]
		for _, k := range cmd.calls {
			if k.settled {
				continue
			}
			k.last = v.err
			if again, at := c.retry(k, v, now); again && !c.closed {
				if v.next == tokenRefused {
					c.session.expire(token)
				}
				if v.next == methodBlocked {
					held = later(held, at)
				}
				k.queuedAt = now
				c.requeueLocked(k, at)
				c.stats.Retries++
				retried++
				continue
			}
			done = append(done, c.settleLocked(k, c.finalError(k, v)))
		}
	}
	if full {
		c.stats.Status503++
		c.pacer.Full(now)
		if r.beyond && !confirmed {
			demoted = c.demotePlanLocked(now)
		}
		c.log(LogEvent{Kind: LogBucketFull, Code: CodeQueryLimit, Text: "the portal's bucket was full: sending slows to its drain rate", Wait: c.pacer.bucket.Delay(now)})
	}
	if blocked {
		c.stats.Status429++
	}
	if !held.IsZero() {
		c.log(LogEvent{Kind: LogBlocked, Code: CodeOperatingLimit, Text: method + " is blocked by the portal's operating-time limit: its calls wait until it reopens", Wait: held.Sub(now)})
	}
	if retried > 0 {
		code := ""
		for _, v := range vs {
			if v.err != nil {
				code = v.err.Code
				break
			}
		}
		c.log(LogEvent{Kind: LogRetry, Code: code, Text: strconv.Itoa(retried) + " calls go again", Commands: retried})
	}
	base := c.base
	c.mu.Unlock()
	if c.cfg.Shared != nil {
		if full {
			c.cfg.Shared.Full(base)
		}
		if !held.IsZero() {
			c.cfg.Shared.Hold(base, method, held.UnixMilli())
		}
		if !batchHeld.IsZero() {
			c.cfg.Shared.Hold(base, "batch", batchHeld.UnixMilli())
		}
	}
	if demoted && c.cfg.Plans != nil {
		c.cfg.Plans.Remember(base, StandardPlan) // the larger plan is not to be recalled
	}
	c.report(done...)
	c.poke()
}

// maxHeardHolds bounds the holds a client keeps before it knows its
// portal: a method or two, of a portal or two.
const maxHeardHolds = 8

// hold is another client's word that a method of a portal is blocked.
type hold struct {
	portal, method string
	until          time.Time
}

// Held hears, through the SharedBudget, that another client of the app met
// OPERATION_TIME_LIMIT: method of portal is blocked until until. This
// client's calls of it wait (Pacer.Hold) rather than meet the block too.
func (c *Client) Held(portal, blocked string, until time.Time) {
	c.mu.Lock()
	defer c.poke()
	defer c.mu.Unlock()
	if c.base == "" {
		if len(c.holds) < maxHeardHolds {
			c.holds = append(c.holds, hold{portal, blocked, until})
		}
		return
	}
	now := time.Now()
	if portal == c.base && c.pacer.Hold(now, blocked, until) {
		c.log(LogEvent{Kind: LogBlocked, Code: CodeOperatingLimit, Text: "another client of the app met " + blocked + "'s operating-time limit: calls wait until it reopens", Wait: until.Sub(now)})
	}
}

// deferHeld puts r's calls back in line when, since r was taken, the
// client heard that another client met the block r would meet (the first
// request of a client learns its portal, and so its holds, only as it is
// sent). It says whether it did.
func (c *Client) deferHeld(r request) bool {
	c.mu.Lock()
	now := time.Now()
	held := now.Before(c.pacer.heldUntil)
	single := len(r.cmds) > 1 && now.Before(c.pacer.batchUntil) // they go again one by one
	if !held && !single {
		c.mu.Unlock()
		return false
	}
	at := now
	if held {
		at = c.pacer.heldUntil
	}
	c.pacer.Ended(len(r.cmds), false)
	for _, cmd := range r.cmds {
		for _, k := range cmd.calls {
			if k.settled {
				continue
			}
			c.requeueLocked(k, at)
		}
	}
	c.mu.Unlock()
	c.poke()
	return true
}

// requeueLocked puts k, taken into a request, back at the head of its
// lane, to go again at or after at.
func (c *Client) requeueLocked(k *call, at time.Time) {
	k.state, k.notBefore, k.awaitingToken = queued, at, false
	c.stats.InFlight--
	c.stats.Queued++
	ln := c.laneOf(k)
	ln.calls = append([]*call{k}, ln.calls...)
}

// finalError is the error k settles with after v, or nil for success.
func (c *Client) finalError(k *call, v verdict) *Error {
	if v.err == nil {
		return nil
	}
	err := withAttempts(v.err, k.attempts)
	if v.next != final && c.closed {
		return &Error{Code: CodeClosed, Description: "the client was closed", Attempts: k.attempts}
	}
	if v.next != final {
		err.Description += " (gave up after " + attemptsText(k.attempts) + ")"
	}
	return err
}

// unsent settles the calls of a request that never left: no token, a
// portal the token may not go to, or the client closed.
func (c *Client) unsent(r request, err *Error) {
	cmds := r.cmds
	c.mu.Lock()
	c.pacer.Ended(len(cmds), false)
	if cmds == nil && c.plan == planAsking {
		c.plan = planUnknown
	}
	var done []*Progress
	for _, cmd := range cmds {
		for _, k := range cmd.calls {
			done = append(done, c.settleLocked(k, withAttempts(err, k.attempts)))
		}
	}
	c.mu.Unlock()
	c.report(done...)
	c.poke()
}

// abandoned counts a request given up on without an answer.
func (c *Client) abandoned() {
	c.mu.Lock()
	c.stats.Abandoned++
	c.mu.Unlock()
	c.log(LogEvent{Kind: LogAbandoned, Code: CodeNetwork, Text: "a request got no answer in time and was given up on"})
}

// whyLocked says, for a call that timed out, what it was waiting for.
func (c *Client) whyLocked(k *call) string {
	s := ""
	switch {
	case k.state == sending && k.awaitingToken:
		s = "the auth source gave no token in time (a token refresh may not have answered)"
	case k.state == sending:
		s = "a request under way did not answer"
	case k.last != nil && k.last.Code == CodeOperatingLimit:
		s = method + " was blocked by the portal's operating-time limit until at least " + time.Until(k.notBefore).Round(time.Second).String() + " from now"
	case k.last != nil && k.last.Code == CodeQueryLimit:
		s = "the portal's bucket stayed full (QUERY_LIMIT_EXCEEDED)"
	case k.last != nil:
		s = "the last attempt ended with " + k.last.Code + ": " + k.last.Description
	default:
		_, _, why := c.pacer.Next(time.Now(), 1, k.queuedAt)
		s = waitText(why)
	}
	return s + " (" + attemptsText(k.attempts) + ")"
}

func waitText(w Wait) string {
	switch w {
	case WaitFlight:
		return "the most requests were under way"
	case WaitProbe:
		return "the first request had not answered"
	case WaitBucket:
		return "the portal's bucket had no room"
	case WaitSpacing:
		return "requests were spaced out near the portal's operating-time budget"
	case WaitHeld:
		return "another client of the app in this browser met " + method + "'s operating-time limit"
	}
	return "waiting for a token"
}
