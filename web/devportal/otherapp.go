package devportal

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// OtherApp is another REST application on the same portal and the same source address.
// The portal counts requests per portal and source address (docs/bitrix24.md#f-rate-bucket),
// so every request it sends spends the bucket that the app under test spends: the user's
// other apps in the same browser, colleagues behind the same office address. Its requests
// are not HTTP requests: the emulator plays them into the bucket in time order with the
// real ones, as if they had arrived at their instant (see otherAppState), and counts them
// apart (Stats.OtherRequests ...), so that Stats.Requests and Stats.Status503 stay the
// app's own. Two shapes, from the reset on (New or Reset is the instant 0):
//
//   - Steady, PerSecond > 0: request k (k from 1) is due at k/PerSecond. It takes room at
//     the first instant, at or after it is due, at which the bucket has room for one
//     request, and is never refused: it waits (an app paced by a limiter that knows the
//     room). A request that has waited is counted in OtherWaited. So while PerSecond is
//     below the plan's rate the other app spends exactly PerSecond of the drain, and leaves
//     the app under test rate − PerSecond; at or above the plan's rate it takes all the
//     room there is.
//   - Bursts, Burst > 0 and Every > 0: Burst requests at once at Every, 2 × Every, ...
//     Each is admitted if the bucket has room at that instant, else refused like any
//     request (503, the counter unchanged; counted in Other503). A refused one is sent
//     again once 1/rate + 1 s has passed, the official SDK's first wait after
//     QUERY_LIMIT_EXCEEDED (b24jssdk 2.2.0, RateLimiter.handleExceeded), at the first
//     instant from then on at which the bucket has room, and is not refused again: after
//     its 503 the app paces like the steady one (OtherWaited counts it when it waited
//     beyond its wait). So it spends Burst/Every of the drain on average, in lumps that
//     find the bucket where the app under test left it. (An app that retried blindly at
//     its own instants would find a bucket kept at its brim full at nearly every one, and
//     starve unseen: the app under test would learn nothing of it.)
//
// Neither sends anything at the instant 0, so the room free at the reset is the app's.
// Both may be set; ParseOtherApp gives one or the other. At equal instants the other
// app's requests come before the app's (they were due first).
type OtherApp struct {
	PerSecond float64       // steady requests per second
	Burst     int           // requests in each burst
	Every     time.Duration // time between bursts
}

// Limits of an OtherApp that Validate accepts: beyond them the emulator would spend its
// time playing the other app's requests.
const (
	maxOtherPerSecond = 1000
	maxOtherBurst     = 1000
	minOtherEvery     = 100 * time.Millisecond
)

// IsZero reports whether there is no other app.
func (o OtherApp) IsZero() bool { return o.PerSecond == 0 && o.Burst == 0 }

// MeanRate is the other app's average demand in requests per second.
func (o OtherApp) MeanRate() float64 {
	r := o.PerSecond
	if o.Burst > 0 && o.Every > 0 {
		r += float64(o.Burst) / o.Every.Seconds()
	}
	return r
}

// Validate says what is wrong with o, or nil.
func (o OtherApp) Validate() error {
	switch {
	case math.IsNaN(o.PerSecond) || o.PerSecond < 0 || o.PerSecond > maxOtherPerSecond:
		return fmt.Errorf("other app: %v requests a second: want 0 to %d", o.PerSecond, maxOtherPerSecond)
	case o.Burst < 0 || o.Burst > maxOtherBurst:
		return fmt.Errorf("other app: bursts of %d: want 0 to %d requests", o.Burst, maxOtherBurst)
	case o.Burst > 0 && o.Every < minOtherEvery:
		return fmt.Errorf("other app: bursts every %v: want at least %v", o.Every, minOtherEvery)
	}
	return nil
}

// String is o in ParseOtherApp's grammar ("" for none).
func (o OtherApp) String() string {
	var parts []string
	if o.PerSecond > 0 {
		parts = append(parts, strconv.FormatFloat(o.PerSecond, 'g', -1, 64)+"/s")
	}
	if o.Burst > 0 {
		parts = append(parts, strconv.Itoa(o.Burst)+"/"+o.Every.String())
	}
	return strings.Join(parts, "+")
}

// errOtherAppSpec explains ParseOtherApp's grammar.
var errOtherAppSpec = errors.New(`want N/s (steady: N requests a second, e.g. 1.5/s), N/DURATION (bursts: N requests at once every DURATION, e.g. 10/5s) or "" (none)`)

