package devportal

import (
	"math"
	"time"
)

// leakyBucket is the portal's request limiter, modelled on Bitrix24's own:
//
//   - a counter (level) drains continuously at rate per second and never goes below 0;
//   - each request first drains the counter for the time elapsed since the last request,
//     then, if level+1 > burst, it is refused (HTTP 503 QUERY_LIMIT_EXCEEDED) and the
//     counter is left unchanged; otherwise the counter rises by 1 and the request proceeds.
//
// So a full bucket of 50 at 2/s admits 50 requests at once, then one request every 0.5 s.
// A batch is one request. The counter starts at the configured prefill (capped at burst),
// which models another application having already used the portal's bucket.
type leakyBucket struct {
	rate  float64 // drain per second
	burst float64 // capacity
	level float64
	last  time.Time
}

func newLeakyBucket(rate float64, burst int, prefill float64, now time.Time) leakyBucket {
	b := leakyBucket{rate: rate, burst: float64(burst), last: now}
	b.level = min(max(prefill, 0), b.burst)
	return b
}

// epsilon absorbs float rounding so that exactly-drained capacity counts as free.
const epsilon = 1e-9

func (b *leakyBucket) drain(now time.Time) {
	if now.After(b.last) {
		b.level = max(0, b.level-now.Sub(b.last).Seconds()*b.rate)
		b.last = now
	}
}

// take reports whether a request arriving at now is admitted, and if so counts it.
func (b *leakyBucket) take(now time.Time) bool {
	b.drain(now)
	if b.level+1 > b.burst+epsilon {
		return false
	}
	b.level++
	return true
}

// roomAt is the first instant, not before the last one the bucket saw, at which a request
// would be admitted if none came in between. It rounds up to the nanosecond (a thousandth
// of one is float noise, within epsilon), so that take at that instant finds the room.
func (b *leakyBucket) roomAt() time.Time {
	over := b.level + 1 - b.burst
	if over <= epsilon {
		return b.last
	}
	return b.last.Add(time.Duration(math.Ceil(over/b.rate*float64(time.Second) - 1e-3)))
}
