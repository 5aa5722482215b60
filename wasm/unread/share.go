package unread

import "github.com/markunread/markunread/wasm/internal/time"

// Share is the part of the portal's bucket the client may spend. The
// portal counts requests per portal and source address
// (docs/bitrix24.md#f-rate-bucket): other apps behind the same address
// spend the same bucket, and the client cannot see them. Share learns from
// the client's own answers alone what they leave, and gives the rate the
// client paces by (Room).
//
// The model: the bucket drains at the plan's rate R; the others spend o of
// it per second; the client's room is R − o. A 503 says the bucket was full
// (its level between B − 1 and B) when the refused request arrived, taken
// as halfway between leaving and the answer. Between two instants at which
// the level is known, and if the bucket never ran empty in between, it
// took in the change of its level plus R per second, so what the client's
// own requests did not take, the others did:
//
//	o = (L₂ − L₁ + R·Δt − n + shareMargin) / Δt,   n: the app's requests that passed in Δt
//
// (the client's own, or, with a shared budget, its count of every client
// of the app: Counted), shareMargin a
// request's worth of caution. The level is known at each 503 (B − ½), and
// roughly when the client's first burst passed whole (Reference). The
// estimate spans from the known level whose doubt weighs least over its
// span, so its error, about a request over the span, shrinks as the
// contention lasts; it is never below the belief the 503 met, since the
// client met the brim pacing by it. A known level is forgotten once the
// bucket may have run empty since: the app's requests alone (the client's
// own, or the shared budget's count), drained at R, would have left it
// empty.
//
// Probing upward: a belief that no 503 has renewed for as long as the span
// it was learned over (at least shareQuiet, at most maxShareQuiet) fades,
// by shareFade every shareStep, so the client paces a little faster each
// step, until the portal refuses one request (the estimate is renewed) or
// the others have gone and the room is the plan's whole rate again. The
// room never falls below minRoomShare of the plan, so the client keeps
// learning. Another client of the app may tell what it learned (Heard):
// the newer estimate wins.
//
// Lumps: others that send in bursts take the bucket's room in lumps, not
// steadily. A burst that finds the bucket at its brim is refused and comes
// back as retries that take every instant of room for a while, and the
// client, paced at the mean, is refused in a row meanwhile. Refusals in a
// row over a span say the others took at least R per second of it; the
// client keeps that many requests of the bucket free for them (Reserve),
// so that their next burst fits instead of coming back, held and faded as
// a belief of the others is. Kept free early, that room is not lost: the
// bucket drains at R whatever its level, and the reserve faded is spent.
//
// Times are inputs, so tests need no clock. The zero value is not usable;
// make one with NewShare. A Share is not safe for concurrent use; the
// Client guards it with its mutex.
type Share struct {
	rate, burst float64
	others      float64       // the others' requests per second, as last learned
	learnedAt   time.Time     // when others was learned (or renewed)
	quiet       time.Duration // how long others holds before it fades
	passed      int           // the client's requests that passed the bucket, in all
	app         AppCount      // the shared budget's count at the latest grant (Counted)
	known       []knownLevel
	runFrom     time.Time // the first and the last of the 503s in a row, while none has passed since
	runTo       time.Time
	lump        float64 // what the others took at once while the client was refused in a row (Reserve)
	lumpAt      time.Time
	// floor is the least the bucket's level can be since the oldest known
	// level: that level plus the app's requests (as appPassed counts them),
	// drained at R.
	floor   float64
	floorAt time.Time
}

// knownLevel is an instant at which the bucket's level was known, give
// or take doubt.
type knownLevel struct {
	at     time.Time
	level  float64
	doubt  float64
	passed int // Share.passed then, by arrival
	app    AppCount
}

const (
	// minShareSpan: two known levels closer than this say too little of a
	// rate (one request over the span is the error).
	minShareSpan = time.Second
	// maxKnownLevels bounds the known levels kept; the oldest goes first.
	maxKnownLevels = 16
	shareQuiet     = 4 * time.Second // a belief holds at least this long, at most maxShareQuiet
	maxShareQuiet  = 30 * time.Second
	shareMargin    = 0.75 // requests added to the others' count: an estimate errs to the safe side
	shareStep      = 2 * time.Second
	shareFade      = 0.8
	minRoomShare   = 0.05
	maxLumpShare   = 0.25 // the reserve for lumps is at most this share of the burst
	runHold        = 4 * time.Second
	// noticeableShare: estimates that differ by less than this share of
	// the plan's rate are not worth telling (onLog, other clients).
	noticeableShare = 0.05
)