// ParseOtherApp reads the other app of the -other-app flag and of /devportal/reset's
// "otherApp": "N/s" is steady at N requests a second (N may be a fraction); "N/DURATION",
// DURATION a Go duration such as 5s or 500ms, is bursts of N requests every DURATION (so
// "2/1s" is bursts of two, "2/s" is steady); "" or "off" is none.
func ParseOtherApp(spec string) (OtherApp, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" || spec == "off" {
		return OtherApp{}, nil
	}
	ns, per, ok := strings.Cut(spec, "/")
	if !ok {
		return OtherApp{}, fmt.Errorf("other app %q: %w", spec, errOtherAppSpec)
	}
	var o OtherApp
	if per == "s" {
		n, err := strconv.ParseFloat(ns, 64)
		if err != nil || n <= 0 || math.IsInf(n, 0) {
			return OtherApp{}, fmt.Errorf("other app %q: %w", spec, errOtherAppSpec)
		}
		o.PerSecond = n
	} else {
		n, err := strconv.Atoi(ns)
		d, derr := time.ParseDuration(per)
		if err != nil || derr != nil || n <= 0 {
			return OtherApp{}, fmt.Errorf("other app %q: %w", spec, errOtherAppSpec)
		}
		o.Burst, o.Every = n, d
	}
	if err := o.Validate(); err != nil {
		return OtherApp{}, err
	}
	return o, nil
}

// otherAppState plays an OtherApp into the portal's bucket. The bucket's level is a
// function of time and of the requests it admitted, so the other app's requests need no
// timers: before the bucket sees a real request at now (and before Stats is read), advance
// plays every request of the other app due up to now, in time order, each at its own
// instant. Between two real requests the level only drains, which is what lets a waiting
// steady request compute the instant the room it needs appears (leakyBucket.roomAt).
type otherAppState struct {
	cfg     OtherApp
	rate    float64     // the plan's rate, for the retry waits
	start   time.Time   // instant 0
	sent    int         // steady requests admitted so far; the next is due at start + (sent+1)/PerSecond
	bursts  int         // bursts sent so far; the next is at start + (bursts+1) × Every
	retries []time.Time // refused burst requests: when each may go again, in order (the wait is always the same)
}

// newOtherAppState starts o at start on a bucket of rate; an o that fails Validate is
// played as no other app (the command and /devportal/reset refuse it with its error).
func newOtherAppState(o OtherApp, rate float64, start time.Time) otherAppState {
	if o.Validate() != nil {
		o = OtherApp{}
	}
	return otherAppState{cfg: o, rate: rate, start: start}
}

// advance plays into b every request of the other app due at or before now, counting them
// in st. Caller holds the portal's mu.
func (s *otherAppState) advance(b *leakyBucket, now time.Time, st *Stats) {
	for {
		// The earliest of the three events: the next steady request taking room, the
		// next burst, the first refused burst request taking room.
		var steadyAt, steadyDue, burstAt, retryAt time.Time
		next := time.Time{}
		if s.cfg.PerSecond > 0 {
			steadyDue = s.start.Add(time.Duration(float64(s.sent+1) / s.cfg.PerSecond * float64(time.Second)))
			steadyAt = latest(steadyDue, b.roomAt())
			next = steadyAt
		}
		if s.cfg.Burst > 0 {
			burstAt = s.start.Add(time.Duration(s.bursts+1) * s.cfg.Every)
			if next.IsZero() || burstAt.Before(next) {
				next = burstAt
			}
		}
		if len(s.retries) > 0 {
			retryAt = latest(s.retries[0], b.roomAt())
			if next.IsZero() || retryAt.Before(next) {
				next = retryAt
			}
		}
		if next.IsZero() || next.After(now) {
			return
		}
		// roomAt rounds up, so the room is there when a waiting request takes it; if
		// float rounding still refuses it, the bucket has moved to that instant and the
		// next turn computes a later one.
		switch {
		case len(s.retries) > 0 && next.Equal(retryAt):
			if s.takeWaiting(b, retryAt, s.retries[0], st) {
				s.retries = s.retries[1:]
			}
		case s.cfg.Burst > 0 && next.Equal(burstAt):
			s.bursts++
			wait := time.Duration((1/s.rate + 1) * float64(time.Second))
			for range s.cfg.Burst {
				st.OtherRequests++
				if !b.take(burstAt) {
					st.Other503++
					s.retries = append(s.retries, burstAt.Add(wait))
				}
			}
		default:
			if s.takeWaiting(b, steadyAt, steadyDue, st) {
				s.sent++
			}
		}
	}
}

// takeWaiting sends a request that may go from due on, at the instant at that it finds
// room; it reports whether the bucket admitted it.
func (s *otherAppState) takeWaiting(b *leakyBucket, at, due time.Time, st *Stats) bool {
	if !b.take(at) {
		return false
	}
	st.OtherRequests++
	if at.After(due) {
		st.OtherWaited++
	}
	return true
}

func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
