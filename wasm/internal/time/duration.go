//go:build browserclock

package time

// A Duration is the time between two instants in nanoseconds, as the
// standard package's.
type Duration int64

const (
	Nanosecond  Duration = 1
	Microsecond          = 1000 * Nanosecond
	Millisecond          = 1000 * Microsecond
	Second               = 1000 * Millisecond
	Minute               = 60 * Second
	Hour                 = 60 * Minute
)

const (
	minDuration Duration = -1 << 63
	maxDuration Duration = 1<<63 - 1
)

func (d Duration) Seconds() float64 {
	return float64(d/Second) + float64(d%Second)/1e9
}

func (d Duration) Milliseconds() int64 { return int64(d) / 1e6 }

// Truncate rounds d toward zero to a multiple of m; m <= 0 leaves d.
func (d Duration) Truncate(m Duration) Duration {
	if m <= 0 {
		return d
	}
	return d - d%m
}

// Round rounds d to the nearest multiple of m, halfway values away from
// zero, saturating at the largest and smallest Durations; m <= 0 leaves d.
func (d Duration) Round(m Duration) Duration {
	if m <= 0 {
		return d
	}
	r := d % m
	if d < 0 {
		r = -r
		if uint64(r)+uint64(r) < uint64(m) {
			return d + r
		}
		if d1 := d - m + r; d1 < d {
			return d1
		}
		return minDuration
	}
	if uint64(r)+uint64(r) < uint64(m) {
		return d - r
	}
	if d1 := d + m - r; d1 > d {
		return d1
	}
	return maxDuration
}

func (d Duration) Abs() Duration {
	switch {
	case d >= 0:
		return d
	case d == minDuration:
		return maxDuration
	}
	return -d
}

// String writes d as "72h3m0.5s": hours, minutes and seconds with the
// fraction's trailing zeros left out; under a second in the largest of
// ms, µs and ns that leaves a whole part ("1.5µs"); zero is "0s".
func (d Duration) String() string {
	u := uint64(d)
	if d < 0 {
		u = -u
	}
	var b []byte
	switch {
	case u == 0:
		return "0s"
	case u < uint64(Microsecond):
		b = appendFraction(b, u, 0, "ns")
	case u < uint64(Millisecond):
		b = appendFraction(b, u, 3, "µs")
	case u < uint64(Second):
		b = appendFraction(b, u, 6, "ms")
	default:
		secs := u / 1e9
		if h := secs / 3600; h > 0 {
			b = append(appendUint(b, h), 'h')
		}
		if secs >= 60 {
			b = append(appendUint(b, secs/60%60), 'm')
		}
		b = appendFraction(b, u%(60*1e9), 9, "s")
	}
	if d < 0 {
		return "-" + string(b)
	}
	return string(b)
}

// appendFraction writes v/10^prec with its fraction's trailing zeros
// left out, and the unit.
func appendFraction(b []byte, v uint64, prec int, unit string) []byte {
	pow := uint64(1)
	for range prec {
		pow *= 10
	}
	b = appendUint(b, v/pow)
	if frac := v % pow; frac != 0 {
		digits := make([]byte, prec)
		for i := prec - 1; i >= 0; i-- {
			digits[i] = byte('0' + frac%10)
			frac /= 10
		}
		for digits[len(digits)-1] == '0' {
			digits = digits[:len(digits)-1]
		}
		b = append(append(b, '.'), digits...)
	}
	return append(b, unit...)
}

func appendUint(b []byte, v uint64) []byte {
	var digits [20]byte
	i := len(digits)
	for {
		i--
		digits[i] = byte('0' + v%10)
		if v /= 10; v == 0 {
			return append(b, digits[i:]...)
		}
	}
}
