package unread

import (
	"errors"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// fakePortal answers like the portal does (bucket, batch, tokens), in
// process, so client tests run under synctest's fake clock. It shares no
// code with the client: its bucket is its own arithmetic.
type fakePortal struct {
	mu       sync.Mutex
	rate     float64
	burst    float64
	level    float64
	at       time.Time
	latency  time.Duration
	token    string            // the valid token
	expired  map[string]bool   // tokens that answer expired_token
	unread   map[string]int64  // dialog -> first unread message
	requests []url.Values      // every request's form, in order
	times    []time.Time       // when each of requests arrived
	script   []func() Response // answers to give before the real ones, in order
	hook     func(form url.Values) (Response, bool)
	netFails int // the next n requests fail with no answer
	stall    bool
	license  string // what app.info says
	appInfo  int    // app.info requests; they are not in requests
	other    *otherApp
	conns    chan struct{} // nil: no bound; else the browser's connections to the portal
	refused  int           // the client's requests answered 503
	level0   float64       // the level at the start, for the ideal
}

func newFakePortal() *fakePortal {
	return &fakePortal{rate: 2, burst: 50, token: "good", license: "ru_pro", expired: map[string]bool{}, unread: map[string]int64{}, latency: 20 * time.Millisecond}
}

var dialogPattern = regexp.MustCompile(`(?i)^([0-9]+|(chat|sg|crm)[0-9]+)$`)

var errStopped = errors.New("stopped")

func (p *fakePortal) Post(stop <-chan struct{}, rawURL, body string) (Response, error) {
	if p.conns != nil {
		select {
		case p.conns <- struct{}{}:
			defer func() { <-p.conns }()
		case <-stop:
			return Response{}, errStopped
		}
	}
	select {
	case <-time.After(p.latency):
	case <-stop:
		return Response{}, errStopped
	}
	form, err := url.ParseQuery(body)
	if err != nil {
		return Response{Status: 400, Unreadable: true}, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	isAppInfo := strings.HasSuffix(rawURL, "/rest/app.info")
	if isAppInfo {
		p.appInfo++
		return Response{Status: 200, JSON: map[string]any{"result": map[string]any{"LICENSE": p.license}}}, nil
	}
	p.requests = append(p.requests, form)
	p.times = append(p.times, time.Now())
	if p.stall {
		p.mu.Unlock()
		<-stop
		p.mu.Lock()
		return Response{}, errStopped
	}
	if p.netFails > 0 {
		p.netFails--
		return Response{}, errors.New("connection refused")
	}
	if len(p.script) > 0 {
		next := p.script[0]
		p.script = p.script[1:]
		p.mu.Unlock() // a scripted answer may wait; other requests go on
		r := next()
		p.mu.Lock()
		return r, nil
	}
	if p.hook != nil {
		if r, ok := p.hook(form); ok {
			return r, nil
		}
	}
	now := time.Now()
	if p.other != nil {
		p.other.play(p, now)
	}
	if !p.take(now) {
		p.refused++
		return errorAnswer(503, "QUERY_LIMIT_EXCEEDED", "Too many requests"), nil
	}
	switch tok := form.Get("auth"); {
	case p.expired[tok]:
		return errorAnswer(401, "expired_token", "The access token provided has expired"), nil
	case tok != p.token:
		return errorAnswer(401, "invalid_token", "The access token provided is invalid"), nil
	}
	switch {
	case strings.HasSuffix(rawURL, "/rest/im.dialog.unread"):
		return p.markLocked(form.Get("DIALOG_ID"), form.Get("MESSAGE_ID")), nil
	case strings.HasSuffix(rawURL, "/rest/batch"):
		results, failures := map[string]any{}, map[string]any{}
		for key, vals := range form {
			if !strings.HasPrefix(key, "cmd[") {
				continue
			}
			k := strings.TrimSuffix(strings.TrimPrefix(key, "cmd["), "]")
			m, q, _ := strings.Cut(vals[0], "?")
			args, _ := url.ParseQuery(q)
			if m != "im.dialog.unread" {
				failures[k] = map[string]any{"error": "ERROR_METHOD_NOT_FOUND", "error_description": "Method not found!"}
				continue
			}
			r := p.markLocked(args.Get("DIALOG_ID"), args.Get("MESSAGE_ID"))
			if body := r.JSON.(map[string]any); body["error"] != nil {
				failures[k] = body
			} else {
				results[k] = true
			}
		}
		return Response{Status: 200, JSON: map[string]any{"result": map[string]any{"result": results, "result_error": failures}, "time": map[string]any{}}}, nil
	}
	return errorAnswer(404, "ERROR_METHOD_NOT_FOUND", "Method not found!"), nil
}

// take counts one request arriving at now in the bucket, or says there is
// no room for it.
func (p *fakePortal) take(now time.Time) bool {
	p.drain(now)
	if p.level+1 > p.burst {
		return false
	}
	p.level++
	return true
}

func (p *fakePortal) drain(now time.Time) {
	if !p.at.IsZero() && now.After(p.at) {
		p.level = max(0, p.level-now.Sub(p.at).Seconds()*p.rate)
	}
	if now.After(p.at) {
		p.at = now
	}
}

// roomAt is the first instant at or after t at which one more request
// fits, rounded up to the microsecond.
func (p *fakePortal) roomAt(t time.Time) time.Time {
	t = laterOf(t, p.at)
	level := p.level
	if !p.at.IsZero() {
		level = max(0, level-t.Sub(p.at).Seconds()*p.rate)
	}
	over := level + 1 - p.burst
	if over <= 0 {
		return t
	}
	return t.Add(time.Duration(over/p.rate*float64(time.Second)).Truncate(time.Microsecond) + time.Microsecond)
}

// otherApp is another app on the same portal and address: it spends the
// same bucket (docs/bitrix24.md#f-rate-bucket), and the client cannot see
// it. Steady: request k is due at start + k/perSecond and takes room at the
// first instant at or after that the bucket has some (a client paced by a
// limiter that knows the room), never refused. Bursts: burst requests at
// start + every, 2×every, ..., each refused when there is no room and sent
// again 1/rate + 1 s later (the official SDK's first wait after
// QUERY_LIMIT_EXCEEDED), up to 10 times, as the bench's emulator does. It is played into the bucket, in time order, before each of the
// client's requests, so it needs no timers.
type otherApp struct {
	perSecond float64
	burst     int
	every     time.Duration
	start     time.Time
	stop      time.Time // zero: never stops

	sent, bursts int
	retries      []otherRetry
	requests     int // admitted
	refused      int
	gaveUp       int
}

type otherRetry struct {
	at       time.Time
	attempts int
}

// play takes into p's bucket every request of the other app due by now.
func (o *otherApp) play(p *fakePortal, now time.Time) {
	if !o.stop.IsZero() && now.After(o.stop) {
		now = o.stop
	}
	for {
		var next, steadyAt, burstAt time.Time
		if o.perSecond > 0 {
			due := o.start.Add(time.Duration(float64(o.sent+1) / o.perSecond * float64(time.Second)))
			steadyAt = p.roomAt(due)
			next = steadyAt
		}
		if o.burst > 0 {
			burstAt = o.start.Add(time.Duration(o.bursts+1) * o.every)
			if next.IsZero() || burstAt.Before(next) {
				next = burstAt
			}
		}
		if len(o.retries) > 0 && (next.IsZero() || o.retries[0].at.Before(next)) {
			next = o.retries[0].at
		}
		if !steadyAt.IsZero() && steadyAt.After(now) && !steadyAt.After(now.Add(time.Microsecond)) {
			next, steadyAt = now, now // a tie: the other app's request was due first
		}
		if next.IsZero() || next.After(now) {
			return
		}
		switch {
		case len(o.retries) > 0 && next.Equal(o.retries[0].at):
			r := o.retries[0]
			o.retries = o.retries[1:]
			o.attempt(p, r.at, r.attempts)
		case o.burst > 0 && next.Equal(burstAt):
			o.bursts++
			for range o.burst {
				o.attempt(p, burstAt, 0)
			}
		default:
			if p.take(steadyAt) || p.takeTie(steadyAt) {
				o.sent++
				o.requests++
			}
		}
	}
}

// takeTie takes room that the rounding of roomAt left a hair short.
func (p *fakePortal) takeTie(at time.Time) bool {
	p.drain(at)
	if p.level+1 > p.burst+1e-6 {
		return false
	}
	p.level = min(p.level+1, p.burst)
	return true
}

func (o *otherApp) attempt(p *fakePortal, at time.Time, attempts int) {
	if p.take(at) {
		o.requests++
		return
	}
	o.refused++
	if attempts+1 >= 10 {
		o.gaveUp++
		return
	}
	o.retries = append(o.retries, otherRetry{at: at.Add(time.Duration((1/p.rate + 1) * float64(time.Second))), attempts: attempts + 1})
}

func laterOf(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// markLocked checks in the portal's order: MESSAGE_ID, then DIALOG_ID.
func (p *fakePortal) markLocked(dialog, message string) Response {
	id, _ := strconv.ParseInt(message, 10, 64)
	if id <= 0 {
		return errorAnswer(400, "MESSAGE_ID_ERROR", "First unread message id can't be empty")
	}
	if dialog == "0" || !dialogPattern.MatchString(dialog) {
		return errorAnswer(400, "DIALOG_ID_EMPTY", "Dialog ID can't be empty")
	}
	d := strings.ToLower(dialog)
	if old, ok := p.unread[d]; !ok || id < old {
		p.unread[d] = id
	}
	return Response{Status: 200, JSON: map[string]any{"result": true, "time": map[string]any{}}}
}

func errorAnswer(status int, code, description string) Response {
	return Response{Status: status, JSON: map[string]any{"error": code, "error_description": description}}
}

// fakeAuth hands out tokens from a list; each Refresh moves to the next.
type fakeAuth struct {
	mu         sync.Mutex
	tokens     []string
	at         int
	refreshes  int
	block      bool // Refresh never answers (until stop closes)
	expiresIn  time.Duration
	blockToken bool // Token never answers (until stop closes)
	fail       error
}

func (a *fakeAuth) Token(stop <-chan struct{}) (Credentials, error) {
	if a.blockToken {
		<-stop
		return Credentials{}, errStopped
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return Credentials{Portal: "https://example.bitrix24.com", AccessToken: a.tokens[a.at], ExpiresIn: a.expiresIn}, nil
}

func (a *fakeAuth) Refresh(stop <-chan struct{}) (Credentials, error) {
	a.mu.Lock()
	a.refreshes++
	block, fail := a.block, a.fail
	a.mu.Unlock()
	if block {
		<-stop
		return Credentials{}, errStopped
	}
	time.Sleep(50 * time.Millisecond)
	if fail != nil {
		return Credentials{}, fail
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.at++
	return Credentials{Portal: "https://example.bitrix24.com", AccessToken: a.tokens[a.at], ExpiresIn: a.expiresIn}, nil
}

func (a *fakeAuth) refreshCount() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.refreshes
}
