package devportal

import "time"

// The operating-time limit, as the portal's LoadLimiter keeps it
// (docs/bitrix24.md#f-otl-baskets, #f-otl-limit, #f-otl-reset-at):
//
//   - per method, execution time is summed in basketCount baskets of window/basketCount
//     each (10 one-minute baskets by default), numbered by wall-clock time
//     (unix time / basket size), so a basket stops counting when the clock reaches its
//     number + basketCount;
//   - a call counts only if it took longer than minimalFixTime;
//   - "operating" is the sum of the current basket and the basketCount-1 before it;
//   - before each call the method is blocked while operating > budget;
//   - a basket's reset time is floor(start of its first counted call + window);
//     operating_reset_at is the reset time of the oldest non-empty basket, or, with none,
//     floor(start of the HTTP request + window), so a successful answer on a cloud portal
//     always carries it.
//
// batch is never recorded here (docs/bitrix24.md#f-otl-batch-exempt): its envelope shows
// operating 0 and the fallback reset time.

// basketCount is LoadLimiter::$bucketCount.
const basketCount = 10

// minimalFixTime is LoadLimiter::$minimalFixTime: shorter calls are not counted.
const minimalFixTime = 100 * time.Millisecond

// operatingLog is one method's baskets. Caller holds mu.
type operatingLog struct {
	baskets map[int64]*basket // by basket number
}

type basket struct {
	sum     time.Duration
	resetAt int64 // unix seconds
}

func basketNumber(t time.Time, window time.Duration) int64 {
	size := int64(window / basketCount)
	if size <= 0 {
		size = 1
	}
	return t.UnixNano() / size
}

// sum returns the method's operating time at now, dropping baskets that stopped counting.
func (l *operatingLog) sum(now time.Time, window time.Duration) time.Duration {
	n := basketNumber(now, window)
	var s time.Duration
	for k, b := range l.baskets {
		if k <= n-basketCount {
			delete(l.baskets, k)
			continue
		}
		if k <= n {
			s += b.sum
		}
	}
	return s
}

// add books a call that started at start and took cost.
func (l *operatingLog) add(start time.Time, cost, window time.Duration) {
	if cost <= minimalFixTime {
		return
	}
	if l.baskets == nil {
		l.baskets = map[int64]*basket{}
	}
	k := basketNumber(start, window)
	b := l.baskets[k]
	if b == nil {
		b = &basket{resetAt: start.Add(window).Unix()}
		l.baskets[k] = b
	}
	b.sum += cost
}

// resetAt returns operating_reset_at at now for a request that started at requestStart.
func (l *operatingLog) resetAt(now, requestStart time.Time, window time.Duration) int64 {
	n := basketNumber(now, window)
	oldest := int64(0)
	var found *basket
	for k, b := range l.baskets {
		if k <= n-basketCount || k > n || b.sum <= 0 {
			continue
		}
		if found == nil || k < oldest {
			oldest, found = k, b
		}
	}
	if found != nil {
		return found.resetAt
	}
	return requestStart.Add(window).Unix()
}

func (p *Portal) opLog(method string) *operatingLog {
	l := p.op[method]
	if l == nil {
		l = &operatingLog{}
		p.op[method] = l
	}
	return l
}

// blocked reports whether method answers OPERATION_TIME_LIMIT at now: while a block set
// with Config.Blocks or /devportal/block lasts, or, on a cloud portal, while its operating
// time is past the budget. batch is never over budget (nothing is booked for it). Caller
// holds mu.
func (p *Portal) blocked(method string, now time.Time) bool {
	if until, ok := p.blocks[method]; ok && now.Before(until) {
		return true
	}
	if p.cfg.SelfHosted {
		return false
	}
	return p.opLog(method).sum(now, p.cfg.OperatingWindow) > p.cfg.OperatingBudget
}
