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

	// Past operatingSoftLimit seconds of a method's 480 s budget, requests
	// are spaced by operatingSpacing so the method is not blocked.
	operatingSoftLimit = 360
	operatingSpacing   = time.Second
	// maxOperatingWait: a block lifts when the oldest use leaves the
	// 10-minute window, so no reset is ever further away.
	maxOperatingWait = 10 * time.Minute
	// blockedPause is the first pause after OPERATION_TIME_LIMIT when no
	// reset time is known (self-hosted portals may not send one); it
	// doubles up to blockedPauseCap.
	blockedPause    = 10 * time.Second
	blockedPauseCap = 80 * time.Second
	// holdGrace: a client told of another's block waits this much past it,
	// so the other's probe goes first and can say the block goes on.
	holdGrace = time.Second
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

// Observe reads the time block of a method's successful answer: near the
// budget, requests are spaced out, and the reset time is kept for a block.
// A reset that came with little budget used is not kept: the portal sends
// one on every answer, an hour's tenth after its oldest counted call
// (docs/bitrix24.md#f-otl-reset-at), so it says nothing of when a block met
// later lifts. Times on the portal's clock are turned into spans, so a
// skewed page clock does not matter.
func (p *Pacer) Observe(now time.Time, method string, t timing) {
	if t.operating < operatingSoftLimit {
		delete(p.resets, method)
		return
	}
	if span, ok := clockSpan(t.resetAt - t.finish); ok && t.resetAt > 0 && t.finish > 0 {
		p.resets[method] = now.Add(span)
	}
	p.spacedUntil = later(p.spacedUntil, now.Add(operatingSpacing))
}

// Reopens says when method, just answered OPERATION_TIME_LIMIT, may be
// sent again: at the reset time its last successful answer gave, when that
// answer showed the budget nearly spent and the time is still ahead
// (docs/bitrix24.md#f-otl-limit); otherwise after *pause, which then
// doubles (a probe), so a block that lifts early is not waited out.
func (p *Pacer) Reopens(now time.Time, method string, pause *time.Duration) time.Time {
	if at, ok := p.resets[method]; ok && at.After(now) {
		return at
	}
	if *pause == 0 {
		*pause = blockedPause
	}
	at := now.Add(*pause)
	*pause = min(*pause*2, blockedPauseCap)
	return at
}

// BatchBlocked says the batch method itself is blocked: until it reopens,
// requests carry one command each, which the bucket still paces.
func (p *Pacer) BatchBlocked(now time.Time) time.Time {
	p.batchUntil = later(p.batchUntil, p.Reopens(now, "batch", &p.batchPause))
	return p.batchUntil
}

// Hold takes another client's OPERATION_TIME_LIMIT (docs/bitrix24.md#f-otl-limit):
// blocked (a method) is blocked until until. For the mark method no request leaves
// before until plus holdGrace; for batch, requests carry one command each
// until then. A hold already past, beyond any block, or of another method
// is ignored; Hold says whether it took it.
func (p *Pacer) Hold(now time.Time, blocked string, until time.Time) bool {
	if !until.After(now) || until.After(now.Add(maxOperatingWait)) {
		return false
	}
	switch blocked {
	case method:
		p.heldUntil = later(p.heldUntil, until.Add(holdGrace))
	case "batch":
		p.batchUntil = later(p.batchUntil, until)
	default:
		return false
	}
	return true
}

// clockSpan turns seconds on the portal's clock into a span, refusing
// what no reset can be: negative, or beyond the 10-minute window.
func clockSpan(seconds float64) (time.Duration, bool) {
	if !(seconds > 0) {
		return 0, false
	}
	return time.Duration(min(seconds, maxOperatingWait.Seconds()) * float64(time.Second)), true
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
