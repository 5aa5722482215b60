package unread

import "strings"

// Plan is the portal's bucket: requests drain at Rate per second and Burst
// fit at once (docs/bitrix24.md#limits-bucket).
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
// (docs/bitrix24.md#plan): LICENSE_FAMILY "ent" (cloud), or a LICENSE
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
	_, kind, _ := strings.Cut(lowerASCII(license), "_")
	if strings.HasPrefix(kind, "ent") {
		return EnterprisePlan, true
	}
	return StandardPlan, true
}
