package unread

import (
	"math"

	"github.com/markunread/markunread/wasm/internal/time"
)

// What the Pacer learns from each answer: the bucket, slow start's ramp,
// operating time, the plan, and what other apps spend of the bucket
// (Share); and what of it others are to hear.

// reply is what came of one request, as the Pacer reads it: how many
// commands it carried (0 for app.info), whether the portal answered at all
// (reached) and what it said (one verdict per command, and the envelope's
// time block), whether it went beyond a standard portal's bucket (Sent's
// word), and failedFetch: the fetch failed once sent, which is also what a
// 503 without CORS headers looks like (docs/bitrix24.md#f-cors-503).
type reply struct {
	sent        time.Time // when it left; zero: unknown (it counts as now)
	hub         hubWait   // how long it waited on the shared budget
	commands    int
	reached     bool
	beyond      bool
	failedFetch bool
	envelope    timing
	verdicts    []verdict
}

// learned is what the Pacer made of an answer that others may need to
// hear of: the bucket was full, and how long sending now waits; batch
// itself is blocked until batchUntil; and demote: a request beyond a
// standard bucket met a full one while a larger plan was unconfirmed, so
// the plan was wrong (Client.demotePlanLocked).
type learned struct {
	full       bool
	wait       time.Duration
	batchUntil time.Time
	demote     bool
	share      shareNews
}

// shareNews: the client's belief of what other apps spend of the bucket
// changed enough to tell (told); others is their requests per second,
// learned when, and room what the client now paces by.
type shareNews struct {
	told      bool
	others    float64
	room      float64
	learnedAt time.Time
}

// Answered takes the answer a to a request that ended at now, and says
// what it learned. Each verdict's time block goes to Observe; a 503 fills
// the bucket (Full).
func (p *Pacer) Answered(now time.Time, a reply) learned {
	confirmed := p.confirmed // before this answer could change it
	p.follow(now)
	p.Ended(a.commands, a.reached)
	if p.ramping && a.reached {
		p.rampAt = now
	}
	var l learned
	if a.commands > 0 && a.reached && a.verdicts[0].next == batchBlocked {
		l.batchUntil = p.BatchBlocked(now)
	} else if a.commands > 0 && a.reached {
		envelope := method
		if a.commands > 1 {
			envelope = "batch"
		}
		p.Observe(now, envelope, a.envelope)
	}
	for _, v := range a.verdicts {
		if a.commands > 1 && v.err == nil {
			p.Observe(now, method, v.timing)
		}
		l.full = l.full || v.next == bucketFull
	}
	arrived := now
	if !a.sent.IsZero() {
		arrived = a.sent.Add(now.Sub(a.sent) / 2) // the portal counts requests as they arrive
	}
	p.share.Waited(a.hub)
	switch {
	case l.full:
		p.share.Refused(arrived)
	case a.reached:
		p.share.Passed(arrived)
		p.endRamp(now)
	}
	if l.full || a.failedFetch {
		p.Full(now)
		l.wait = p.bucket.Delay(now)
	}
	l.demote = l.full && a.beyond && !confirmed && p.plan.Burst > StandardPlan.Burst
	l.share = p.shareNews(now)
	return l
}

// endRamp ends the ramp once a whole burst has passed: the level is then
// known well enough to estimate the others' spending from (Share.Reference).
func (p *Pacer) endRamp(now time.Time) {
	if p.ramping && p.passed >= capacity(p.plan) {
		p.ramping = false
		p.share.Reference(now, min(p.bucket.Level(now), float64(capacity(p.plan))))
	}
}

// shareNews reports the Share's belief when it moved noticeably since it
// was last reported: by a twentieth of the plan's rate, or to or from none.
func (p *Pacer) shareNews(now time.Time) shareNews {
	o := p.share.Others(now)
	if (o == 0) == (p.told == 0) && math.Abs(o-p.told) < p.plan.Rate*noticeableShare {
		return shareNews{}
	}
	p.told = o
	return shareNews{told: true, others: o, room: p.share.Room(now), learnedAt: p.share.LearnedAt()}
}

// HeardShare takes another client's belief that the others spend others
// requests per second, learned at at (Share.Heard); it says whether it
// replaced this client's own, and what the client now believes.
func (p *Pacer) HeardShare(now time.Time, others float64, at time.Time) (shareNews, bool) {
	if !p.share.Heard(others, at) {
		return shareNews{}, false
	}
	p.told = p.share.Others(now) // heard, not to be told back
	p.follow(now)
	return shareNews{others: p.told, room: p.share.Room(now), learnedAt: p.share.LearnedAt()}, true
}

// Spare says whether a request that carries no marks (app.info) may leave
// at now without taking a mark's place: the bucket's level is known, a
// slot is free and the bucket has room.
func (p *Pacer) Spare(now time.Time) bool {
	p.follow(now)
	return p.known && p.inFlight < p.maxInFlight && p.bucket.Delay(now) == 0
}
