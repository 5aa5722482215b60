package unread

import (
	"sync"

	"github.com/markunread/markunread/wasm/internal/time"
)

// Stop is a one-shot signal that some work should end, and the reason: the
// part of context.Context this module needs. context itself costs the wasm
// module about 19 KB brotli (its cause and deadline machinery and what it
// pulls in), more than the whole queue and batch logic, for a channel and
// an error.
//
// A nil *Stop never fires, so callers without a way to give up pass nil.
//
// Done, Fire and Why are calls, not inlined: the module asks a Stop at
// some forty places, and inlined there they weighed 1.2 KB brotli.
type Stop struct {
	once sync.Once
	done chan struct{}
	why  *Error
}

// NewStop returns a Stop that has not fired.
func NewStop() *Stop {
	return &Stop{done: make(chan struct{})}
}

// Done is closed when the Stop fires; nil (never ready) for a nil Stop.
//
//go:noinline
func (s *Stop) Done() <-chan struct{} {
	if s == nil {
		return nil
	}
	return s.done
}

// Fire stops with why; only the first call counts.
//
//go:noinline
func (s *Stop) Fire(why *Error) {
	s.once.Do(func() {
		s.why = why
		close(s.done)
	})
}

// Why is what the first Fire gave; nil before it.
//
//go:noinline
func (s *Stop) Why() *Error {
	if s == nil {
		return nil
	}
	select {
	case <-s.done:
		return s.why
	default:
		return nil
	}
}

// FireAfter fires with why after d; stopping the timer it returns calls it
// off.
func (s *Stop) FireAfter(d time.Duration, why *Error) *time.Timer {
	return time.AfterFunc(d, func() { s.Fire(why) })
}
