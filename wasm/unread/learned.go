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
	app         AppCount  // the shared budget's count at its grant (not Counted: none)
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
	told      bool    // for the log: the belief moved noticeably, a fade too
	tell      bool    // for the app's other clients: the client learned anew
	others    float64 // as believed at now, faded (for the log)
	room      float64
	belief    Belief // as learned, before any fade (for the app's other clients)
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
	p.share.Counted(a.app)
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

// shareNews reports the Share's belief: to the log when it moved
// noticeably since it was last reported (by a twentieth of the plan's
// rate, or to or from none), a fade too; to the app's other clients when
// the client learned it anew, a 503 that renewed it too, as learned: a
// belief told so fades the same for every client that holds it.
func (p *Pacer) shareNews(now time.Time) shareNews {
	o := p.share.Others(now)
	n := shareNews{others: o, room: p.share.Room(now), belief: p.share.Belief(), learnedAt: p.share.LearnedAt()}
	n.told = (o == 0) != (p.told == 0) || math.Abs(o-p.told) >= p.plan.Rate*noticeableShare
	n.tell = !n.learnedAt.Equal(p.toldAt)
	if n.told {
		p.told = o
	}
	p.toldAt = n.learnedAt
	return n
}

// HeardShare takes another client's belief of the others (Share.Heard);
// it says whether it replaced this client's own, and what the client now
// believes.
func (p *Pacer) HeardShare(now time.Time, b Belief) (shareNews, bool) {
	if !p.share.Heard(b) {
		return shareNews{}, false
	}
	p.told, p.toldAt = p.share.Others(now), p.share.LearnedAt() // heard, not to be told back
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