// NewShare returns a share of plan's bucket with nobody else on it.
func NewShare(plan Plan) *Share {
	s := &Share{quiet: shareQuiet}
	s.SetPlan(plan)
	return s
}

// SetPlan changes the bucket; what was learned of the others stays.
func (s *Share) SetPlan(plan Plan) {
	s.rate, s.burst = plan.Rate, float64(plan.Burst)
	s.others = min(s.others, s.rate*(1-minRoomShare))
}

// Others is the others' rate believed at now, faded if no 503 renewed it.
func (s *Share) Others(now time.Time) float64 {
	o := s.others
	if quiet := now.Sub(s.learnedAt); o > 0 && quiet >= s.quiet {
		for steps := 1 + int((quiet-s.quiet)/shareStep); steps > 0 && o > 0; steps-- {
			if o *= shareFade; o < s.rate*noticeableShare {
				o = 0
			}
		}
	}
	return o
}

// Room is the rate, per second, the client may spend at now.
func (s *Share) Room(now time.Time) float64 {
	return max(s.rate*minRoomShare, s.rate-s.Others(now))
}

// Reserve is the part of the bucket, in requests, the client keeps free
// at now for the others' lumps.
func (s *Share) Reserve(now time.Time) float64 {
	r := s.lump
	if quiet := now.Sub(s.lumpAt); r > 0 && quiet >= maxShareQuiet {
		for steps := 1 + int((quiet-maxShareQuiet)/shareStep); steps > 0 && r >= 1; steps-- {
			r *= shareFade
		}
	}
	if span := s.runTo.Sub(s.runFrom); span > 0 {
		// A run under way: what the others took in it so far, bounded by
		// what the room drains in runHold, so a bucket that others keep
		// full is still probed.
		r = max(r, min(s.rate*span.Seconds(), s.Room(now)*runHold.Seconds()))
	}
	if r < 1 {
		return 0
	}
	return r
}

// endRun takes the 503s in a row that a pass at at ended: from the first
// to the last of them the bucket was full and the client passed nothing,
// so the others took the whole drain, a lump beyond what the reserve kept
// for them; the reserve grows by it.
func (s *Share) endRun(at time.Time) {
	if span := s.runTo.Sub(s.runFrom); span > 0 {
		s.lump = min(s.Reserve(at)+s.rate*span.Seconds()+1, s.burst*maxLumpShare)
		s.lumpAt = at
	}
	s.runFrom, s.runTo = time.Time{}, time.Time{}
}

// Passed counts a request that the bucket let through at at.
func (s *Share) Passed(at time.Time) {
	if !s.runFrom.IsZero() && at.After(s.runTo) {
		s.endRun(at)
	}
	s.drainFloor(at)
	s.passed++
	if !s.app.Counted {
		s.floor++ // with a count, the app's passed requests lift it (Counted)
	}
	for i := range s.known {
		if !s.known[i].at.After(at) {
			continue
		}
		s.known[i].passed++ // it arrived before, though heard of after
	}
}

// Reference says the bucket's level was at least level at at (the
// client's first burst passed whole): a known level to estimate from,
// taken halfway between level and the brim (what the others spent while
// the burst went is not known), give or take the other half.
func (s *Share) Reference(at time.Time, level float64) {
	doubt := (s.burst - level) / 2
	s.know(knownLevel{at: at, level: level + doubt, doubt: doubt})
}

