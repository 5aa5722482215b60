package unread

import "github.com/markunread/markunread/wasm/internal/time"

// Other clients' holds: another client of the app in this browser met
// OPERATION_TIME_LIMIT (docs/bitrix24.md#f-otl-limit), and this client's
// calls of the method wait rather than meet the block too. The word comes
// through the SharedBudget (Client.Held); until the client knows its
// portal, the holds it heard wait in Client.holds; the Pacer keeps the
// ones of its portal (Hold) and says whether a request taken before it
// heard of one may still leave (Withdraw).

// maxHeardHolds bounds the holds a client keeps before it knows its
// portal: a method or two, of a portal or two.
const maxHeardHolds = 8

// holdGrace: a client told of another's block waits this much past it,
// so the other's probe goes first and can say the block goes on.
const holdGrace = time.Second

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

// takeHeldLocked gives the Pacer the holds heard for base before the
// client knew its portal, and forgets the rest.
func (c *Client) takeHeldLocked(base string, now time.Time) {
	for _, h := range c.holds {
		if h.portal == base {
			c.pacer.Hold(now, h.method, h.until)
		}
	}
	c.holds = nil
}

// deferHeld puts r's calls back in line when, since r was taken, the
// client heard that another client met the block r would meet (the first
// request of a client learns its portal, and so its holds, only as it is
// sent). It says whether it did.
func (c *Client) deferHeld(r request) bool {
	c.mu.Lock()
	at, withdrawn := c.pacer.Withdraw(time.Now(), len(r.cmds))
	if !withdrawn {
		c.mu.Unlock()
		return false
	}
	var done []*Progress
	for _, cmd := range r.cmds {
		for _, k := range cmd.calls {
			if why := k.jobAborted(); why != nil {
				done = append(done, c.settleLocked(k, withAttempts(why, k.attempts)))
			} else if !k.settled {
				c.requeueLocked(k, at)
			}
		}
	}
	c.mu.Unlock()
	c.report(done...)
	c.poke()
	return true
}

// Hold takes another client's OPERATION_TIME_LIMIT (docs/bitrix24.md#f-otl-limit):
// blocked (a method) is blocked until until. For the mark method no request leaves
// before until plus holdGrace; for batch, requests carry one command each
// until then. A hold already past, beyond any block, or of another method
// is ignored; Hold says whether it took it.
func (p *Pacer) Hold(now time.Time, blocked string, until time.Time) bool {
	if !until.After(now) || until.After(now.Add(maxOperatingWait)) {
		return false
	}
	switch blocked {
	case method:
		p.heldUntil = later(p.heldUntil, until.Add(holdGrace))
	case "batch":
		p.batchUntil = later(p.batchUntil, until)
	default:
		return false
	}
	return true
}

// Withdraw says whether a request of n commands, taken before the Pacer
// heard of a hold, must not leave at now after all: the marks are held,
// or it carries several commands while batch is blocked. Then it counts
// as ended unsent, and its calls may go again at at.
func (p *Pacer) Withdraw(now time.Time, n int) (at time.Time, withdrawn bool) {
	switch {
	case now.Before(p.heldUntil):
		at = p.heldUntil
	case n > 1 && now.Before(p.batchUntil):
		at = now // they go again one by one
	default:
		return time.Time{}, false
	}
	p.Ended(n, false)
	return at, true
}
