//go:build js && wasm

package browser

import (
	"cmp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/markunread/markunread/wasm/internal/time"
	"github.com/markunread/markunread/wasm/unread"
)

// TestAThousandMarksThroughFaultsLoseNothing sends 1,000 marks through the
// real fetch transport while the emulator faults 20% of requests with every
// kind it has (HTML 500 pages, truncated and wrongly shaped JSON, stalls,
// dropped connections, bursts of 503), seed 7: every call settles exactly
// once, in time; whatever fails only fails because its retry budget ran
// out; and every mark reported done is in the emulator's record.
//
// 100 callers make 10 marks each, one after the other. At the portal's
// default 2 requests/s the limiter packs them into a few dozen batches, so
// few requests are there to fault; at 50/s (emulator and client alike) the
// requests are many and small; without batching every call is its own
// request (200/s there, to keep the run short).
func TestAThousandMarksThroughFaultsLoseNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("fault run")
	}
	p := portalFromEnv(t)
	defer p.reset(t, `{}`)
	for _, tc := range []struct {
		name      string
		rate      float64
		burst     int
		batchSize int
		kinds     string // the fault kinds, as JSON; "" for all
	}{
		{"defaults 2 per s, burst 50", 2, 50, 0, ""},
		{"50 per s, burst 100", 50, 100, 0, ""},
		// A plan beyond the standard one is confirmed by its first request
		// past a standard bucket; a 503 to that request puts the client on
		// the standard plan (by design, see unread.Pacer), which is not
		// what this test is about. The other cases meet burst503.
		{"no batching, 200 per s, burst 200", 200, 200, 1, `["html500","truncated","wrongshape","stall","drop"]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			marksThroughFaults(t, p, tc.rate, tc.burst, tc.batchSize, tc.kinds)
		})
	}
}

func marksThroughFaults(t *testing.T, p testPortal, rate float64, burst, batchSize int, kinds string) {
	faults := `{"rate":0.2,"seed":7}`
	if kinds != "" {
		faults = `{"rate":0.2,"seed":7,"kinds":` + kinds + `}`
	}
	p.reset(t, `{"rate":`+strconv.FormatFloat(rate, 'f', -1, 64)+`,"burst":`+strconv.Itoa(burst)+`,"faults":`+faults+`}`)
	var mu sync.Mutex
	settled := map[markKey]int{}
	const timeout = 40 * time.Second
	cfg := unread.Config{
		Rate: rate, Burst: burst, BatchSize: batchSize,
		RequestTimeout: 2 * time.Second, // cuts the 30 s stall short
		Timeout:        timeout,
		OnSettle: func(pr unread.Progress) {
			mu.Lock()
			settled[markKey{pr.Dialog, pr.Message}]++
			mu.Unlock()
		},
	}
	c := newClient(p, cfg)
	defer c.Close()

	run := markInWaves(c, 100, 10)
	calls := len(run.errs)
	state := p.state(t)
	stats := c.Stats()
	o := judgeMarks(run, state)
	onceEach := countOnce(settled)

	row := func(name string, v any) { t.Logf("  %-36s %v", name, v) }
	t.Logf("1,000 marks, 20%% of requests faulted (all kinds, seed 7), rate %v/s, burst %d, batch size %d, %s in all:",
		rate, burst, cmp.Or(batchSize, 50), run.elapsed.Round(time.Millisecond))
	row("calls", calls)
	row("settled (OnSettle, once each)", onceEach)
	row("succeeded", o.succeeded)
	row("failed by code", "["+strings.Join(o.failedCodes, ", ")+"]")
	row("requests the client sent", stats.Requests)
	row("  of them batches", stats.Batches)
	row("requests the server saw", state.stat("requests"))
	row("faults injected", state.stat("faults"))
	row("503s the server gave", state.stat("status503"))
	row("retries", stats.Retries)
	row("longest call", o.longest.Round(time.Millisecond))

	assert.Empty(t, o.unexpected)
	assert.Equal(t, calls, len(settled), "calls OnSettle heard of")
	assert.Equal(t, calls, onceEach, "calls OnSettle heard of exactly once")
	assert.Equal(t, calls, stats.Settled)
	assert.Equal(t, o.succeeded, stats.Succeeded)
	assert.Less(t, o.longest, timeout+time.Second, "a call outlived its timeout")
	require.Positive(t, state.stat("faults"), "no faults were injected")
	// Every faulted request carried at least one call that was sent again,
	// unless that call had used its last attempt.
	assert.GreaterOrEqual(t, stats.Retries, state.stat("faults")-(calls-o.succeeded))
	// The server sees no request the client did not count. It may miss a
	// few: a request given up on by the 2 s RequestTimeout before it got
	// through (a loaded machine) was sent but never arrived.
	seen := state.stat("requests")
	assert.LessOrEqual(t, seen, stats.Requests, "requests seen beyond those sent")
	assert.LessOrEqual(t, stats.Requests-seen, max(1, stats.Requests/100), "requests sent but never seen")
}

type markKey struct {
	dialog  unread.DialogID
	message unread.MessageID
}

// marksRun is what callers×each marks gave, each call's by its index.
type marksRun struct {
	keys    []markKey
	errs    []*unread.Error
	took    []time.Duration
	elapsed time.Duration
}

// markInWaves has callers goroutines mark each pairs one after the
// other, over 250 dialogs, so some marks meet another of their dialog in a
// batch.
func markInWaves(c *unread.Client, callers, each int) marksRun {
	calls := callers * each
	run := marksRun{keys: make([]markKey, calls), errs: make([]*unread.Error, calls), took: make([]time.Duration, calls)}
	start := time.Now()
	var wg sync.WaitGroup
	for w := range callers {
		wg.Go(func() {
			for j := range each {
				i := w*each + j
				run.keys[i] = markKey{unread.DialogID("chat" + strconv.Itoa(i%250+1)), unread.MessageID(i + 1)}
				began := time.Now()
				run.errs[i] = c.Mark(markRequest(run.keys[i].dialog, run.keys[i].message))
				run.took[i] = time.Since(began)
			}
		})
	}
	wg.Wait()
	run.elapsed = time.Since(start)
	return run
}

// marksOutcome is a run held against the portal's state: a success must
// be recorded there, a failure must be retryable and have used its six
// attempts; anything else is unexpected.
type marksOutcome struct {
	succeeded   int
	longest     time.Duration
	failedCodes []string // "CODE n", sorted
	unexpected  []string
}

func judgeMarks(run marksRun, state portalState) marksOutcome {
	var o marksOutcome
	failed := map[string]int{}
	retryable := map[string]bool{unread.CodeNetwork: true, unread.CodeBadResponse: true, unread.CodeQueryLimit: true}
	for i, err := range run.errs {
		o.longest = max(o.longest, run.took[i])
		if err == nil {
			o.succeeded++
			recorded, _ := state.unread[string(run.keys[i].dialog)].(float64)
			if recorded == 0 || int64(recorded) > int64(run.keys[i].message) {
				o.unexpected = append(o.unexpected, "call "+strconv.Itoa(i)+" reported done but "+string(run.keys[i].dialog)+" is at "+strconv.FormatFloat(recorded, 'f', -1, 64))
			}
			continue
		}
		failed[err.Code]++
		if !retryable[err.Code] || err.Attempts != 6 {
			o.unexpected = append(o.unexpected, "call "+strconv.Itoa(i)+": "+err.Error()+" after "+strconv.Itoa(err.Attempts)+" attempts")
		}
	}
	for code, n := range failed {
		o.failedCodes = append(o.failedCodes, code+" "+strconv.Itoa(n))
	}
	sort.Strings(o.failedCodes)
	return o
}

// countOnce is how many calls were heard of exactly once.
func countOnce(heard map[markKey]int) int {
	n := 0
	for _, times := range heard {
		if times == 1 {
			n++
		}
	}
	return n
}
