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
	type key struct {
		dialog  unread.DialogID
		message unread.MessageID
	}
	var mu sync.Mutex
	settled := map[key]int{}
	const timeout = 40 * time.Second
	cfg := unread.Config{
		Rate: rate, Burst: burst, BatchSize: batchSize,
		RequestTimeout: 2 * time.Second, // cuts the 30 s stall short
		Timeout:        timeout,
		OnSettle: func(pr unread.Progress) {
			mu.Lock()
			settled[key{pr.Dialog, pr.Message}]++
			mu.Unlock()
		},
	}
	c := newClient(p, cfg)
	defer c.Close()

	const callers, each = 100, 10
	const calls = callers * each
	errs := make([]*unread.Error, calls)
	took := make([]time.Duration, calls)
	keys := make([]key, calls)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range callers {
		wg.Go(func() {
			for j := range each {
				i := w*each + j
				// 250 dialogs, so some marks meet another of their dialog in a batch.
				keys[i] = key{unread.DialogID("chat" + strconv.Itoa(i%250+1)), unread.MessageID(i + 1)}
				began := time.Now()
				errs[i] = c.Mark(markRequest(keys[i].dialog, keys[i].message))
				took[i] = time.Since(began)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)

	state := p.state(t)
	stats := c.Stats()
	succeeded, maxTook := 0, time.Duration(0)
	failed := map[string]int{}
	var unexpected []string
	retryable := map[string]bool{unread.CodeNetwork: true, unread.CodeBadResponse: true, unread.CodeQueryLimit: true}
	for i, err := range errs {
		maxTook = max(maxTook, took[i])
		if err == nil {
			succeeded++
			recorded, _ := state.unread[string(keys[i].dialog)].(float64)
			if recorded == 0 || int64(recorded) > int64(keys[i].message) {
				unexpected = append(unexpected, "call "+strconv.Itoa(i)+" reported done but "+string(keys[i].dialog)+" is at "+strconv.FormatFloat(recorded, 'f', -1, 64))
			}
			continue
		}
		failed[err.Code]++
		if !retryable[err.Code] || err.Attempts != 6 {
			unexpected = append(unexpected, "call "+strconv.Itoa(i)+": "+err.Error()+" after "+strconv.Itoa(err.Attempts)+" attempts")
		}
	}
	onceEach := 0
	for _, n := range settled {
		if n == 1 {
			onceEach++
		}
	}

	codes := make([]string, 0, len(failed))
	for code, n := range failed {
		codes = append(codes, code+" "+strconv.Itoa(n))
	}
	sort.Strings(codes)
	row := func(name string, v any) { t.Logf("  %-36s %v", name, v) }
	t.Logf("1,000 marks, 20%% of requests faulted (all kinds, seed 7), rate %v/s, burst %d, batch size %d, %s in all:",
		rate, burst, cmp.Or(batchSize, 50), elapsed.Round(time.Millisecond))
	row("calls", calls)
	row("settled (OnSettle, once each)", onceEach)
	row("succeeded", succeeded)
	row("failed by code", "["+strings.Join(codes, ", ")+"]")
	row("requests the client sent", stats.Requests)
	row("  of them batches", stats.Batches)
	row("requests the server saw", state.stat("requests"))
	row("faults injected", state.stat("faults"))
	row("503s the server gave", state.stat("status503"))
	row("retries", stats.Retries)
	row("longest call", maxTook.Round(time.Millisecond))

	assert.Empty(t, unexpected)
	assert.Equal(t, calls, len(settled), "calls OnSettle heard of")
	assert.Equal(t, calls, onceEach, "calls OnSettle heard of exactly once")
	assert.Equal(t, calls, stats.Settled)
	assert.Equal(t, succeeded, stats.Succeeded)
	assert.Less(t, maxTook, timeout+time.Second, "a call outlived its timeout")
	require.Positive(t, state.stat("faults"), "no faults were injected")
	// Every faulted request carried at least one call that was sent again,
	// unless that call had used its last attempt.
	assert.GreaterOrEqual(t, stats.Retries, state.stat("faults")-(calls-succeeded))
	assert.Equal(t, stats.Requests, state.stat("requests"), "requests sent and seen")
}
