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
// ms, µs and ns that leaves a whole part ("1.5µs"); zero is "0s". It
// writes from the end of one buffer, as the standard package does.
func (d Duration) String() string {
	var buf [32]byte
	w := len(buf)
	u := uint64(d)
	if d < 0 {
		u = -u
	}
	unit, prec := "s", 9
	switch {
	case u == 0:
		return "0s"
	case u < uint64(Microsecond):
		unit, prec = "ns", 0
	case u < uint64(Millisecond):
		unit, prec = "µs", 3
	case u < uint64(Second):
		unit, prec = "ms", 6
	}
	w -= len(unit)
	copy(buf[w:], unit)
	w, u = writeFraction(&buf, w, u, prec)
	if prec == 9 { // seconds, then minutes and hours
		w = writeUint(&buf, w, u%60)
		if u /= 60; u > 0 {
			w--
			buf[w] = 'm'
			w = writeUint(&buf, w, u%60)
			if u /= 60; u > 0 {
				w--
				buf[w] = 'h'
				w = writeUint(&buf, w, u)
			}
		}
	} else {
		w = writeUint(&buf, w, u)
	}
	if d < 0 {
		w--
		buf[w] = '-'
	}
	return string(buf[w:])
}

// writeFraction writes v's last prec digits before buf[w] as a fraction
// without its trailing zeros (nothing if they are all zero), and returns
// where it began and v without those digits.
func writeFraction(buf *[32]byte, w int, v uint64, prec int) (int, uint64) {
	printed := false
	for range prec {
		digit := v % 10
		printed = printed || digit != 0
		if printed {
			w--
			buf[w] = byte(digit) + '0'
		}
		v /= 10
	}
	if printed {
		w--
		buf[w] = '.'
	}
	return w, v
}

// writeUint writes v in decimal before buf[w] and returns where it began.
func writeUint(buf *[32]byte, w int, v uint64) int {
	for {
		w--
		buf[w] = byte(v%10) + '0'
		if v /= 10; v == 0 {
			return w
		}
	}
}
