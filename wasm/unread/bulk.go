package unread

import (
	"sync/atomic"

	"github.com/markunread/markunread/wasm/internal/time"
)

// job is one bulk request of many marks: its calls share one timeout and
// one abort, and settle through each rather than through a goroutine that
// waits on every call, so a job of 100,000 marks costs one timer and one
// goroutine, not 100,000 of each.
type job struct {
	calls []*call
	each  func(i int, err *Error)
	left  atomic.Int64
	done  chan struct{}
	timer *time.Timer
	why   *Error // the abort, once it fired (guarded by the client's mu)
}

// MarkMany queues marks as one bulk job (Bulk is implied) and returns at
// once; each(i, err) is called once for marks[i], as it settles, from any
// goroutine. Arguments are checked as Mark checks them. The job's marks
// give up together after Config.Timeout, or when abort fires. The channel
// it returns closes once every mark has settled and each has returned for
// it.
func (c *Client) MarkMany(marks []MarkRequest, abort *Stop, each func(i int, err *Error)) <-chan struct{} {
	j := &job{calls: make([]*call, len(marks)), each: each, done: make(chan struct{})}
	j.left.Store(int64(len(marks)))
	if len(marks) == 0 {
		close(j.done)
		return j.done
	}
	j.timer = time.AfterFunc(c.cfg.Timeout, func() { c.giveUp(j, nil) })
	var done []*Progress
	c.mu.Lock()
	now := time.Now()
	for i, r := range marks {
		k := &call{bulk: true, job: j, index: i}
		j.calls[i] = k
		if err := c.admitLocked(k, r, abort, now); err != nil {
			done = append(done, c.settleLocked(k, err))
		}
	}
	c.mu.Unlock()
	c.report(done...)
	c.poke()
	go func() {
		select {
		case <-abort.Done():
			c.giveUp(j, aborted(abort))
		case <-j.done:
		}
	}()
	return j.done
}

// giveUp settles what is left of j: with why (an abort), or with TIMEOUT.
// An abort leaves a call already taken into a request to that request's
// answer, since the portal may have marked it (the page is told what
// happened); if the answer sends it again, it settles with why instead
// (jobAborted). A timeout settles every call.
func (c *Client) giveUp(j *job, why *Error) {
	var done []*Progress
	c.mu.Lock()
	if why != nil {
		j.why = why
	}
	for _, k := range j.calls {
		if k.settled || why != nil && k.state == sending {
			continue
		}
		err := why
		if err == nil {
			err = newError(CodeTimeout, "no outcome within "+c.cfg.Timeout.String()+": "+c.whyLocked(k))
		}
		done = append(done, c.settleLocked(k, withAttempts(err, k.attempts)))
	}
	c.mu.Unlock()
	c.report(done...)
}

// settled tells j that its i-th call settled with err.
func (j *job) settled(i int, err *Error) {
	j.each(i, err)
	if j.left.Add(-1) == 0 {
		j.timer.Stop()
		close(j.done)
	}
}

// jobAborted is the abort of k's job, if it fired: k is not to go again.
func (k *call) jobAborted() *Error {
	if k.job == nil {
		return nil
	}
	return k.job.why
}
