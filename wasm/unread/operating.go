package unread

import "github.com/markunread/markunread/wasm/internal/time"

// The Pacer's side of the operating-time limit (docs/bitrix24.md#f-otl-per-method):
// what the time blocks of successful answers say, when a blocked method
// reopens, and batch itself blocked. Other clients' blocks are in hold.go.

const (
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
)

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

// clockSpan turns seconds on the portal's clock into a span, refusing
// what no reset can be: negative, or beyond the 10-minute window.
func clockSpan(seconds float64) (time.Duration, bool) {
	if !(seconds > 0) {
		return 0, false
	}
	return time.Duration(min(seconds, maxOperatingWait.Seconds()) * float64(time.Second)), true
}
