package unread

import (
	"strconv"
	"testing"

	"github.com/markunread/markunread/wasm/internal/time"
)

// BenchmarkTakeLocked packs one full request out of a queue of 50 dialogs
// with two calls each, one after the other, so the merge finds every
// second call's command, the latest one: the dispatcher's hot path for
// bulk work. The last dialog's second call waits: the request is full.
func BenchmarkTakeLocked(b *testing.B) {
	now := time.Now()
	calls := make([]call, 100)
	dialogs := make([]DialogID, len(calls))
	for i := range dialogs {
		dialogs[i] = DialogID("chat" + strconv.Itoa(i/2))
	}
	c := &Client{cfg: Config{BatchSize: maxBatch}}
	for b.Loop() {
		ln := &c.lanes[1]
		ln.calls = ln.calls[:0]
		for i := range calls {
			calls[i] = call{dialog: dialogs[i], message: MessageID(i + 1), state: queued}
			ln.calls = append(ln.calls, &calls[i])
		}
		if cmds := c.takeLocked(now, maxBatch); len(cmds) != 50 || len(cmds[48].calls) != 2 {
			b.Fatalf("took %d commands", len(cmds))
		}
	}
}
