package unread

import (
	"strconv"

	"github.com/markunread/markunread/wasm/internal/time"
)

// What each call comes to: after an answer, settled or sent again; a
// request that never left; a call that timed out, and why.

// answered gives each command's callers their outcome, or queues them
// again. vs holds one verdict per command; t is the envelope's timing;
// reached is false when no answer came (failedFetch: the fetch failed once
// sent). The Pacer learns from the answer first; the other clients of the
// app hear what concerns them after the lock is released.
func (c *Client) answered(r request, vs []verdict, t timing, token string, reached, failedFetch bool) {
	now := time.Now()
	c.mu.Lock()
	l := c.pacer.Answered(now, reply{sent: r.sent, app: r.app, commands: len(r.cmds), reached: reached, beyond: r.beyond,
		failedFetch: failedFetch, envelope: t, verdicts: vs})
	done := c.portalMovedLocked(vs)
	var retried int
	var held time.Time
	for i, cmd := range r.cmds {
		for _, k := range cmd.calls {
			p, again, at := c.settleOrRetryLocked(k, vs[i], token, now)
			done = append(done, p)
			if again {
				retried++
			}
			if again && vs[i].next == methodBlocked {
				held = later(held, at)
			}
		}
	}
	news := c.noteAnswerLocked(now, vs, l, held, retried)
	c.mu.Unlock()
	c.tellOthers(news)
	c.report(done...)
	c.poke()
}

// settleOrRetryLocked settles k with what v says, or puts it back in line
// to go again at at, as the retry policy decides (retry.go).
func (c *Client) settleOrRetryLocked(k *call, v verdict, token string, now time.Time) (p *Progress, again bool, at time.Time) {
	if k.settled {
		return nil, false, time.Time{}
	}
	k.last = v.err
	again, at = c.retry(k, v, now)
	if why := k.jobAborted(); again && why != nil {
		return c.settleLocked(k, withAttempts(why, k.attempts)), false, time.Time{}
	}
	if !again || c.closed {
		return c.settleLocked(k, c.finalError(k, v)), false, time.Time{}
	}
	if v.next == tokenRefused {
		c.session.expire(token)
	}
	k.queuedAt = now
	c.requeueLocked(k, at)
	c.stats.Retries++
	return nil, true, at
}

// portalMovedLocked: the first answer that the portal moved fails every
// call waiting, without a request, since every later request would meet
// the same redirect; later calls fail with it too (admitLocked).
func (c *Client) portalMovedLocked(vs []verdict) []*Progress {
	var done []*Progress
	for _, v := range vs {
		if v.err == nil || v.err.Code != CodePortalMoved || c.moved != nil {
			continue
		}
		c.moved = withAttempts(v.err, 0)
		for i := range c.lanes {
			for _, k := range c.lanes[i].calls {
				done = append(done, c.settleLocked(k, withAttempts(v.err, k.attempts)))
			}
		}
	}
	return done
}

// news is what the other clients of the app hear of an answer.
type news struct {
	base       string
	full       bool
	held       time.Time // the mark method is blocked until then
	batchUntil time.Time // batch itself is blocked until then
	demoted    bool      // the larger plan was disproved
	share      shareNews
}

// noteAnswerLocked counts and logs what an answer did (held: the mark
// method's calls wait until then; retried calls go again), demotes a plan
// the answer disproved, and says what the other clients are to hear.
func (c *Client) noteAnswerLocked(now time.Time, vs []verdict, l learned, held time.Time, retried int) news {
	n := news{base: c.base, full: l.full, held: held, batchUntil: l.batchUntil, share: l.share}
	if l.share.told {
		c.logShare(l.share, "")
	}
	if !l.batchUntil.IsZero() {
		c.log(LogEvent{Kind: LogBlocked, Code: CodeOperatingLimit, Text: "batch is blocked by the portal's operating-time limit: commands go as single requests", Wait: l.batchUntil.Sub(now), Commands: len(vs)})
	}
	if l.full {
		c.stats.Status503++
		n.demoted = l.demote && c.demotePlanLocked(now)
		c.log(LogEvent{Kind: LogBucketFull, Code: CodeQueryLimit, Text: "the portal's bucket was full: sending slows to its drain rate", Wait: l.wait})
	}
	for _, v := range vs {
		if v.next == methodBlocked || v.next == batchBlocked {
			c.stats.Status429++
			break
		}
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
	return n
}

// tellOthers hands n to the shared budget and the plan store: page code,
// called without the lock held.
func (c *Client) tellOthers(n news) {
	if s := c.cfg.Shared; s != nil {
		if n.full {
			s.Full(n.base)
		}
		if !n.held.IsZero() {
			s.Hold(n.base, method, n.held.UnixMilli())
		}
		if !n.batchUntil.IsZero() {
			s.Hold(n.base, "batch", n.batchUntil.UnixMilli())
		}
		if n.share.tell {
			s.Room(n.base, n.share.belief)
		}
	}
	if n.demoted && c.cfg.Plans != nil {
		c.cfg.Plans.Remember(n.base, StandardPlan) // the larger plan is not to be recalled
	}
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
		return "the requests that went first had not answered (while the bucket's level is unknown, requests go a few at a time)"
	case WaitBucket:
		return "the portal's bucket had no room"
	case WaitSpacing:
		return "requests were spaced out near the portal's operating-time budget"
	case WaitHeld:
		return "another client of the app in this browser met " + method + "'s operating-time limit"
	case WaitShared:
		return "the app's shared budget had not let the request before it go"
	}
	return "waiting for a token"
}
