package unread

import (
	"time"
)

// otherApp is another app on the same portal and address: it spends the
// same bucket (docs/bitrix24.md#f-rate-bucket), and the client cannot see
// it. Steady: request k is due at start + k/perSecond and takes room at the
// first instant at or after that the bucket has some (a client paced by a
// limiter that knows the room), never refused. Bursts: burst requests at
// start + every, 2×every, ..., each refused when there is no room; a
// refused one goes again once 1/rate + 1 s has passed (the official SDK's
// first wait after QUERY_LIMIT_EXCEEDED), at the first instant from then on
// that the bucket has room, and is not refused twice, as the bench's
// emulator plays it (devportal.OtherApp). It is played into the bucket, in
// time order, before each of the client's requests, so it needs no timers.
type otherApp struct {
	perSecond float64
	burst     int
	every     time.Duration
	start     time.Time
	stop      time.Time // zero: never stops

	sent, bursts int
	retries      []time.Time // refused burst requests: when each may go again
	requests     int         // admitted
	refused      int
}

// play takes into p's bucket every request of the other app due by now.
func (o *otherApp) play(p *fakePortal, now time.Time) {
	if !o.stop.IsZero() && now.After(o.stop) {
		now = o.stop
	}
	for {
		var next, steadyAt, burstAt time.Time
		if o.perSecond > 0 {
			due := o.start.Add(time.Duration(float64(o.sent+1) / o.perSecond * float64(time.Second)))
			steadyAt = p.roomAt(due)
			next = steadyAt
		}
		if o.burst > 0 {
			burstAt = o.start.Add(time.Duration(o.bursts+1) * o.every)
			if next.IsZero() || burstAt.Before(next) {
				next = burstAt
			}
		}
		var retryAt time.Time
		if len(o.retries) > 0 {
			retryAt = p.roomAt(o.retries[0])
			if next.IsZero() || retryAt.Before(next) {
				next = retryAt
			}
		}
		if !steadyAt.IsZero() && steadyAt.After(now) && !steadyAt.After(now.Add(time.Microsecond)) {
			next, steadyAt = now, now // a tie: the other app's request was due first
		}
		if !retryAt.IsZero() && retryAt.After(now) && !retryAt.After(now.Add(time.Microsecond)) {
			next, retryAt = now, now
		}
		if next.IsZero() || next.After(now) {
			return
		}
		switch {
		case !retryAt.IsZero() && next.Equal(retryAt):
			if p.take(retryAt) || p.takeTie(retryAt) {
				o.retries = o.retries[1:]
				o.requests++
			}
		case o.burst > 0 && next.Equal(burstAt):
			o.bursts++
			for range o.burst {
				if p.take(burstAt) {
					o.requests++
					continue
				}
				o.refused++
				o.retries = append(o.retries, burstAt.Add(time.Duration((1/p.rate+1)*float64(time.Second))))
			}
		default:
			if p.take(steadyAt) || p.takeTie(steadyAt) {
				o.sent++
				o.requests++
			}
		}
	}
}

// takeTie takes room that the rounding of roomAt left a hair short.
func (p *fakePortal) takeTie(at time.Time) bool {
	p.drain(at)
	if p.level+1 > p.burst+1e-6 {
		return false
	}
	p.level = min(p.level+1, p.burst)
	return true
}