// Refused takes a 503 to a request that arrived at at, and says whether
// it changed what the client believes of the others.
func (s *Share) Refused(at time.Time) bool {
	s.drainFloor(at)
	level := s.burst - 0.5
	before := s.others
	if k, ok := s.surest(at); ok {
		span := at.Sub(k.at)
		n := s.appPassed(k)
		o := (level - k.level + s.rate*span.Seconds() - n + shareMargin) / span.Seconds()
		// The client met the brim pacing by what it believed: the others
		// spend no less than that, and that belief holds as long as it did.
		if believed := s.Others(at); o > believed {
			s.others, s.quiet = min(o, s.rate*(1-minRoomShare)), min(max(shareQuiet, span), maxShareQuiet)
		} else {
			s.others = believed
		}
	}
	if s.others > 0 {
		s.learnedAt = at // a 503 with others believed renews the belief
	}
	if s.runFrom.IsZero() {
		s.runFrom = at
	}
	s.runTo = later(s.runTo, at)
	s.know(knownLevel{at: at, level: level, doubt: 0.5})
	return s.others != before
}

// Counted takes the shared budget's count at a request's grant. A count
// of grants lower than the last says the budget started again (the tab
// that kept it closed): the levels known so far cannot be measured
// against it.
func (s *Share) Counted(c AppCount) {
	if !c.Counted {
		return
	}
	if s.app.Counted && c.Granted < s.app.Granted {
		s.known = s.known[:0]
	} else if s.app.Counted {
		s.floor += float64(max(0, (c.Granted-s.app.Granted)-(c.Refused-s.app.Refused)))
	}
	s.app = c
}

// appPassed is how many of the app's requests passed since k: the
// shared budget's count when there is one (the app's other clients'
// requests are the app's, not the others'), else the client's own.
func (s *Share) appPassed(k knownLevel) float64 {
	own := s.passed - k.passed
	if k.app.Counted && s.app.Counted {
		return float64(max(own, (s.app.Granted-k.app.Granted)-(s.app.Refused-k.app.Refused)))
	}
	return float64(own)
}

// Heard takes another client's belief; a newer one than this client's
// replaces it, and holds as long as the other's did. It says whether it
// did.
func (s *Share) Heard(b Belief) bool {
	at := time.UnixMilli(b.AtMs)
	if !(b.OthersPerSec >= 0) || !at.After(s.learnedAt) {
		return false
	}
	s.others, s.learnedAt = min(b.OthersPerSec, s.rate*(1-minRoomShare)), at
	if b.HoldMs > 0 {
		// it holds as long as where it was learned, so the clients probe together
		s.quiet = min(max(shareQuiet, time.Duration(b.HoldMs)*time.Millisecond), maxShareQuiet)
	}
	return true
}

// Belief is what the client believes of the others as it learned it,
// before any fade, for the app's other clients.
func (s *Share) Belief() Belief {
	return Belief{OthersPerSec: s.others, AtMs: s.learnedAt.UnixMilli(), HoldMs: s.quiet.Milliseconds()}
}

// LearnedAt is when the belief of the others was last learned or heard.
func (s *Share) LearnedAt() time.Time { return s.learnedAt }

// surest is the known level to estimate from at at: the one whose doubt
// weighs least over its span, at least minShareSpan.
func (s *Share) surest(at time.Time) (knownLevel, bool) {
	var best knownLevel
	found := false
	for _, k := range s.known {
		span := at.Sub(k.at)
		if span < minShareSpan {
			continue
		}
		if !found || (k.doubt+1)/span.Seconds() < (best.doubt+1)/at.Sub(best.at).Seconds() {
			best, found = k, true
		}
	}
	return best, found
}

func (s *Share) know(k knownLevel) {
	if len(s.known) == 0 || k.level > s.floor {
		s.floor, s.floorAt = k.level, k.at
	}
	if len(s.known) == maxKnownLevels {
		s.known = append(s.known[:0], s.known[1:]...)
	}
	k.passed, k.app = s.passed, s.app
	s.known = append(s.known, k)
}

// drainFloor brings the floor to at; if the bucket may have run empty,
// the known levels no longer say what the others spent.
func (s *Share) drainFloor(at time.Time) {
	if len(s.known) == 0 || !at.After(s.floorAt) {
		return
	}
	s.floor -= at.Sub(s.floorAt).Seconds() * s.rate
	s.floorAt = at
	if s.floor <= 0 {
		s.floor, s.known = 0, s.known[:0]
	}
}
