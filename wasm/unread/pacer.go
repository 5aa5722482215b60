package unread

import (
	"math"
	"time"
)

// Pacer decides when the client's next request may leave and how many
// commands it may carry, so that the portal never has to refuse one for
// its limits (docs/bitrix24.md#f-rate-bucket, #f-otl-per-method). It models:
//
//   - the portal's leaky bucket (a Bucket at the plan's rate and burst),
//     less a headroom: the portal counts arrivals and the client counts
//     departures, so a request that travels faster than the one before it
//     shortens the gap the portal sees;
//   - a bound on requests under way;
//   - slow start: until the portal has answered once, the bucket's level is
//     unknown (another app may have spent it), so one request goes alone
//     and the rest follow its answer, or SlowStartWait after it left;
//   - gathering: calls that arrive while a part-filled request is under way
//     wait for it to end, at most Linger after the oldest arrived, and then
//     leave together, so page code that calls markUnread in a loop costs a
//     few batches rather than a string of single requests;
//   - a plan larger than the standard one (Enterprise), told or learned, is
//     unconfirmed until a request beyond the standard bucket has passed:
//     that request goes alone, so a wrong plan costs one 503, not a burst;
//   - operating time, per method: a method near its budget is spaced out,
//     and while batch itself is blocked requests carry one command each;
//   - another client of the app in this browser met the operating-time
//     limit (Hold): marks wait until it lifts, and a little longer, so that
//     the client that met it probes alone.
//
// Every decision takes the time as an argument, so tests need no clock. The
// zero value is not usable; make one with NewPacer. A Pacer is not safe for
// concurrent use; the Client guards it with its mutex.
type Pacer struct {
	plan        Plan
	bucket      *Bucket
	maxInFlight int
	batchSize   int
	linger      time.Duration

	inFlight int
	partial  int       // requests under way with room for more commands
	known    bool      // the portal has answered: the bucket's level is known
	probe    time.Time // when the request that went alone left, while !known

	shadow     *Bucket // the standard plan's bucket, counting the same requests
	confirmed  bool    // a request a standard portal would have refused passed
	crossing   bool    // a request beyond the standard bucket is under way, alone
	crossLevel float64 // the standard bucket's level when it left

	spacedUntil time.Time // a method near its operating budget: no request before
	heldUntil   time.Time // another client met the method's block: no marks before
	batchUntil  time.Time // batch is blocked: single requests until then
	batchPause  time.Duration
	resets      map[string]time.Time // per method, when its oldest use leaves the window (local clock)
}

const (
	// SlowStartWait bounds how long the rest wait for the request that went
	// alone: a portal that answers slowly must not stall the client.
	SlowStartWait = 2 * time.Second

	// headroomTime is the spread in travel time the bucket's headroom
	// allows for; the client keeps that many seconds of drain unspent.
	headroomTime = 250 * time.Millisecond
)

// NewPacer returns a pacer for plan with nothing under way.
func NewPacer(plan Plan, maxInFlight, batchSize int, linger time.Duration) *Pacer {
	p := &Pacer{maxInFlight: maxInFlight, batchSize: batchSize, linger: linger, resets: map[string]time.Time{},
		shadow: NewBucket(StandardPlan.Rate, StandardPlan.Burst)}
	p.SetPlan(plan, time.Time{})
	return p
}

// capacity is the part of the portal's burst the client fills: all of it
// but the headroom, and at least one request.
func capacity(p Plan) int {
	headroom := int(math.Ceil(p.Rate * headroomTime.Seconds()))
	return max(1, p.Burst-max(1, headroom))
}

// SetPlan changes the bucket to plan's, keeping the level the client has
// spent.
func (p *Pacer) SetPlan(plan Plan, now time.Time) {
	level := 0.0
	if p.bucket != nil {
		level = p.bucket.Level(now)
	}
	p.plan = plan
	p.bucket = NewBucket(plan.Rate, capacity(plan))
	if level > 0 {
		p.bucket.level, p.bucket.at = min(level, float64(capacity(plan))), now
	}
}

// Plan is the bucket the pacer now assumes.
func (p *Pacer) Plan() Plan { return p.plan }

// Wait says why the pacer holds requests back.
type Wait uint8

const (
	NotWaiting  Wait = iota
	WaitIdle         // nothing is ready to go
	WaitFlight       // the most requests are under way
	WaitProbe        // the first request has not answered yet
	WaitGather       // calls gather for a part-filled request under way
	WaitBucket       // the bucket has no room
	WaitSpacing      // a method is near its operating budget
	WaitHeld         // another client of this browser met the method's block
)

