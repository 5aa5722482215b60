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
