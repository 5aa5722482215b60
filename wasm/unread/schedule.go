package unread

import (
	"strconv"

	"github.com/markunread/markunread/wasm/internal/time"
)

// dispatch is the client's one scheduler: it sends what the Pacer lets go
// whenever it may, and otherwise sleeps until the earliest moment that
// could change, or until woken by a call or an answer.
func (c *Client) dispatch() {
	defer close(c.stopped)
	for {
		c.mu.Lock()
		r, send, wait := c.nextLocked(time.Now())
		if send {
			c.sends++
		}
		c.mu.Unlock()
		if send {
			go func() {
				defer c.sendEnded()
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

// waitSends returns when no request is under way.
func (c *Client) waitSends() {
	c.mu.Lock()
	if c.sends == 0 {
		c.mu.Unlock()
		return
	}
	if c.sendsDone == nil {
		c.sendsDone = make(chan struct{})
	}
	done := c.sendsDone
	c.mu.Unlock()
	<-done
}

// sendEnded counts one request less under way.
func (c *Client) sendEnded() {
	c.mu.Lock()
	if c.sends--; c.sends == 0 && c.sendsDone != nil {
		close(c.sendsDone)
		c.sendsDone = nil
	}
	c.mu.Unlock()
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
// marking from 15. A request holds at most 50 commands, so a dialog's
// command is found by a scan of them: cheaper than a map to build for
// each request, and without a map type's code and data in the module.
func (c *Client) takeLocked(now time.Time, size int) []*command {
	merge := c.cfg.BatchSize > 1
	var cmds []*command
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
			var cmd *command
			if merge {
				cmd = commandOf(cmds, k.dialog)
			}
			if cmd == nil {
				cmd = &command{key: "c" + strconv.Itoa(len(cmds)), dialog: k.dialog, message: k.message}
				cmds = append(cmds, cmd)
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

func commandOf(cmds []*command, d DialogID) *command {
	for _, cmd := range cmds {
		if cmd.dialog == d {
			return cmd
		}
	}
	return nil
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
