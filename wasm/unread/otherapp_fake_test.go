package unread

import (
	"time"
)

// otherApp is another app on the same portal and address: it spends the
// same bucket (docs/bitrix24.md#f-rate-bucket), and the client cannot see
// it. Steady: request k is due at start + k/perSecond and takes room at the
// first instant at or after that the bucket has some (a client paced by a
// limiter that knows the room), never refused. Bursts: burst requests at
// start + every, 2×every, ..., each refused when there is no room and sent
// again 1/rate + 1 s later (the official SDK's first wait after
// QUERY_LIMIT_EXCEEDED), up to 10 times, as the bench's emulator does. It is played into the bucket, in time order, before each of the
// client's requests, so it needs no timers.
type otherApp struct {
	perSecond float64
	burst     int
	every     time.Duration
	start     time.Time
	stop      time.Time // zero: never stops

	sent, bursts int
	retries      []otherRetry
	requests     int // admitted
	refused      int
	gaveUp       int
}

type otherRetry struct {
	at       time.Time
	attempts int
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
		if len(o.retries) > 0 && (next.IsZero() || o.retries[0].at.Before(next)) {
			next = o.retries[0].at
		}
		if !steadyAt.IsZero() && steadyAt.After(now) && !steadyAt.After(now.Add(time.Microsecond)) {
			next, steadyAt = now, now // a tie: the other app's request was due first
		}
		if next.IsZero() || next.After(now) {
			return
		}
		switch {
		case len(o.retries) > 0 && next.Equal(o.retries[0].at):
			r := o.retries[0]
			o.retries = o.retries[1:]
			o.attempt(p, r.at, r.attempts)
		case o.burst > 0 && next.Equal(burstAt):
			o.bursts++
			for range o.burst {
				o.attempt(p, burstAt, 0)
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

func (o *otherApp) attempt(p *fakePortal, at time.Time, attempts int) {
	if p.take(at) {
		o.requests++
		return
	}
	o.refused++
	if attempts+1 >= 10 {
		o.gaveUp++
		return
	}
	o.retries = append(o.retries, otherRetry{at: at.Add(time.Duration((1/p.rate + 1) * float64(time.Second))), attempts: attempts + 1})
}
