package worker

import (
	"encoding/json"
	"math"
	"sync"
	"time"

	"github.com/markunread/markunread/wasm/unread"
)

// portalBudget is the one bucket of the portal that every user's client spends
// (unread.SharedBudget): a request waits until the portal's bucket has room, whoever
// sends it; a full bucket seen by one client slows all; an operating-time block one
// client meets holds the others' calls of that method too.
type portalBudget struct {
	mu      sync.Mutex
	bucket  *unread.Bucket
	plan    unread.Plan
	clients []*unread.Client
	spent   float64         // the level kept from before this run (keyBucket), drained to its start
	count   unread.AppCount // the run's requests granted and refused, for every client's Share
}

// Between runs the portal's bucket is remembered as a level and when it was that
// (keyBucket): requests made outside a run (verifying a token with profile) spend
// the same bucket, and a run that starts right after them must count them.
type spentBucket struct {
	Level float64 `json:"level"`
	At    int64   `json:"at"` // Unix ms
}

// spentNow reads the kept level drained to now, at the standard plan's rate (the
// slowest drain: never less than the portal has).
func (o *Object) spentNow(now time.Time) float64 {
	v, ok, err := o.Store.Get(keyBucket)
	var b spentBucket
	if err != nil || !ok || json.Unmarshal([]byte(v), &b) != nil {
		return 0
	}
	return math.Max(0, b.Level-now.Sub(time.UnixMilli(b.At)).Seconds()*unread.StandardPlan.Rate)
}

// keepSpent writes the level the bucket has at now.
func (o *Object) keepSpent(level float64, now time.Time) {
	b, _ := json.Marshal(spentBucket{Level: level, At: now.UnixMilli()})
	_ = o.Store.Put(map[string]string{keyBucket: string(b)})
}

// spendOne counts one request made outside a run.
func (o *Object) spendOne() {
	now := o.now()
	o.keepSpent(o.spentNow(now)+1, now)
}

// level is the shared bucket's level at now (0 before any request).
func (b *portalBudget) level(now time.Time) float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.bucket == nil {
		return b.spent
	}
	return b.bucket.Level(now)
}

// budgetHeadroom is the spread in travel time the shared bucket leaves room for, as
// the core's own pacer does: requests reserved back to back may reach the portal
// bunched closer than they left, and the portal counts them when they arrive.
const budgetHeadroom = 250 * time.Millisecond

// budgetCapacity is the burst the shared bucket spends: the plan's, less a
// request's worth or the drain in budgetHeadroom, whichever is more.
func budgetCapacity(p unread.Plan) int {
	headroom := int(math.Ceil(p.Rate * budgetHeadroom.Seconds()))
	return max(1, p.Burst-max(1, headroom))
}

func (b *portalBudget) join(c *unread.Client) {
	b.mu.Lock()
	b.clients = append(b.clients, c)
	b.mu.Unlock()
}

func (b *portalBudget) Reserve(_ string, plan unread.Plan, stop <-chan struct{}) (unread.AppCount, error) {
	b.mu.Lock()
	now := time.Now()
	switch {
	case b.bucket == nil || plan.Burst != b.plan.Burst:
		b.bucket, b.plan = unread.NewBucket(plan.Rate, budgetCapacity(plan)), plan
		for i := 0.0; i < b.spent; i++ { // what was spent before this run
			b.bucket.Add(now)
		}
		b.count.Counted = true
	case plan.Rate != b.plan.Rate:
		// The rate a client assumes is its own follows what other apps
		// leave of the portal's, as it believes it when it asks (not while
		// it waits: a reservation that waited would hold the others to
		// an old belief); what was spent stays spent.
		b.bucket.SetRate(now, plan.Rate)
		b.plan = plan
	}
	b.mu.Unlock()
	for {
		b.mu.Lock()
		now := time.Now()
		d := b.bucket.Delay(now)
		if d <= 0 {
			b.bucket.Add(now)
			c := b.count
			b.count.Granted++
			b.mu.Unlock()
			return c, nil
		}
		b.mu.Unlock()
		t := time.NewTimer(d)
		select {
		case <-stop:
			t.Stop()
			return unread.AppCount{}, workerError("stopped")
		case <-t.C:
		}
	}
}

func (b *portalBudget) Full(string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.count.Refused++
	if b.bucket != nil {
		b.bucket.Fill(time.Now())
	}
}

// Room tells every user's client what one learned of the portal's other apps.
func (b *portalBudget) Room(portal string, belief unread.Belief) {
	b.mu.Lock()
	clients := append([]*unread.Client(nil), b.clients...)
	b.mu.Unlock()
	for _, c := range clients {
		c.HeardRoom(portal, belief)
	}
}

func (b *portalBudget) Hold(portal, method string, untilMs int64) {
	b.mu.Lock()
	clients := append([]*unread.Client(nil), b.clients...)
	b.mu.Unlock()
	for _, c := range clients {
		c.Held(portal, method, time.UnixMilli(untilMs))
	}
}