// Next says whether a request may leave at now, given ready commands
// waiting, the oldest of which was queued at oldest. It gives the most
// commands the request may carry (0: none may leave now) and how long to
// wait before asking again (0: until something changes, such as a request
// ending or a call arriving), and why it waits.
func (p *Pacer) Next(now time.Time, ready int, oldest time.Time) (size int, wait time.Duration, why Wait) {
	if ready == 0 {
		return 0, 0, WaitIdle
	}
	if p.inFlight >= p.maxInFlight {
		return 0, 0, WaitFlight
	}
	if !p.known && p.inFlight > 0 {
		if until := p.probe.Add(SlowStartWait); now.Before(until) {
			return 0, until.Sub(now), WaitProbe
		}
	}
	if p.mustCross(now) && p.inFlight > 0 {
		return 0, 0, WaitProbe
	}
	size = p.batchSize
	if now.Before(p.batchUntil) {
		size = 1
	}
	if p.partial > 0 && ready < size {
		if until := oldest.Add(p.linger); now.Before(until) {
			return 0, until.Sub(now), WaitGather
		}
	}
	if now.Before(p.heldUntil) {
		return 0, p.heldUntil.Sub(now), WaitHeld
	}
	if now.Before(p.spacedUntil) {
		return 0, p.spacedUntil.Sub(now), WaitSpacing
	}
	if d := p.bucket.Delay(now); d > 0 {
		return 0, d, WaitBucket
	}
	return size, 0, NotWaiting
}

// Sent counts a request of n commands (0 for a request that is not a
// mark, such as app.info) that left at now. It says whether the request
// went beyond a standard portal's bucket: only a 503 to such a request
// says the plan is smaller than assumed; any other is someone else's load.
func (p *Pacer) Sent(now time.Time, n int) (beyond bool) {
	beyond = p.shadow.Level(now)+1 > float64(capacity(StandardPlan))
	if p.mustCross(now) {
		p.crossing, p.crossLevel = true, p.shadow.Level(now)
	}
	p.shadow.Add(now)
	p.bucket.Add(now)
	p.inFlight++
	if n > 0 && n < p.batchSize {
		p.partial++
	}
	if !p.known && p.probe.IsZero() {
		p.probe = now
	}
	return beyond
}

// Ended counts the end of a request of n commands; answered is true when
// the portal answered it, whatever it said.
func (p *Pacer) Ended(n int, answered bool) {
	p.inFlight--
	if n > 0 && n < p.batchSize {
		p.partial--
	}
	if p.crossing && p.inFlight == 0 {
		// Only a request well past a standard bucket proves a larger one:
		// nearer its brim, a standard portal's own drain may have let it by.
		p.crossing = false
		p.confirmed = answered && p.crossLevel >= float64(StandardPlan.Burst)-0.5
	}
	if answered {
		p.known = true
	} else if !p.known {
		p.probe = time.Time{} // the next request goes alone again
	}
}

// reply is what came of one request, as the Pacer reads it: how many
// commands it carried (0 for app.info), whether the portal answered at all
// (reached) and what it said (one verdict per command, and the envelope's
// time block), whether it went beyond a standard portal's bucket (Sent's
// word), and failedFetch: the fetch failed once sent, which is also what a
// 503 without CORS headers looks like (docs/bitrix24.md#f-cors-503).
type reply struct {
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
}

// Answered takes the answer a to a request that ended at now, and says
// what it learned. Each verdict's time block goes to Observe; a 503 fills
// the bucket (Full).
func (p *Pacer) Answered(now time.Time, a reply) learned {
	confirmed := p.confirmed // before this answer could change it
	p.Ended(a.commands, a.reached)
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
	if l.full || a.failedFetch {
		p.Full(now)
		l.wait = p.bucket.Delay(now)
	}
	l.demote = l.full && a.beyond && !confirmed && p.plan.Burst > StandardPlan.Burst
	return l
}

// Spare says whether a request that carries no marks (app.info) may leave
// at now without taking a mark's place: the bucket's level is known, a
// slot is free and the bucket has room.
func (p *Pacer) Spare(now time.Time) bool {
	return p.known && p.inFlight < p.maxInFlight && p.bucket.Delay(now) == 0
}

// Full fills the bucket to the brim: the portal said its bucket is full
// (someone else spent it), or a request failed in a way a full bucket
// whose answer the page cannot read looks like. Sending resumes at the
// drain rate.
func (p *Pacer) Full(now time.Time) {
	p.bucket.Fill(now)
	p.shadow.Fill(now)
	p.confirmed = false
}

// mustCross: on an unconfirmed plan larger than the standard one, the
// next request is one a standard portal might refuse (the standard
// bucket, counting the same requests, is past its brim less headroom). It
// goes alone: a standard portal refuses it, once; a larger one passes it.
func (p *Pacer) mustCross(now time.Time) bool {
	return p.plan.Burst > StandardPlan.Burst && !p.confirmed &&
		p.shadow.Level(now)+1 > float64(capacity(StandardPlan))
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
