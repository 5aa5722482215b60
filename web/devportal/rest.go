package devportal

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// timeBlock is the "time" member of every REST answer.
type timeBlock struct {
	Start            float64 `json:"start"`
	Finish           float64 `json:"finish"`
	Duration         float64 `json:"duration"`
	Processing       float64 `json:"processing"`
	DateStart        string  `json:"date_start"`
	DateFinish       string  `json:"date_finish"`
	Operating        float64 `json:"operating"`
	OperatingResetAt int64   `json:"operating_reset_at"`
}

func unixFloat(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// newTimeBlock builds a time block; date_* use PHP's date('c') format.
func newTimeBlock(start, finish time.Time, processing, operating time.Duration, resetAt int64) timeBlock {
	return timeBlock{
		Start:            unixFloat(start),
		Finish:           unixFloat(finish),
		Duration:         finish.Sub(start).Seconds(),
		Processing:       processing.Seconds(),
		DateStart:        start.Format(phpDateC),
		DateFinish:       finish.Format(phpDateC),
		Operating:        operating.Seconds(),
		OperatingResetAt: resetAt,
	}
}

// setCORS sets the portal's CORS headers (on every answer, errors and OPTIONS included).
func setCORS(h http.Header) {
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Headers", "origin, content-type, accept")
	h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// restAnswer is a computed answer, written after the lock is released.
type restAnswer struct {
	status int
	body   any
}

type errorBody struct {
	Error            string    `json:"error"`
	ErrorDescription string    `json:"error_description"`
	Time             timeBlock `json:"time"`
}

type resultBody struct {
	Result any       `json:"result"`
	Time   timeBlock `json:"time"`
}

// methodName extracts the lower-case method from /rest/{method}[.json].
func methodName(path string) string {
	m := strings.TrimPrefix(path, "/rest/")
	m = strings.TrimSuffix(m, ".json")
	return strings.ToLower(m)
}

// serveREST handles /rest/{method}[.json]. Checks, in order: fault injection (a fault
// answers instead of the portal), the leaky bucket, auth, then the method.
func (p *Portal) serveREST(w http.ResponseWriter, r *http.Request) {
	setCORS(w.Header())
	if r.Method == http.MethodOptions {
		w.WriteHeader(http.StatusOK)
		return
	}
	start := time.Now()
	method := methodName(r.URL.Path)

	p.mu.Lock()
	p.stats.Requests++
	p.noteArrival(start)
	if hasAuthInURL(r.URL) {
		p.stats.AuthInURL++
	}
	fault := p.pickFault()
	p.mu.Unlock()

	if fault != "" {
		p.serveFault(w, r, fault, method, start)
		return
	}
	a := p.handleREST(r, method, start)
	writeJSON(w, a.status, a.body)
}

// handleREST runs the bucket, auth and method for one request.
func (p *Portal) handleREST(r *http.Request, method string, start time.Time) restAnswer {
	prm := parseParams(r)
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if !p.bucket.take(now) {
		return p.errorAnswer(errQueryLimit, start, method)
	}
	if e := p.checkAuth(prm.get("auth"), now); e != nil {
		return p.errorAnswer(e, start, method)
	}
	if method == "batch" {
		return p.batch(prm, start)
	}
	p.stats.Commands++
	res, e, processing := p.call(method, prm)
	if e != nil {
		return p.errorAnswer(e, start, method)
	}
	sum, _, reset := p.opStatus(method)
	return restAnswer{http.StatusOK, resultBody{res, newTimeBlock(start, time.Now(), processing, sum, reset)}}
}

// opStatus returns a method's current operating sum and reset time. Caller holds mu.
func (p *Portal) opStatus(method string) (time.Duration, bool, int64) {
	return p.opLog(method).status(time.Now(), p.cfg.OperatingWindow, p.cfg.OperatingBudget)
}

// errorAnswer builds an error answer and counts its status. Caller holds mu.
func (p *Portal) errorAnswer(e *apiError, start time.Time, method string) restAnswer {
	switch e.Status {
	case http.StatusServiceUnavailable:
		p.stats.Status503++
	case http.StatusTooManyRequests:
		p.stats.Status429++
	case http.StatusUnauthorized:
		p.stats.Status401++
	}
	var sum time.Duration
	reset := ceilUnix(time.Now().Add(p.cfg.OperatingWindow))
	if _, known := methods[method]; known {
		sum, _, reset = p.opStatus(method)
	}
	return restAnswer{e.Status, errorBody{e.Code, e.Description, newTimeBlock(start, time.Now(), 0, sum, reset)}}
}

// methods are the REST methods the portal knows (besides batch).
var methods = map[string]func(p *Portal, prm params) (any, *apiError){
	"im.dialog.unread": (*Portal).dialogUnread,
}

// call runs one (non-batch) method: 404 when unknown, 429 while its operating time is past
// the budget, else the method, whose execution time is then added to its operating log.
// Caller holds mu.
func (p *Portal) call(method string, prm params) (any, *apiError, time.Duration) {
	fn, ok := methods[method]
	if !ok {
		return nil, errMethodNotFound, 0
	}
	now := time.Now()
	log := p.opLog(method)
	if _, blocked, _ := log.status(now, p.cfg.OperatingWindow, p.cfg.OperatingBudget); blocked {
		return nil, errOperatingLimit, 0
	}
	res, e := fn(p, prm)
	cost := time.Since(now)
	if p.cfg.CommandCost > 0 {
		cost = p.cfg.CommandCost
	}
	log.add(now, cost)
	return res, e, cost
}

// phpDateC is PHP's date('c') layout (numeric offset, never "Z").
const phpDateC = "2006-01-02T15:04:05-07:00"
