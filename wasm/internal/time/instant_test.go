//go:build browserclock

package time

import (
	"math"
	"testing"
	stdtime "time"
)

// The browserclock Duration and Time against the standard package's, on
// the same inputs.

func FuzzDurationIsTheStandardPackages(f *testing.F) {
	for _, d := range []int64{0, 1, 999, 1000, 1500, 1_000_000, 1_500_000, 999_999_999, 1e9, 1_500_000_000,
		59e9, 60e9, 61_000_000_001, 3600e9, 3661e9, math.MaxInt64, math.MinInt64, -1, -1_500_000} {
		f.Add(d, int64(stdtime.Second))
	}
	f.Add(int64(1499), int64(1000))
	f.Add(int64(-1500), int64(1000))
	f.Add(int64(math.MaxInt64-1), int64(3))
	f.Add(int64(5), int64(0))
	f.Fuzz(func(t *testing.T, d, m int64) {
		got, want := Duration(d), stdtime.Duration(d)
		if got.String() != want.String() {
			t.Fatalf("%d: String %q, want %q", d, got.String(), want.String())
		}
		if int64(got.Round(Duration(m))) != int64(want.Round(stdtime.Duration(m))) {
			t.Fatalf("%d.Round(%d) = %d, want %d", d, m, got.Round(Duration(m)), want.Round(stdtime.Duration(m)))
		}
		if int64(got.Truncate(Duration(m))) != int64(want.Truncate(stdtime.Duration(m))) {
			t.Fatalf("%d.Truncate(%d) = %d", d, m, got.Truncate(Duration(m)))
		}
		if int64(got.Abs()) != int64(want.Abs()) || got.Seconds() != want.Seconds() || got.Milliseconds() != want.Milliseconds() {
			t.Fatalf("%d: Abs %d, Seconds %v, Milliseconds %d", d, got.Abs(), got.Seconds(), got.Milliseconds())
		}
	})
}

func FuzzTimeIsTheStandardPackages(f *testing.F) {
	f.Add(int64(1764201600), int64(123456789), int64(1764201600), int64(0), int64(1500*stdtime.Millisecond))
	f.Add(int64(0), int64(0), int64(-1), int64(999_999_999), int64(-1))
	f.Add(int64(-62135596800), int64(0), int64(0), int64(0), int64(0)) // the zero Time
	f.Add(int64(math.MaxInt64/2), int64(-5), int64(math.MinInt64/2), int64(2e9), int64(math.MaxInt64))
	f.Fuzz(func(t *testing.T, sec, nsec, usec, unsec, d int64) {
		a, b := Unix(sec, nsec), Unix(usec, unsec)
		sa, sb := stdtime.Unix(sec, nsec), stdtime.Unix(usec, unsec)
		same(t, a, sa)
		same(t, a.Add(Duration(d)), sa.Add(stdtime.Duration(d)))
		if int64(a.Sub(b)) != int64(sa.Sub(sb)) {
			t.Fatalf("Sub %d, want %d", a.Sub(b), sa.Sub(sb))
		}
		if a.Compare(b) != sa.Compare(sb) || a.Before(b) != sa.Before(sb) || a.After(b) != sa.After(sb) || a.Equal(b) != sa.Equal(sb) {
			t.Fatalf("%v and %v compare unlike %v and %v", a, b, sa, sb)
		}
		same(t, UnixMilli(d), stdtime.UnixMilli(d))
	})
}

func same(t *testing.T, got Time, want stdtime.Time) {
	t.Helper()
	if got.IsZero() != want.IsZero() || got.Unix() != want.Unix() || got.UnixMilli() != want.UnixMilli() || got.UnixNano() != want.UnixNano() {
		t.Fatalf("%+v, want %v (Unix %d, ms %d, ns %d, zero %v)", got, want, want.Unix(), want.UnixMilli(), want.UnixNano(), want.IsZero())
	}
}

func TestTheZeroTimeIsYearOneAndBeforeEveryReading(t *testing.T) {
	var zero Time
	if !zero.IsZero() || UnixMilli(0).IsZero() {
		t.Fatal("the zero Time is January 1, year 1, not the Unix epoch")
	}
	if !zero.Before(UnixMilli(0)) || zero.Sub(UnixMilli(1764201600000)) != minDuration {
		t.Fatalf("zero.Sub(now) = %v", zero.Sub(UnixMilli(1764201600000)))
	}
}

func TestMonotonicReadingsDecideWhenBothTimesHaveOne(t *testing.T) {
	// The wall clock went back a minute between the two readings, the
	// monotonic one went on by a second.
	first := Time{sec: unixToInternal + 1000, hasMono: true, mono: 5e9}
	second := Time{sec: unixToInternal + 940, hasMono: true, mono: 6e9}
	if !first.Before(second) || second.Sub(first) != Second {
		t.Fatalf("Before %v, Sub %v: want true, 1s", first.Before(second), second.Sub(first))
	}
	wallOnly := UnixMilli(940_000)
	if !wallOnly.Before(first) || first.Sub(wallOnly) != 60*Second {
		t.Fatal("a Time without a monotonic reading compares by the wall clock")
	}
	if moved := first.Add(Minute); !moved.hasMono || moved.mono != 65e9 {
		t.Fatalf("Add moves the monotonic reading too: %+v", moved)
	}
	if far := first.Add(maxDuration); far.hasMono {
		t.Fatal("a monotonic reading out of range goes")
	}
}
