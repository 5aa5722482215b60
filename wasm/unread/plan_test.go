package unread

import (
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The portal's plan (its bucket's rate and burst): learned from app.info when a job
// is large enough to gain from it, remembered, and disproved by a 503.

func TestAnEnterprisePlanIsLearnedFromAppInfo(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		p.rate, p.burst, p.license = 5, 250, "ru_ent250"
		plans := &fakePlans{}
		c := newTestClient(t, p, Config{Plans: plans})
		start := time.Now()
		for _, err := range markAll(c, dialogs(10000), 1) {
			require.Nil(t, err)
		}
		took := time.Since(start)
		assert.Equal(t, 1, p.appInfo)
		assert.Equal(t, 0, c.Stats().Status503)
		assert.Equal(t, EnterprisePlan, plans.saved["https://example.bitrix24.com"])
		// 200 batches fit the Enterprise burst of 250; on the standard
		// plan they would take (200-49)/2 = 75 s.
		assert.Less(t, took, 5*time.Second)
	})
}

func TestAStandardPortalIsNeverAskedForItsPlanByASmallJob(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		c := newTestClient(t, p, Config{})
		for _, err := range markAll(c, dialogs(20), 1) {
			require.Nil(t, err)
		}
		assert.Zero(t, p.appInfo)
	})
}

func TestASmallJobOnAFullBucketDoesNotAskForThePlan(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		p.level, p.at = p.burst, time.Now() // another app spent the bucket
		c := newTestClient(t, p, Config{})
		start := time.Now()
		for _, err := range markAll(c, dialogs(500), 1) {
			require.Nil(t, err)
		}
		assert.Zero(t, p.appInfo, "a request for the plan would have taken a batch's place")
		assert.Equal(t, 2, c.Stats().Status503, "the first round of two met the full bucket")
		// 10 batches at the drain rate, after the first round's 503s
		assert.InDelta(t, 5.5, time.Since(start).Seconds(), 0.6)
	})
}

func TestARememberedPlanIsUsedWithoutAsking(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		p.rate, p.burst = 5, 250
		plans := &fakePlans{saved: map[string]Plan{"https://example.bitrix24.com": EnterprisePlan}}
		c := newTestClient(t, p, Config{Plans: plans, BatchSize: 1})
		for _, err := range markAll(c, dialogs(300), 1) {
			require.Nil(t, err)
		}
		assert.Zero(t, p.appInfo)
		assert.Zero(t, c.Stats().Status503)
	})
}

func TestALargerPlanOnAStandardPortalCostsOne503(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal() // 2 per second, 50
		c := newTestClient(t, p, Config{Rate: 5, Burst: 250})
		for _, err := range markAll(c, dialogs(10000), 1) {
			require.Nil(t, err)
		}
		assert.Equal(t, 1, c.Stats().Status503, "the first request beyond a standard bucket went alone")
		assert.Len(t, p.unread, 10000)
	})
}

type fakePlans struct {
	mu    sync.Mutex
	saved map[string]Plan
}

func (f *fakePlans) Recall(portal string) (Plan, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.saved[portal]
	return p, ok
}

func (f *fakePlans) Remember(portal string, plan Plan) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.saved == nil {
		f.saved = map[string]Plan{}
	}
	f.saved[portal] = plan
}

func TestA503WithinTheStandardBucketLeavesALargerPlanAlone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		p.rate, p.burst = 5, 250
		busy := func() Response {
			return answer(503, `{"error":"QUERY_LIMIT_EXCEEDED","error_description":"Too many requests"}`)
		}
		p.script = []func() Response{busy} // another app's load, at the start
		c := newTestClient(t, p, Config{Rate: 5, Burst: 250})
		start := time.Now()
		for _, err := range markAll(c, dialogs(10000), 1) {
			require.Nil(t, err)
		}
		assert.Equal(t, 1, c.Stats().Status503)
		// The full bucket drains at the plan's 5 per second: 200 batches in
		// 40 s. Put back on 2 per second, they would take 100 s.
		assert.InDelta(t, 40, time.Since(start).Seconds(), 2)
	})
}

func TestARememberedStandardPlanIsAskedAgain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		p.rate, p.burst, p.license = 5, 250, "ru_ent250" // upgraded since
		plans := &fakePlans{saved: map[string]Plan{"https://example.bitrix24.com": StandardPlan}}
		c := newTestClient(t, p, Config{Plans: plans})
		for _, err := range markAll(c, dialogs(10000), 1) {
			require.Nil(t, err)
		}
		assert.Equal(t, 1, p.appInfo)
		assert.Equal(t, EnterprisePlan, plans.saved["https://example.bitrix24.com"])
	})
}

func TestADisprovedPlanIsNotRecalledNextTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal() // standard, though remembered as Enterprise
		plans := &fakePlans{saved: map[string]Plan{"https://example.bitrix24.com": EnterprisePlan}}
		c := newTestClient(t, p, Config{Plans: plans})
		for _, err := range markAll(c, dialogs(3000), 1) {
			require.Nil(t, err)
		}
		assert.Equal(t, 1, c.Stats().Status503)
		assert.Equal(t, StandardPlan, plans.saved["https://example.bitrix24.com"])
	})
}
