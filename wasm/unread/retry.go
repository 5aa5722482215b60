package unread

import (
	"sync"

	"github.com/markunread/markunread/wasm/internal/time"
)

// The retry policy: what a call does after a verdict that did not settle
// it. im.dialog.unread is idempotent (marking from 12 again changes
// nothing), so sending a call again is always safe.
//
//   - backOff (no answer, 5xx, an unreadable body): again after capped
//     exponential backoff with spread, at most MaxAttempts requests;
//   - bucketFull (503 QUERY_LIMIT_EXCEEDED): again at once, the filled
//     bucket holds it back; not counted against MaxAttempts, since the
//     portal said "later" and a burst of 503s would otherwise spend a
//     call's whole budget in two seconds;
//   - methodBlocked, batchBlocked (429 OPERATION_TIME_LIMIT): again when
//     the method reopens; not counted either;
//   - tokenRefused: again once, after one refresh shared by every call
//     that met the refused token.
//
// Timeout bounds every wait.
const (
	backoffBase = 500 * time.Millisecond
	backoffCap  = 30 * time.Second
)

// retry decides whether k goes again after v, and when. It updates k's
// counters; the caller requeues it or settles it.
func (c *Client) retry(k *call, v verdict, now time.Time) (again bool, at time.Time) {
	if v.err == nil || v.next == final {
		return false, time.Time{}
	}
	switch v.next {
	case bucketFull, batchBlocked:
		k.free++
		return true, now
	case methodBlocked:
		k.free++
		return true, c.pacer.Reopens(now, method, &k.blockedPause)
	}
	if k.attempts-k.free >= c.cfg.MaxAttempts {
		return false, time.Time{}
	}
	if v.next == tokenRefused {
		if k.refreshed || !c.session.canRefresh() {
			return false, time.Time{}
		}
		k.refreshed = true
		return true, now // it waits for the refresh when it is sent
	}
	return true, now.Add(backoff(k.attempts - k.free))
}

// backoff is capped exponential backoff with spread: the n-th retry waits
// between half and all of min(base*2^(n-1), cap), so clients that failed
// together do not come back together.
func backoff(n int) time.Duration {
	n = max(n, 1)
	d := backoffCap
	if n < 16 {
		d = min(backoffBase<<(n-1), backoffCap)
	}
	return d/2 + time.Duration(spread.next()%uint64(d/2+1))
}

// spread is a xorshift generator: backoff needs spread, not quality, and
// math/rand/v2 costs the module a few KB.
var spread = xorshift{state: uint64(time.Now().UnixNano()) | 1}

type xorshift struct {
	mu    sync.Mutex
	state uint64
}

func (x *xorshift) next() uint64 {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.state ^= x.state << 13
	x.state ^= x.state >> 7
	x.state ^= x.state << 17
	return x.state
}
