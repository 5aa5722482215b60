//go:build browserclock

package time

// A Time is an instant, as the standard package's: a wall clock reading
// (seconds since January 1, year 1 UTC, and nanoseconds), and, for a Time
// from Now, a monotonic clock reading too. Comparisons and Sub use the
// monotonic readings when both Times have one, so that a change of the
// wall clock does not move them; the zero Time is January 1, year 1.
type Time struct {
	sec     int64
	nsec    int32
	hasMono bool
	mono    int64 // nanoseconds on the monotonic clock, when hasMono
}

// unixToInternal is the Unix epoch in seconds since January 1, year 1.
const unixToInternal int64 = (1969*365 + 1969/4 - 1969/100 + 1969/400) * 86400

// Unix is the instant sec seconds and nsec nanoseconds after the Unix
// epoch; nsec may be outside [0, 1e9).
func Unix(sec, nsec int64) Time {
	if nsec < 0 || nsec >= 1e9 {
		n := nsec / 1e9
		sec += n
		nsec -= n * 1e9
		if nsec < 0 {
			nsec += 1e9
			sec--
		}
	}
	return Time{sec: sec + unixToInternal, nsec: int32(nsec)}
}

// UnixMilli is the instant msec milliseconds after the Unix epoch.
func UnixMilli(msec int64) Time { return Unix(msec/1e3, (msec%1e3)*1e6) }

func (t Time) IsZero() bool { return t.sec == 0 && t.nsec == 0 }

func (t Time) unixSec() int64     { return t.sec - unixToInternal }
func (t Time) Unix() int64        { return t.unixSec() }
func (t Time) UnixMilli() int64   { return t.unixSec()*1e3 + int64(t.nsec)/1e6 }
func (t Time) UnixNano() int64    { return t.unixSec()*1e9 + int64(t.nsec) }
func (t Time) Before(u Time) bool { return t.Compare(u) < 0 }
func (t Time) After(u Time) bool  { return t.Compare(u) > 0 }
func (t Time) Equal(u Time) bool  { return t.Compare(u) == 0 }

// Compare is -1, 0 or +1 as t is before, at or after u. It is a call, not
// inlined into Before, After and Equal at each of the module's forty
// comparisons: inlined, it weighed 2.2 KB brotli of the module.
//
//go:noinline
func (t Time) Compare(u Time) int {
	var tc, uc int64
	switch {
	case t.hasMono && u.hasMono:
		tc, uc = t.mono, u.mono
	case t.sec != u.sec:
		tc, uc = t.sec, u.sec
	default:
		tc, uc = int64(t.nsec), int64(u.nsec)
	}
	switch {
	case tc < uc:
		return -1
	case tc > uc:
		return +1
	}
	return 0
}

// Add is t+d; the monotonic reading goes unless it stays in range.
func (t Time) Add(d Duration) Time {
	dsec := int64(d / 1e9)
	nsec := t.nsec + int32(d%1e9)
	if nsec >= 1e9 {
		dsec++
		nsec -= 1e9
	} else if nsec < 0 {
		dsec--
		nsec += 1e9
	}
	switch sum := t.sec + dsec; {
	case (sum > t.sec) == (dsec > 0):
		t.sec = sum
	case dsec > 0:
		t.sec = 1<<63 - 1
	default:
		t.sec = -(1<<63 - 1)
	}
	t.nsec = nsec
	if t.hasMono {
		te := t.mono + int64(d)
		if d < 0 && te > t.mono || d > 0 && te < t.mono {
			t.hasMono, t.mono = false, 0
		} else {
			t.mono = te
		}
	}
	return t
}

// Sub is t-u, saturating at the largest and smallest Durations.
func (t Time) Sub(u Time) Duration {
	if t.hasMono && u.hasMono {
		d := Duration(t.mono - u.mono)
		switch {
		case d < 0 && t.mono > u.mono:
			return maxDuration
		case d > 0 && t.mono < u.mono:
			return minDuration
		}
		return d
	}
	d := Duration(t.sec-u.sec)*Second + Duration(t.nsec-u.nsec)
	switch {
	case u.Add(d).Equal(t):
		return d
	case t.Before(u):
		return minDuration
	}
	return maxDuration
}
