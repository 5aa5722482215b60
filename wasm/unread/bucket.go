package unread

import "github.com/markunread/markunread/wasm/internal/time"

// Bucket is a leaky bucket, the model of the portal's own limiter: every
// request adds 1 to a level that drains continuously at Rate per second,
// and a request that would lift the level past Burst is refused (the portal
// answers 503 QUERY_LIMIT_EXCEEDED). Mirroring the portal's arithmetic,
// rather than approximating it with a token bucket, is what lets the client
// spend the whole burst without ever being refused.
//
// It is written here rather than imported: golang.org/x/time/rate imports
// fmt for one error message, which alone costs about 120 KB brotli in the
// module. Times are passed in, so tests need no clock.
//
// The zero value is not usable; make one with NewBucket. A Bucket is not
// safe for concurrent use; the Client guards it with its mutex.
type Bucket struct {
	rate  float64 // drain per second
	burst float64
	level float64
	at    time.Time // when level was last brought up to date
}

// NewBucket returns an empty bucket draining at rate per second that holds
// burst requests. rate and burst must be positive.
func NewBucket(rate float64, burst int) *Bucket {
	return &Bucket{rate: rate, burst: float64(burst)}
}

func (b *Bucket) drain(now time.Time) {
	if !b.at.IsZero() && now.After(b.at) {
		b.level -= now.Sub(b.at).Seconds() * b.rate
		if b.level < 0 {
			b.level = 0
		}
	}
	if now.After(b.at) {
		b.at = now
	}
}

// Delay is how long from now until one more request fits: 0 when it fits
// at once. It rounds up to the millisecond so a caller that sleeps that
// long finds the request fits.
func (b *Bucket) Delay(now time.Time) time.Duration {
	b.drain(now)
	over := b.level + 1 - b.burst
	if over <= 0 {
		return 0
	}
	d := time.Duration(over / b.rate * float64(time.Second))
	return d.Truncate(time.Millisecond) + time.Millisecond
}

// SetRate drains the bucket at rate from now on.
func (b *Bucket) SetRate(now time.Time, rate float64) {
	if rate != b.rate {
		b.drain(now)
		b.rate = rate
	}
}

// Add counts one request sent at now, whether or not it fitted.
func (b *Bucket) Add(now time.Time) {
	b.drain(now)
	b.level++
}

// Fill sets the level to the brim: the portal said its bucket is full
// (someone else spent it), so the next request waits one drain step.
func (b *Bucket) Fill(now time.Time) {
	b.drain(now)
	b.level = b.burst
}

// Level is the bucket's level at now, for tests and stats.
func (b *Bucket) Level(now time.Time) float64 {
	b.drain(now)
	return b.level
}
