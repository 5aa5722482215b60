package unread

import (
	"strconv"

	"github.com/markunread/markunread/wasm/internal/time"
)

// Plan is the portal's bucket: requests drain at Rate per second and Burst
// fit at once (docs/bitrix24.md#f-rate-bucket).
type Plan struct {
	Rate  float64
	Burst int
}

// The two buckets the portal's docs name: every plan, and Enterprise.
var (
	StandardPlan   = Plan{Rate: 2, Burst: 50}
	EnterprisePlan = Plan{Rate: 5, Burst: 250}
)

// planFromAppInfo reads the plan from app.info's answer
// (docs/bitrix24.md#f-appinfo-license): LICENSE_FAMILY "ent" (cloud), or a LICENSE
// whose plan part starts with "ent" ("ru_ent250"), is Enterprise; any other
// plan, a self-hosted portal included, gets the standard bucket. ok is
// false when the answer says nothing about the plan.
func planFromAppInfo(r Response) (Plan, bool) {
	body, _ := r.JSON.(map[string]any)
	result, _ := body["result"].(map[string]any)
	if r.Status != 200 || result == nil {
		return Plan{}, false
	}
	if family, _ := result["LICENSE_FAMILY"].(string); family != "" {
		if lowerASCII(family) == "ent" {
			return EnterprisePlan, true
		}
		return StandardPlan, true
	}
	license, _ := result["LICENSE"].(string)
	if license == "" {
		return Plan{}, false
	}
	if planKind(lowerASCII(license)) == "ent" {
		return EnterprisePlan, true
	}
	return StandardPlan, true
}

// planKind is the first three letters of a LICENSE's plan part, after its
// language ("ru_ent250" -> "ent"), or less when the part is shorter.
func planKind(license string) string {
	for i := 0; i < len(license); i++ {
		if license[i] == '_' {
			kind := license[i+1:]
			return kind[:min(3, len(kind))]
		}
	}
	return ""
}

// askPlanLocked decides whether app.info goes now: when the plan is to be
// learned, the portal has answered once, and the client has sent half a
// standard bucket's worth of requests, so that on a fresh bucket the
// answer comes before the bucket would hold it back, and more marks wait
// than a standard burst still takes. Pages that mark a few messages never
// ask, nor does a job that a standard burst holds (its request would take
// a connection from the marks: a round trip on 6 connections), nor a small
// job that found the bucket full (another app spent it): there a request
// for the plan would take the place of a batch of marks.
func (c *Client) askPlanLocked(now time.Time) bool {
	left := (capacity(StandardPlan) - c.stats.Requests) * c.cfg.BatchSize // marks a standard burst still takes
	if c.plan != planUnknown || c.stats.Requests < capacity(StandardPlan)/2 || c.stats.Queued <= left || !c.pacer.Spare(now) {
		return false
	}
	c.plan = planAsking
	c.pacer.Sent(now, 0)
	return true
}

// recallPlan takes the plan remembered for base, once, when it is to be
// learned, and gives the bucket the client now assumes (Pacer.Assumed). The store is asked without the
// lock held: it is page code.
func (c *Client) recallPlan(base string) Plan {
	c.mu.Lock()
	if c.base == "" {
		c.takeHeldLocked(base, time.Now())
		c.base = base
		if h := c.heard; h != nil {
			c.heardRoomLocked(h.portal, h.belief)
			c.heard = nil
		}
	}
	c.base = base
	ask := c.plan == planUnknown && c.cfg.Plans != nil && !c.recalled
	c.recalled = true
	c.mu.Unlock()
	if ask {
		plan, ok := c.cfg.Plans.Recall(base)
		c.mu.Lock()
		// Only a plan larger than the standard one is worth recalling: a
		// portal remembered as standard may have been upgraded since, and
		// app.info is asked again when a page has work enough to need it.
		if ok && c.plan == planUnknown && plan.Rate > 0 && plan.Burst > StandardPlan.Burst {
			c.setPlanLocked(plan, time.Now(), "recalled")
		}
		c.mu.Unlock()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pacer.Assumed(time.Now())
}

// learnedPlan takes what app.info said (r: how its request ended). Without
// an answer the client stays on the standard plan.
func (c *Client) learnedPlan(base string, plan Plan, ok bool, r reply) {
	c.mu.Lock()
	c.pacer.Answered(time.Now(), r)
	c.plan = planKnown
	if ok {
		c.setPlanLocked(plan, time.Now(), "learned from app.info")
	}
	c.mu.Unlock()
	if ok && c.cfg.Plans != nil {
		c.cfg.Plans.Remember(base, plan)
	}
	c.poke()
}

func (c *Client) setPlanLocked(plan Plan, now time.Time, how string) {
	c.plan = planKnown
	c.pacer.SetPlan(plan, now)
	c.log(LogEvent{Kind: LogPlan, Text: "the portal's bucket (" + how + "): " + formatNumber(plan.Rate) + " per second, burst " + strconv.Itoa(plan.Burst)})
}

// demotePlanLocked: a request beyond a standard portal's bucket, on a plan
// larger than the standard one (told or learned) that no such request has
// yet confirmed, met a full bucket.
// Whatever app.info or the page said, the client never again goes over the
// standard plan's limit in its life: a busy Enterprise portal then runs
// slower, a standard one is never flooded. A 503 to a request within the
// standard bucket, or after the plan was confirmed, is someone else's
// load, and changes no plan.
func (c *Client) demotePlanLocked(now time.Time) bool {
	if c.pacer.Plan().Burst <= StandardPlan.Burst {
		return false
	}
	c.setPlanLocked(StandardPlan, now, "the portal refused a request beyond the standard plan")
	return true
}
