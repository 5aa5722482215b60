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
// full(), hold(method, untilMs), watch(listener) -> unwatch, room(others,
// atMs, holdMs), watchRoom(listener) -> unwatch}, made once per portal;
// reserve's promise resolves with {granted, refused}, the budget's count
// of the app's requests to the portal (unread.AppCount), or with anything
// else when it does not count; watch's listener(method, untilMs) hears
// the holds of the portal's other clients, which go to held; watchRoom's
// listener(others, atMs, holdMs) hears what they learned of the portal's
// other apps (unread.Belief; it is called at once with the latest known),
// which goes to heardRoom. room and watchRoom are optional: an older
// shim's budget, or a page's own, works without them.
type sharedBudget struct {
	factory js.Value
	// held and heardRoom pass holds and rooms to the client's Held and
	// HeardRoom: set before the client's first request, cleared by release
	// (calls from JavaScript all run on one thread). Times are epoch
	// milliseconds: a time.Time among this type's fields would keep Time's
	// formatting in the module (about 17 KB).
	held      func(portal, method string, untilMs float64)
	heardRoom func(portal string, b unread.Belief)

	mu        sync.Mutex
	byPortal  map[string]js.Value
	listeners []js.Func
	unwatch   []js.Value
}

func newSharedBudget(factory js.Value) *sharedBudget {
	return &sharedBudget{factory: factory, byPortal: map[string]js.Value{}}
}

func (s *sharedBudget) get(portal string) (js.Value, error) {
	s.mu.Lock()
	b, ok := s.byPortal[portal]
	if !ok {
		if err := guard("budget()", func() { b = s.factory.Invoke(portal) }); err != nil {
			s.mu.Unlock()
			return js.Undefined(), err
		}
		s.byPortal[portal] = b
	}
	s.mu.Unlock()
	if !ok {
		// Outside the lock: watch tells the listener at once of the holds
		// not yet lifted, and watchRoom of the room last learned; the
		// listeners run here, on this goroutine.
		s.watch(portal, b)
		s.watchRoom(portal, b)
	}
	return b, nil
}

// watch has the client hear the holds of portal's other clients.
func (s *sharedBudget) watch(portal string, b js.Value) {
	held := s.held
	if held == nil {
		return
	}
	listener := funcOf("budget.watch's listener", func(args []js.Value) {
		method, until := arg(args, 0), arg(args, 1)
		if s.held != nil && method.Type() == js.TypeString && until.Type() == js.TypeNumber {
			held(portal, method.String(), until.Float())
		}
	}, func(*unread.Error) {})
	var unwatch js.Value
	_ = guard("budget.watch", func() { unwatch = b.Call("watch", listener) })
	s.keep(listener, unwatch)
}

// watchRoom has the client hear what portal's other clients learned of
// the portal's other apps, when the budget can tell it.
func (s *sharedBudget) watchRoom(portal string, b js.Value) {
	heard := s.heardRoom
	if heard == nil || !hasMethod(b, "watchRoom") {
		return
	}
	listener := funcOf("budget.watchRoom's listener", func(args []js.Value) {
		others, at, hold := arg(args, 0), arg(args, 1), arg(args, 2)
		if s.heardRoom != nil && others.Type() == js.TypeNumber && at.Type() == js.TypeNumber {
			b := unread.Belief{OthersPerSec: others.Float(), AtMs: int64(at.Float())}
			if hold.Type() == js.TypeNumber && hold.Float() > 0 && hold.Float() < 1e9 {
				b.HoldMs = int64(hold.Float())
			}
			heard(portal, b)
		}
	}, func(*unread.Error) {})
	var unwatch js.Value
	_ = guard("budget.watchRoom", func() { unwatch = b.Call("watchRoom", listener) })
	s.keep(listener, unwatch)
}

// keep holds a listener and its unwatch until release.
func (s *sharedBudget) keep(listener js.Func, unwatch js.Value) {
	s.mu.Lock()
	s.listeners = append(s.listeners, listener)
	s.unwatch = append(s.unwatch, unwatch)
	s.mu.Unlock()
}

// hasMethod says whether b has a function named name; a getter that throws
// says no.
func hasMethod(b js.Value, name string) bool {
	ok := false
	_ = guard("budget."+name, func() { ok = b.Get(name).Type() == js.TypeFunction })
	return ok
}

func (s *sharedBudget) Reserve(portal string, plan unread.Plan, stop <-chan struct{}) (unread.AppCount, error) {
	b, err := s.get(portal)
	if err != nil {
		return unread.AppCount{}, err
	}
	var promise js.Value
	if err := guard("budget.reserve", func() { promise = b.Call("reserve", plan.Rate, plan.Burst) }); err != nil {
		return unread.AppCount{}, err
	}
	v, err := await(stop, promise, nil)
	if err != nil {
		return unread.AppCount{}, err
	}
	return appCount(v), nil
}

// appCount reads reserve's {granted, refused}: counts, whole numbers of at
// least 0 and granted no fewer than refused; anything else counts nothing.
func appCount(v js.Value) unread.AppCount {
	var c unread.AppCount
	_ = guard("budget.reserve's count", func() {
		if t, ok := typeOf(v); !ok || t != js.TypeObject {
			return
		}
		g, r := v.Get("granted"), v.Get("refused")
		if g.Type() != js.TypeNumber || r.Type() != js.TypeNumber {
			return
		}
		gf, rf := g.Float(), r.Float()
		if gf >= 0 && rf >= 0 && gf < 1<<52 && rf <= gf && gf == float64(int64(gf)) && rf == float64(int64(rf)) {
			c = unread.AppCount{Granted: int(gf), Refused: int(rf), Counted: true}
		}
	})
	return c
}

func (s *sharedBudget) Full(portal string) {
	if b, err := s.get(portal); err == nil {
		_ = guard("budget.full", func() { b.Call("full") })
	}
}

func (s *sharedBudget) Hold(portal, method string, untilMs int64) {
	if b, err := s.get(portal); err == nil {
		_ = guard("budget.hold", func() { b.Call("hold", method, untilMs) })
	}
}

// Room tells the portal's other clients what this one learned of the
// portal's other apps, when the budget can carry it.
func (s *sharedBudget) Room(portal string, belief unread.Belief) {
	if b, err := s.get(portal); err == nil && hasMethod(b, "room") {
		_ = guard("budget.room", func() { b.Call("room", belief.OthersPerSec, belief.AtMs, belief.HoldMs) })
	}
}

// release lets go of the listeners: the client is closed.
func (s *sharedBudget) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, stop := range s.unwatch {
		if t, ok := typeOf(stop); ok && t == js.TypeFunction {
			_ = guard("budget.watch's unwatch", func() { stop.Invoke() })
		}
	}
	for _, f := range s.listeners {
		f.Release()
	}
	s.listeners, s.unwatch, s.held, s.heardRoom = nil, nil, nil, nil
}
