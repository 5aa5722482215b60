package unread

import (
	"math"

	"github.com/markunread/markunread/wasm/internal/time"
)

// Pacer decides when the client's next request may leave and how many
// commands it may carry, so that the portal never has to refuse one for
// its limits (docs/bitrix24.md#f-rate-bucket, #f-otl-per-method). It models:
//
//   - the portal's leaky bucket (a Bucket of the plan's burst, drained at
//     the room the Share says other apps leave the client), less a
//     headroom: the portal counts arrivals and the client counts
//     departures, so a request that travels faster than the one before it
//     shortens the gap the portal sees; and less the Share's reserve for
//     the others' lumps (after a 503 the bucket is at its brim, so the
//     reserve drains before the next request leaves);
//   - a bound on requests under way, and, with a budget shared by the
//     app's clients, one request at a time waiting on it for its grant
//     (Granted), so what waits stays here, where it can still gather or
//     be overtaken by a click;
//   - slow start: while the bucket's level is unknown (another app may
//     have spent it), what may be under way grows with the requests that
//     passed (the ramp): in rounds, each once the one before has ended (2,
//     then 4), so a bucket found near its brim costs a 503 or two, not a
//     burst of them; then in a sliding window of rampWindow, so a bucket
//     found mid-way costs at most that many. The ramp ends at a 503 (the
//     bucket is full) or when a whole burst has passed; without answers,
//     one more request goes every SlowStartWait;
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

	share     *Share
	told      float64   // the others' rate last reported (learned.others)
	toldAt    time.Time // when the belief last told the app's other clients was learned
	inFlight  int
	shared    bool      // requests wait on a shared budget before they leave (SharedBudget)
	reserving int       // requests waiting on the shared budget for their grant
	partial   int       // requests under way with room for more commands
	known     bool      // the portal has answered
	ramping   bool      // the bucket's level is still unknown
	passed    int       // requests that passed while ramping
	roundLeft int       // requests the ramp's round under way may still send
	sliding   bool      // the ramp's window is at rampWindow and slides
	rampAt    time.Time // the ramp's latest request that went beyond its round, or answer

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

	// rampWindow bounds what the ramp lets be under way while the level is
	// still unknown: a round sent blind costs all of it when the room
	// before it was just used up. The rounds before it (2, then 4) keep a
	// bucket found at 46 or 49 of 50 (and a full one) to 2 × 503, and are
	// the fewest that do: 500 marks (10 requests) take 3 round trips, and
	// 2,000 on Chromium's 6 connections to a portal without HTTP/2 take 8,
	// as with no ramp at all (one alone, then everything).
	rampWindow = 6

	// headroomTime is the spread in travel time the bucket's headroom
	// allows for; the client keeps that many seconds of drain unspent.
	headroomTime = 250 * time.Millisecond
)

// NewPacer returns a pacer for plan with nothing under way.
func NewPacer(plan Plan, maxInFlight, batchSize int, linger time.Duration) *Pacer {
	p := &Pacer{maxInFlight: maxInFlight, batchSize: batchSize, linger: linger, resets: map[string]time.Time{},
		shadow: NewBucket(StandardPlan.Rate, StandardPlan.Burst), share: NewShare(plan), ramping: true}
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
	p.share.SetPlan(plan)
	p.follow(now)
}

// follow drains the bucket at the room the Share gives at now, and keeps
// its reserve for the others' lumps free.
func (p *Pacer) follow(now time.Time) {
	p.bucket.SetRate(now, p.share.Room(now))
	p.bucket.burst = max(1, float64(capacity(p.plan))-p.share.Reserve(now))
}

// Assumed is the bucket the client now takes as its own: the plan's burst,
// and the room other apps leave of its rate.
func (p *Pacer) Assumed(now time.Time) Plan {
	return Plan{Rate: p.share.Room(now), Burst: p.plan.Burst}
}

// rampWait says how long the ramp holds the next request back at now (0:
// it may go). While the window grows, a round starts when nothing is under
// way; once it is rampWindow, the window slides.
func (p *Pacer) rampWait(now time.Time) time.Duration {
	if !p.ramping {
		return 0
	}
	switch {
	case p.sliding && p.inFlight < rampWindow:
		return 0
	case !p.sliding && p.inFlight == 0:
		// A new round; one under way waits for all of its answers, a 503
		// among them ends the ramp before anything else goes blind.
		window := min(rampWindow, 2+p.passed)
		p.roundLeft = max(p.roundLeft, window)
		p.sliding = window == rampWindow
	}
	if p.roundLeft > 0 {
		return 0
	}
	return max(0, p.rampAt.Add(SlowStartWait).Sub(now))
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
	WaitShared       // the request before waits on the shared budget
)

// Next says whether a request may leave at now, given ready commands
// waiting, the oldest of which was queued at oldest. It gives the most
// commands the request may carry (0: none may leave now) and how long to
// wait before asking again (0: until something changes, such as a request
// ending or a call arriving), and why it waits.
func (p *Pacer) Next(now time.Time, ready int, oldest time.Time) (size int, wait time.Duration, why Wait) {
	p.follow(now)
	if ready == 0 {
		return 0, 0, WaitIdle
	}
	if p.inFlight >= p.maxInFlight {
		return 0, 0, WaitFlight
	}
	if p.reserving > 0 {
		// One at a time on the shared budget: what waits here can still
		// gather and be overtaken by a click, and each reservation carries
		// the room as the client believes it when it arrives.
		return 0, 0, WaitShared
	}
	if d := p.rampWait(now); d > 0 {
		return 0, d, WaitProbe
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
	p.follow(now)
	beyond = p.shadow.Level(now)+1 > float64(capacity(StandardPlan))
	if p.mustCross(now) {
		p.crossing, p.crossLevel = true, p.shadow.Level(now)
	}
	p.shadow.Add(now)
	p.bucket.Add(now)
	p.inFlight++
	if p.shared {
		p.reserving++
	}
	if n > 0 && n < p.batchSize {
		p.partial++
	}
	if p.ramping && p.roundLeft > 0 {
		p.roundLeft--
	} else if p.ramping {
		p.rampAt = now // beyond the round: the next waits SlowStartWait again
	}
	if p.ramping && p.rampAt.IsZero() {
		p.rampAt = now
	}
	return beyond
}

// Granted says that the shared budget let the request that waited on it
// go (or gave up on it).
func (p *Pacer) Granted() {
	p.reserving = max(0, p.reserving-1)
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
	p.roundLeft = 0 // a round ends at its first answer
	if answered && p.ramping {
		p.passed++
	}
	if answered {
		p.known = true
	} else if !p.known {
		p.rampAt = time.Time{} // nothing learned: the next goes at once, as the first did
	}
}

// Full fills the bucket to the brim: the portal said its bucket is full
// (someone else spent it), or a request failed in a way a full bucket
// whose answer the page cannot read looks like. Sending resumes at the
// drain rate.
func (p *Pacer) Full(now time.Time) {
	p.ramping = false // the level is known: full
	p.follow(now)
	p.bucket.Fill(now)
	p.bucket.level = float64(capacity(p.plan)) // at the brim: the reserve drains before the next
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
