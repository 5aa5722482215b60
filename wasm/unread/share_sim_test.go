package unread

import (
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The client on a bucket that another app spends too, under synctest's
// fake clock: a deterministic simulation of the portal's bucket shared
// with a modelled other app (fakePortal.other). It asserts what a user
// and the portal's operators would see: how many of the client's requests
// the portal refused, that nothing was lost, and the wall time against
// the ideal, (requests beyond the room free at the start) / (the plan's
// rate − the other's).

type shareRun struct {
	requests, refused int
	took              time.Duration
	ideal             time.Duration
}

// runShared marks n dialogs as one bulk job on p (a standard portal) and
// checks that every mark passed.
func runShared(t *testing.T, p *fakePortal, n int, othersRate float64) shareRun {
	c := newTestClient(t, p, Config{Timeout: time.Hour})
	marks := make([]MarkRequest, n)
	for i := range marks {
		marks[i] = MarkRequest{Dialog: String("chat" + strconv.Itoa(i+1)), Message: Number(1)}
	}
	var failed atomic.Int64
	start := time.Now()
	<-c.MarkMany(marks, nil, func(_ int, err *Error) {
		if err != nil {
			failed.Add(1)
		}
	})
	took := time.Since(start)
	require.Zero(t, failed.Load(), "nothing is lost")
	require.Len(t, p.unread, n)
	free := p.burst - p.level0
	beyond := float64((n+maxBatch-1)/maxBatch) - free
	r := shareRun{requests: c.Stats().Requests, refused: c.Stats().Status503, took: took,
		ideal: time.Duration(max(0, beyond) / (p.rate - othersRate) * float64(time.Second))}
	t.Logf("%d marks: %d requests, %d × 503, %.1f s (ideal %.1f s, ×%.2f); the other app: %d requests, %d refused",
		n, r.requests, r.refused, took.Seconds(), r.ideal.Seconds(), took.Seconds()/r.ideal.Seconds(), p.other.requests, p.other.refused)
	return r
}

func sharedPortal(other *otherApp) *fakePortal {
	p := newFakePortal()
	other.start = time.Now()
	p.other = other
	return p
}

// assertFloors: at most 3 + 5% of the client's requests refused, and the
// wall time within 1.15 times the ideal.
func assertFloors(t *testing.T, r shareRun) {
	assert.LessOrEqual(t, float64(r.refused), 3+0.05*float64(r.requests), "503s")
	assert.LessOrEqual(t, r.took.Seconds(), 1.15*r.ideal.Seconds(), "wall time against the ideal")
}

// Steady at 0.5, 1 and 1.5 requests per second, the bench's rows, at 20
// and 300 ms latency, and with the 6 connections Chromium opens to a
// portal without HTTP/2.
func TestAnotherAppSteadyOnTheBucketCostsFew503s(t *testing.T) {
	for _, tc := range []struct {
		rate float64
		n    int
	}{{0.5, 4000}, {1, 6000}, {1.5, 4000}} {
		for _, latency := range []time.Duration{20 * time.Millisecond, 300 * time.Millisecond} {
			for _, conns := range []int{0, 6} {
				name := strconv.FormatFloat(tc.rate, 'f', -1, 64) + "/s, " + latency.String() + ", " + strconv.Itoa(conns) + " connections"
				t.Run(name, func(t *testing.T) {
					synctest.Test(t, func(t *testing.T) {
						p := sharedPortal(&otherApp{perSecond: tc.rate})
						p.latency = latency
						if conns > 0 {
							p.conns = make(chan struct{}, conns)
						}
						assertFloors(t, runShared(t, p, tc.n, tc.rate))
					})
				})
			}
		}
	}
}

func TestAnotherAppInBurstsOnTheBucketCostsFew503s(t *testing.T) {
	for _, tc := range []struct {
		burst int
		every time.Duration
		n     int
	}{{10, 10 * time.Second, 4000}, {10, 10 * time.Second, 6000}, {5, 5 * time.Second, 6000}, {20, 20 * time.Second, 6000}} {
		t.Run(strconv.Itoa(tc.burst)+"/"+tc.every.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := sharedPortal(&otherApp{burst: tc.burst, every: tc.every})
				r := runShared(t, p, tc.n, float64(tc.burst)/tc.every.Seconds())
				assertFloors(t, r)
			})
		})
	}
}

