package unread

import "strconv"

// Response is one answer of the portal as the transport read it. JSON is
// the body as ParseJSON read it, in the shapes of JSON.parse:
// map[string]any, []any, string, float64, bool or nil. Unreadable is set
// when the body was not JSON (a proxy's HTML page, a cut connection).
// Redirected is set when the portal answered with a redirect, which the
// transport never follows (docs/bitrix24.md#f-moved-302).
type Response struct {
	Status     int
	JSON       any
	Unreadable bool
	Redirected bool
}

// verdict is what one command came to, and what the client does next.
type verdict struct {
	err    *Error // nil: the portal accepted the mark
	next   next
	timing timing // the command's own time block, on success
}

// next is what the client does with a command's callers after a verdict.
type next uint8

const (
	final         next = iota // the outcome stands: give it to the callers
	backOff                   // send again after a growing pause
	bucketFull                // the portal's bucket was full: fill ours, send again
	methodBlocked             // im.dialog.unread's operating time ran out: hold until it reopens
	batchBlocked              // the batch method's operating time ran out: send as single requests
	tokenRefused              // the token was refused: refresh once, send again
)

// timing is what a time block says about the method's operating-time
// budget (docs/bitrix24.md#f-otl-per-method). Zero fields were absent.
type timing struct {
	operating float64 // seconds of the method's budget used in the window
	resetAt   float64 // Unix time, portal's clock, when the oldest use leaves the window
	finish    float64 // Unix time, portal's clock, when the portal finished
}

// readAnswer interprets one answer: for a plain im.dialog.unread request
// (keys nil) one verdict, for a batch one per key. The timing it returns
// is the envelope's: the method called, which for a batch is batch itself.
func readAnswer(r Response, keys []string) ([]verdict, timing) {
	n := max(1, len(keys))
	all := func(v verdict) []verdict {
		vs := make([]verdict, n)
		for i := range vs {
			vs[i] = v
		}
		return vs
	}
	if r.Redirected || r.Status >= 300 && r.Status < 400 {
		return all(verdict{err: newStatusError(CodePortalMoved, "the portal answered with a redirect: it was renamed or moved. "+
			"Open the app again from the portal's new address so the auth source names it", r.Status)}), timing{}
	}
	if r.Unreadable {
		return all(unreadable(r.Status)), timing{}
	}
	body, _ := r.JSON.(map[string]any)
	t := readTiming(body)
	if v, failed := readFailure(body, r.Status); failed {
		if keys != nil && v.next == methodBlocked {
			v.next = batchBlocked // the envelope's 429 is batch's own budget
		}
		return all(v), t
	}
	if r.Status != 200 {
		return all(verdict{err: badStatus(r.Status), next: retryIf(r.Status >= 500)}), t
	}
	if keys == nil {
		if body["result"] != true {
			return all(verdict{err: newStatusError(CodeBadResponse, "the portal answered 200 without result true", r.Status), next: backOff}), t
		}
		return all(verdict{timing: t}), t
	}
	outer, _ := body["result"].(map[string]any)
	if outer == nil {
		return all(verdict{err: newStatusError(CodeBadResponse, "the portal's batch answer has no result object", r.Status), next: backOff}), t
	}
	// PHP encodes an empty map as [] and a map with keys 0..n-1 as a list
	// (docs/bitrix24.md#f-php-arrays); the client's keys are never numbers,
	// so a list means none.
	results, _ := outer["result"].(map[string]any)
	failures, _ := outer["result_error"].(map[string]any)
	times, _ := outer["result_time"].(map[string]any)
	vs := make([]verdict, n)
	for i, k := range keys {
		if f, ok := failures[k].(map[string]any); ok {
			if v, failed := readFailure(f, 0); failed {
				vs[i] = v
				continue
			}
		}
		if results[k] == true {
			tb, _ := times[k].(map[string]any)
			vs[i] = verdict{timing: readTiming(map[string]any{"time": tb})}
			continue
		}
		vs[i] = verdict{err: newError(CodeBadResponse, "the portal's batch answer has no result for this command"), next: backOff}
	}
	return vs, t
}

// readFailure reads {"error": code, "error_description": text}, the shape
// of every portal error (docs/bitrix24.md#f-err-shape), and decides what
// follows from the code.
func readFailure(body map[string]any, status int) (verdict, bool) {
	raw, present := body["error"]
	code, isString := raw.(string)
	if !present || !isString && raw != nil {
		if present {
			return verdict{err: newStatusError(CodeBadResponse, "the portal's error code is not a string", status), next: retryIf(status >= 500)}, true
		}
		return verdict{}, false
	}
	description, _ := body["error_description"].(string)
	if code == "" {
		if description == "" {
			description = "the portal gave an error without a code or a description"
		}
		return verdict{err: newStatusError(CodePortalError, description, status), next: retryIf(status >= 500)}, true
	}
	e := newStatusError(code, description, status)
	switch code {
	case CodeQueryLimit:
		return verdict{err: e, next: bucketFull}, true
	case CodeOperatingLimit:
		return verdict{err: e, next: methodBlocked}, true
	case CodeExpiredToken, CodeInvalidToken:
		return verdict{err: e, next: tokenRefused}, true
	case CodeOverload: // a manual block by the portal's staff: retrying cannot help
		return verdict{err: e, next: final}, true
	case "INTERNAL_SERVER_ERROR":
		return verdict{err: e, next: backOff}, true
	}
	return verdict{err: e, next: retryIf(status >= 500)}, true
}

func readTiming(body map[string]any) timing {
	tb, _ := body["time"].(map[string]any)
	number := func(key string) float64 {
		f, _ := tb[key].(float64)
		return f
	}
	return timing{operating: number("operating"), resetAt: number("operating_reset_at"), finish: number("finish")}
}

// unreadable: a body that is not JSON. A 4xx is a definite answer; anything
// else (a proxy's 502 page, a 200 cut short) may well pass next time.
func unreadable(status int) verdict {
	e := newStatusError(CodeBadResponse, "the portal's answer is not JSON", status)
	return verdict{err: e, next: retryIf(status < 400 || status >= 500)}
}

func badStatus(status int) *Error {
	return newStatusError(CodeBadResponse, "the portal answered HTTP "+strconv.Itoa(status)+" without an error code", status)
}

func retryIf(b bool) next {
	if b {
		return backOff
	}
	return final
}
