package devportal

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"slices"
	"time"
)

// Fault kinds.
const (
	FaultHTML500    = "html500"    // 500 with an HTML body (a proxy's error page)
	FaultTruncated  = "truncated"  // 200 with the JSON cut in half
	FaultWrongShape = "wrongshape" // 200 with JSON of a wrong shape
	FaultStall      = "stall"      // no answer for 30 s (or until the client goes away)
	FaultDrop       = "drop"       // the connection is closed with no response
	FaultBurst503   = "burst503"   // this and the next 4 requests get 503 QUERY_LIMIT_EXCEEDED
	// FaultEmptyCode answers 400 {"error":"","error_description":"ID is not defined or
	// invalid."}: an error with an empty code, which the real portal sends
	// (docs/bitrix24.md#f-err-empty-code), with the status of a RestException thrown
	// without one (docs/bitrix24.md#f-err-status). It is not a transport failure and is not
	// to be retried, so it is drawn only when named in Kinds (see OptInFaultKinds).
	FaultEmptyCode = "emptycode"
)

// FaultKinds lists the fault kinds drawn when Kinds is empty: transport failures and
// limits, each of which a client should retry.
var FaultKinds = []string{FaultHTML500, FaultTruncated, FaultWrongShape, FaultStall, FaultDrop, FaultBurst503}

// OptInFaultKinds are valid in Kinds but never drawn by default.
var OptInFaultKinds = []string{FaultEmptyCode}

// errEmptyCode is the answer of an emptycode fault, in the captured shape.
var errEmptyCode = &apiError{http.StatusBadRequest, "", "ID is not defined or invalid."}

// burst503Len is how many requests one burst503 fault answers with 503.
const burst503Len = 5

// stallFor is how long a stall fault holds a request (a variable for tests).
var stallFor = 30 * time.Second

// faultState is the fault injector: one draw per /rest/ request from a math/rand source
// seeded with Faults.Seed decides whether it is faulted, a second draw picks the kind.
// Caller holds mu.
type faultState struct {
	cfg       Faults
	rnd       *rand.Rand
	burstLeft int
}

func newFaultState(f Faults) faultState {
	var kinds []string
	for _, k := range f.Kinds {
		if slices.Contains(FaultKinds, k) || slices.Contains(OptInFaultKinds, k) {
			kinds = append(kinds, k)
		}
	}
	if len(kinds) == 0 {
		kinds = FaultKinds
	}
	f.Kinds = kinds
	return faultState{cfg: f, rnd: rand.New(rand.NewSource(f.Seed))}
}

// pickFault decides the fault for the request arriving now ("" for none) and counts it.
// Caller holds mu.
func (p *Portal) pickFault() string {
	f := &p.faults
	if f.burstLeft > 0 {
		f.burstLeft--
		p.stats.Faults++
		return FaultBurst503
	}
	if f.cfg.Rate <= 0 || f.rnd.Float64() >= f.cfg.Rate {
		return ""
	}
	kind := f.cfg.Kinds[f.rnd.Intn(len(f.cfg.Kinds))]
	if kind == FaultBurst503 {
		f.burstLeft = burst503Len - 1
	}
	p.stats.Faults++
	return kind
}

// serveFault answers a faulted request. None of these touches the recorded state, the
// bucket or the operating logs, except stall: a stalled request that the client still
// waits for after stallFor is then served normally, so that an answer of true still
// means "recorded"; if the client goes away first, nothing happens.
func (p *Portal) serveFault(w http.ResponseWriter, r *http.Request, kind, method string, start time.Time) {
	if kind != FaultBurst503 { // burst503 follows Config.NoCORSOn503 like the bucket's 503
		setRESTHeaders(w.Header())
	}
	switch kind {
	case FaultHTML500:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprint(w, "<html>\r\n<head><title>500 Internal Server Error</title></head>\r\n<body>\r\n<center><h1>500 Internal Server Error</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
	case FaultTruncated:
		body := []byte(`{"result":true,"time":{"start":1700000000.1,"finish":1700000000.2,"duration":0.1,"processing":0,"date_start":"2023-11-14T22:13:20+00:00","date_finish":"2023-11-14T22:13:20+00:00","operating":0,"operating_reset_at":1700000600}}`)
		if method == "batch" {
			body = []byte(`{"result":{"result":{"k":true},"result_error":[],"result_total":[],"result_next":[],"result_time":[]},"time":{"start":1700000000.1,"finish":1700000000.2,"duration":0.1,"processing":0,"date_start":"2023-11-14T22:13:20+00:00","date_finish":"2023-11-14T22:13:20+00:00","operating":0,"operating_reset_at":1700000600}}`)
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body[:len(body)/2])
	case FaultWrongShape:
		tb := timeBlock{Start: start.Unix(), Finish: unixFloat(time.Now()), DateStart: start.Format(phpDateC), DateFinish: time.Now().Format(phpDateC)}
		if method == "batch" {
			writeJSON(w, http.StatusOK, map[string]any{"result": map[string]any{"result_total": []any{}}, "time": tb})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"result": "yes", "time": tb})
	case FaultStall:
		// The body is read first: net/http notices a client that went away
		// only once the handler has read the request body, and a stall that
		// missed it would be served after the client left, possibly after a
		// reset, and count there.
		body, _ := io.ReadAll(io.LimitReader(r.Body, maxBody))
		r.Body = io.NopCloser(bytes.NewReader(body))
		if !sleepCtx(r.Context(), stallFor) {
			return
		}
		p.writeAnswer(w, p.handleREST(r, method, start))
	case FaultDrop:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	case FaultEmptyCode:
		writeJSON(w, errEmptyCode.Status, errEmptyCode)
	case FaultBurst503:
		p.mu.Lock()
		p.stats.Status503++
		p.mu.Unlock()
		p.writeAnswer(w, restAnswer{errQueryLimit.Status, errQueryLimit})
	}
}

// sleepCtx sleeps d or until ctx is done; it reports whether the full d passed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
