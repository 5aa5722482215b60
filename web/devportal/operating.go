package devportal

import (
	"math"
	"time"
)

// operatingLog is one method's operating-time record: the execution time of each call
// (CommandCost when configured, else the measured time) with when it ran. The sum over the
// sliding window (default 10 min) is the method's "operating" time; while it is past the
// budget (default 480 s) the method answers 429 OPERATION_TIME_LIMIT, and
// operating_reset_at is the moment enough entries leave the window to bring the sum back
// within the budget. Caller holds mu.
type operatingLog struct {
	entries []opEntry
}

type opEntry struct {
	at   time.Time
	cost time.Duration
}

func (l *operatingLog) prune(now time.Time, window time.Duration) {
	cut := 0
	for cut < len(l.entries) && !l.entries[cut].at.Add(window).After(now) {
		cut++
	}
	l.entries = l.entries[cut:]
}

func (l *operatingLog) sum() time.Duration {
	var s time.Duration
	for _, e := range l.entries {
		s += e.cost
	}
	return s
}

// status returns the operating sum at now, whether the method is blocked, and the reset
// time (Unix seconds): when blocked, when enough drops out; otherwise when the oldest entry
// (or, with none, a call made now) leaves the window.
func (l *operatingLog) status(now time.Time, window, budget time.Duration) (sum time.Duration, blocked bool, resetAt int64) {
	l.prune(now, window)
	sum = l.sum()
	reset := now.Add(window)
	if len(l.entries) > 0 {
		reset = l.entries[0].at.Add(window)
	}
	if sum > budget {
		blocked = true
		left := sum
		for _, e := range l.entries {
			left -= e.cost
			if left <= budget {
				reset = e.at.Add(window)
				break
			}
		}
	}
	return sum, blocked, ceilUnix(reset)
}

func (l *operatingLog) add(at time.Time, cost time.Duration) {
	l.entries = append(l.entries, opEntry{at, cost})
}

func ceilUnix(t time.Time) int64 {
	return int64(math.Ceil(float64(t.UnixNano()) / 1e9))
}

func (p *Portal) opLog(method string) *operatingLog {
	l := p.op[method]
	if l == nil {
		l = &operatingLog{}
		p.op[method] = l
	}
	return l
}
