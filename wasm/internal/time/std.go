//go:build !browserclock

package time

import "time"

type (
	Duration = time.Duration
	Time     = time.Time
	Timer    = time.Timer
)

const (
	Nanosecond  = time.Nanosecond
	Microsecond = time.Microsecond
	Millisecond = time.Millisecond
	Second      = time.Second
	Minute      = time.Minute
	Hour        = time.Hour
)

func Now() Time                             { return time.Now() }
func Since(t Time) Duration                 { return time.Since(t) }
func Until(t Time) Duration                 { return time.Until(t) }
func UnixMilli(msec int64) Time             { return time.UnixMilli(msec) }
func Unix(sec, nsec int64) Time             { return time.Unix(sec, nsec) }
func AfterFunc(d Duration, f func()) *Timer { return time.AfterFunc(d, f) }
func Sleep(d Duration)                      { time.Sleep(d) }