// A bucket found at a level the client cannot know costs the 503s of the
// requests under way when the ramp met the brim: near the brim (46 and 49
// of 50, the bench's rows) and full at most 2, whatever the level at most
// the ramp's window (6), and none where the job's 40 requests fit.
func TestABucketFoundAtAnyLevelCostsOnlyTheRampsRoundThatMetTheBrim(t *testing.T) {
	for level := 0; level <= 50; level++ {
		t.Run(strconv.Itoa(level), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := newFakePortal()
				p.level, p.at, p.level0 = float64(level), time.Now(), float64(level)
				p.other = &otherApp{start: time.Now()}
				r := runShared(t, p, 2000, 0)
				assert.LessOrEqual(t, r.refused, rampWindow, "at most the window when the ramp met the brim")
				switch {
				case level == 46 || level >= 49:
					assert.LessOrEqual(t, r.refused, 2)
				case level <= 10:
					assert.Zero(t, r.refused, "the job fits in the room there was")
				}
			})
		})
	}
}

// hubShared is the shim's hub in Go: one bucket for every client, paced
// at the rate the latest reservation carried when it arrived (as the
// shim's module budget tells a changed rate), counting the app's requests
// that passed, and rooms relayed.
type hubShared struct {
	mu      sync.Mutex
	bucket  *Bucket
	clients []*Client
	count   AppCount
}

func (h *hubShared) Reserve(_ string, plan Plan, stop <-chan struct{}) (AppCount, error) {
	h.mu.Lock()
	if h.bucket == nil {
		h.bucket = NewBucket(plan.Rate, capacity(plan))
	}
	h.bucket.SetRate(time.Now(), plan.Rate)
	h.mu.Unlock()
	for {
		h.mu.Lock()
		now := time.Now()
		d := h.bucket.Delay(now)
		if d <= 0 {
			h.bucket.Add(now)
			c := h.count
			h.count.Granted++
			h.mu.Unlock()
			return c, nil
		}
		h.mu.Unlock()
		select {
		case <-stop:
			return AppCount{}, errStopped
		case <-time.After(d):
		}
	}
}
func (h *hubShared) Full(string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.count.Refused++
	if h.bucket != nil {
		h.bucket.Fill(time.Now())
	}
}
func (h *hubShared) Hold(string, string, int64) {}
func (h *hubShared) Room(portal string, b Belief) {
	for _, c := range h.clients {
		c.HeardRoom(portal, b)
	}
}

// Three clients of the app (tabs) on a portal another app spends at 1
// request per second, through one shared budget that paces them together,
// counts the app's requests and relays what each learns (hubShared, as
// the shim's budget does): they meet the floors of one client (at most 3 +
// 5% of their requests refused, within 1.15 times the ideal: 6,000 marks,
// 120 requests, 70 beyond the free burst at the 1 request per second the
// other app leaves), pay fewer 503s than three clients that each learn on
// their own, and lose nothing.
func TestClientsThatShareABudgetShareWhatTheyLearnOfTheOthers(t *testing.T) {
	refused := map[bool]int{}
	for _, shared := range []bool{false, true} {
		synctest.Test(t, func(t *testing.T) {
			p := sharedPortal(&otherApp{perSecond: 1})
			h := &hubShared{count: AppCount{Counted: true}}
			var cs []*Client
			for range 3 {
				cfg := Config{Timeout: time.Hour}
				if shared {
					cfg.Shared = h
				}
				cs = append(cs, newTestClient(t, p, cfg))
			}
			h.clients = cs
			start := time.Now()
			var wg sync.WaitGroup
			for i, c := range cs {
				wg.Go(func() {
					for _, err := range markAll(c, dialogs(3 * 2000)[2000*i:2000*(i+1)], 1) {
						assert.Nil(t, err)
					}
				})
			}
			wg.Wait()
			requests := 0
			for _, c := range cs {
				requests += c.Stats().Requests
				refused[shared] += c.Stats().Status503
			}
			assert.Len(t, p.unread, 6000, "nothing lost")
			took := time.Since(start)
			t.Logf("shared budget %v: %.1f s (ideal 70 s), %d requests, %d × 503", shared, took.Seconds(), requests, refused[shared])
			if shared {
				assertFloors(t, shareRun{requests: requests, refused: refused[shared], took: took, ideal: 70 * time.Second})
			}
		})
	}
	assert.Less(t, refused[true], refused[false], "503s")
}
