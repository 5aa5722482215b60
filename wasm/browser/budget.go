//go:build js && wasm

package browser

import (
	"sync"
	"syscall/js"

	"github.com/markunread/markunread/wasm/unread"
)

// planStore keeps a portal's plan between page loads through the shim's
// plans object: recall(portal) -> {perSecond, burst} or null, and
// remember(portal, perSecond, burst). A store that fails is one that
// remembers nothing.
type planStore struct {
	store js.Value
}

func (s planStore) Recall(portal string) (unread.Plan, bool) {
	var p unread.Plan
	err := guard("plans.recall", func() {
		v := s.store.Call("recall", portal)
		if v.Type() != js.TypeObject {
			return
		}
		if r := v.Get("perSecond"); r.Type() == js.TypeNumber {
			p.Rate = r.Float()
		}
		if b := v.Get("burst"); b.Type() == js.TypeNumber {
			p.Burst = b.Int()
		}
	})
	return p, err == nil && p.Rate > 0 && p.Burst > 0
}

func (s planStore) Remember(portal string, p unread.Plan) {
	_ = guard("plans.remember", func() { s.store.Call("remember", portal, p.Rate, p.Burst) })
}

// sharedBudget is the shim's budget shared by the app's clients, frames
// and tabs: budget(portal) gives {reserve(perSecond, burst) -> Promise,
// full()}, made once per portal.
type sharedBudget struct {
	factory js.Value

	mu       sync.Mutex
	byPortal map[string]js.Value
}

func newSharedBudget(factory js.Value) *sharedBudget {
	return &sharedBudget{factory: factory, byPortal: map[string]js.Value{}}
}

func (s *sharedBudget) get(portal string) (js.Value, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, ok := s.byPortal[portal]; ok {
		return b, nil
	}
	var b js.Value
	if err := guard("budget()", func() { b = s.factory.Invoke(portal) }); err != nil {
		return js.Undefined(), err
	}
	s.byPortal[portal] = b
	return b, nil
}

func (s *sharedBudget) Reserve(portal string, plan unread.Plan, stop <-chan struct{}) error {
	b, err := s.get(portal)
	if err != nil {
		return err
	}
	var promise js.Value
	if err := guard("budget.reserve", func() { promise = b.Call("reserve", plan.Rate, plan.Burst) }); err != nil {
		return err
	}
	_, err = await(stop, promise, nil)
	return err
}

func (s *sharedBudget) Full(portal string) {
	if b, err := s.get(portal); err == nil {
		_ = guard("budget.full", func() { b.Call("full") })
	}
}
