package unread

import "github.com/markunread/markunread/wasm/internal/time"

// LogEvent is one thing the client did that a caller cannot see. Kind is
// one of the Log* constants; the other fields are set where they apply.
type LogEvent struct {
	Kind     string
	Code     string        // the portal's or the module's code behind it
	Text     string        // a sentence for people
	Wait     time.Duration // how long sending waits because of it
	Commands int           // commands concerned
}

// Kinds of LogEvent.
const (
	LogRetry      = "retry"       // calls go again after an answer that did not settle them
	LogBucketFull = "bucket-full" // the portal's bucket was full: sending slows to its drain rate
	LogBlocked    = "blocked"     // a method's operating time ran out: its calls wait
	LogRefresh    = "refresh"     // the token is being refreshed
	LogPlan       = "plan"        // the portal's plan was learned or recalled
	LogAbandoned  = "abandoned"   // a request was given up on without an answer
	LogShare      = "share"       // what other apps spend of the portal's bucket, as the client now believes
)

// log hands e to OnLog, in order, from a goroutine of its own: it may be
// called with locks held, and OnLog may call back into the client.
func (c *Client) log(e LogEvent) {
	if c.cfg.OnLog == nil {
		return
	}
	c.logMu.Lock()
	c.logs = append(c.logs, e)
	c.logMu.Unlock()
	select {
	case c.logWake <- struct{}{}:
	default:
	}
}

func (c *Client) forwardLogs() {
	for {
		select {
		case <-c.logWake:
		case <-c.closing.Done():
			return
		}
		c.logMu.Lock()
		events := c.logs
		c.logs = nil
		c.logMu.Unlock()
		for _, e := range events {
			c.cfg.OnLog(e)
		}
	}
}
