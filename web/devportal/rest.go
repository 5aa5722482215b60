package devportal

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// timeBlock is the "time" member of a successful REST answer
// (docs/bitrix24.md#f-time-fields): start and processing are integers, finish and
// duration floats, and operating_reset_at/operating come last, only on a cloud portal.
type timeBlock struct {
	Start            int64    `json:"start"`
	Finish           float64  `json:"finish"`
	Duration         float64  `json:"duration"`
	Processing       int64    `json:"processing"`
	DateStart        string   `json:"date_start"`
	DateFinish       string   `json:"date_finish"`
	OperatingResetAt *int64   `json:"operating_reset_at,omitempty"`
	Operating        *float64 `json:"operating,omitempty"`
}

func unixFloat(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// timeBlockFor builds the time block of method's answer: the HTTP request (or batch
// command) started at start, the method ran from procStart to procEnd, and requestStart
// is the start of the HTTP request (the reset time's fallback). Caller holds mu.
func (p *Portal) timeBlockFor(method string, start, procStart, procEnd, requestStart time.Time) timeBlock {
	finish := time.Now()
	tb := timeBlock{
		Start:      start.Unix(),
		Finish:     unixFloat(finish),
		Processing: procEnd.Unix() - procStart.Unix(),
		DateStart:  time.Unix(start.Unix(), 0).In(start.Location()).Format(phpDateC),
		DateFinish: finish.Format(phpDateC),
	}
	tb.Duration = tb.Finish - float64(tb.Start)
	if !p.cfg.SelfHosted {
		l := p.opLog(method)
		reset := l.resetAt(finish, requestStart, p.cfg.OperatingWindow)
		op := l.sum(finish, p.cfg.OperatingWindow).Seconds()
		tb.OperatingResetAt, tb.Operating = &reset, &op
	}
	return tb
}

// setRESTHeaders sets exactly the headers CRestUtil::sendHeaders sends on every REST
// answer (docs/bitrix24.md#f-cors-headers).
func setRESTHeaders(h http.Header) {
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Headers", "origin, content-type, accept")
	h.Set("X-Content-Type-Options", "nosniff")
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

// serveREST handles /rest/{method}[.json]: a moved portal's redirect, fault injection (a
// fault answers instead of the portal), then the portal (handleREST), whose answer is
// delayed by Config.Latency and cut at Config.RequestCap.
func (p *Portal) serveREST(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodOptions {
		setRESTHeaders(w.Header())
		w.WriteHeader(http.StatusOK)
		return
	}
	start := time.Now()
	method := methodName(r.URL.Path)

	p.mu.Lock()
	cfg := p.cfg
	p.stats.Requests++
	p.noteArrival(start)
	if hasAuthInURL(r.URL) {
		p.stats.AuthInURL++
	}
	if cfg.MovedTo != "" {
		p.stats.Redirects++
		p.mu.Unlock()
		// docs/bitrix24.md#f-moved-302; CORS on the 302 and its body are unknown.
		setRESTHeaders(w.Header())
		w.Header().Set("Location", strings.TrimSuffix(cfg.MovedTo, "/")+r.URL.RequestURI())
		w.WriteHeader(http.StatusFound)
		return
	}
	fault := p.pickFault()
	p.mu.Unlock()

	if fault != "" {
		p.serveFault(w, r, fault, method, start)
		return
	}
	a := p.handleREST(r, method, start)
	if cfg.Latency > 0 {
		if cfg.Latency >= cfg.RequestCap {
			if sleepCtx(r.Context(), cfg.RequestCap) {
				writeGatewayTimeout(w)
			}
			return
		}
		if !sleepCtx(r.Context(), cfg.Latency) {
			return
		}
	}
	p.writeAnswer(w, a)
}

// writeAnswer writes a computed answer with the REST headers; a 503 QUERY_LIMIT_EXCEEDED
// goes without them when Config.NoCORSOn503 is set.
func (p *Portal) writeAnswer(w http.ResponseWriter, a restAnswer) {
	if e, ok := a.body.(*apiError); !ok || e != errQueryLimit || !p.config().NoCORSOn503 {
		setRESTHeaders(w.Header())
	}
	writeJSON(w, a.status, a.body)
}

// writeGatewayTimeout is what the emulator answers when a request passes the portal's 60 s
// cap: what a real portal sends then is unknown (docs/bitrix24.md#f-req-60s), so it answers
// like a front whose backend did not answer in time.
func writeGatewayTimeout(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusGatewayTimeout)
	fmt.Fprint(w, "<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n<center><h1>504 Gateway Time-out</h1></center>\r\n</body>\r\n</html>\r\n")
}

// handleREST runs one request in the portal's order (docs/bitrix24.md#f-check-order): the
// leaky bucket, the method lookup, auth, then batch or the method.
func (p *Portal) handleREST(r *http.Request, method string, start time.Time) restAnswer {
	prm := parseParams(r)
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	p.other.advance(&p.bucket, now, &p.stats)
	if !p.bucket.take(now) {
		return p.errorAnswer(errQueryLimit)
	}
	if _, known := methods[method]; !known && method != "batch" {
		return p.errorAnswer(errMethodNotFound)
	}
	if e := p.checkAuth(prm.get("auth"), now); e != nil {
		return p.errorAnswer(e)
	}
	if method == "batch" {
		return p.batch(prm, start)
	}
	p.countCommand(method)
	res, e, procStart, procEnd := p.call(method, prm)
	if e != nil {
		return p.errorAnswer(e)
	}
	return restAnswer{http.StatusOK, resultBody{res, p.timeBlockFor(method, start, procStart, procEnd, start)}}
}

// errorAnswer builds an error answer, exactly {"error","error_description"} with no time
// block (docs/bitrix24.md#f-err-shape), and counts its status. Caller holds mu.
func (p *Portal) errorAnswer(e *apiError) restAnswer {
	p.countStatus(e.Status)
	return restAnswer{e.Status, e}
}

// countStatus counts an answer's HTTP status. Caller holds mu.
func (p *Portal) countStatus(status int) {
	switch status {
	case http.StatusServiceUnavailable:
		p.stats.Status503++
	case http.StatusTooManyRequests:
		p.stats.Status429++
	case http.StatusUnauthorized:
		p.stats.Status401++
	}
}

// methods are the REST methods the portal knows (besides batch).
var methods = map[string]func(p *Portal, prm params) (any, *apiError){
	"im.dialog.unread": (*Portal).dialogUnread,
	"app.info":         (*Portal).appInfo,
	"profile":          (*Portal).profile,
}

// countCommand counts a command past auth, plain or in a batch.
func (p *Portal) countCommand(method string) {
	p.stats.Commands++
	if method == "app.info" {
		p.stats.AppInfo++
	}
}

// call runs one known (non-batch) method after auth: 429 OPERATION_TIME_LIMIT while it
// is blocked (docs/bitrix24.md#f-otl-limit), else the method. A call that succeeded has
// its execution time (CommandCost when set) booked to its operating log; one that threw
// has not (LoadLimiter::registerEnding is never reached). It returns when the method ran.
// Caller holds mu.
func (p *Portal) call(method string, prm params) (res any, e *apiError, procStart, procEnd time.Time) {
	procStart = time.Now()
	if p.blocked(method, procStart) {
		return nil, errOperatingLimit, procStart, procStart
	}
	res, e = methods[method](p, prm)
	procEnd = time.Now()
	if e == nil {
		cost := procEnd.Sub(procStart)
		if p.cfg.CommandCost > 0 {
			cost = p.cfg.CommandCost
		}
		p.opLog(method).add(procStart, cost, p.cfg.OperatingWindow)
	}
	return res, e, procStart, procEnd
}

// Block makes method answer OPERATION_TIME_LIMIT for d from now (d <= 0 lifts a block).
func (p *Portal) Block(method string, d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.blocks[strings.ToLower(method)] = time.Now().Add(d)
}

// phpDateC is PHP's date('c') layout (numeric offset, never "Z").
const phpDateC = "2006-01-02T15:04:05-07:00"
