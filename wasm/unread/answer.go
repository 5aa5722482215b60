package unread

import "strconv"

// Response is one answer of the portal as the transport read it. JSON is
// the body as the browser's JSON parser gave it, in Go's shapes:
// map[string]any, []any, string, float64, bool or nil. Unreadable is set
// when the body was not JSON (a proxy's HTML page, a cut connection).
type Response struct {
	Status     int
	JSON       any
	Unreadable bool
}

// verdict is what a caller's command came to, and what the client does next.
type verdict struct {
	err  *Error // nil: the portal accepted the mark
	next action
}

type action uint8

const (
	settle       action = iota // give err (or success) to the callers
	retryLater                 // back off and send again
	retryLimited               // the portal's bucket was full: fill ours, send again
	retryAfter                 // the method's operating time ran out: wait, send again
	retryAuth                  // the token was refused: refresh once, send again
)

// timing is what the portal's time block says about its limits.
type timing struct {
	operating        float64 // seconds of the method's budget used in the window
	operatingResetAt float64 // Unix time at which the method opens again
	finish           float64 // Unix time the portal finished the request
}

// readSingle interprets the answer to a plain im.dialog.unread request.
func readSingle(r Response) (verdict, timing) {
	if r.Unreadable {
		return unreadable(r.Status), timing{}
	}
	body, _ := r.JSON.(map[string]any)
	t := readTiming(body)
	if v, failed := readFailure(body, r.Status); failed {
		return v, t
	}
	if r.Status != 200 {
		return verdict{badStatus(r.Status), retryIf(r.Status >= 500)}, t
	}
	if body["result"] != true {
		return verdict{newStatusError(CodeBadResponse, "the portal answered 200 without result true", r.Status), retryLater}, t
	}
	return verdict{}, t
}

// readBatch interprets the answer to a batch request of the given command
// keys: either one verdict for the whole request (whole is true), or one
// per key.
func readBatch(r Response, keys []string) (whole bool, all verdict, each map[string]verdict, t timing) {
	if r.Unreadable {
		return true, unreadable(r.Status), nil, timing{}
	}
	body, _ := r.JSON.(map[string]any)
	t = readTiming(body)
	if v, failed := readFailure(body, r.Status); failed {
		return true, v, nil, t
	}
	if r.Status != 200 {
		return true, verdict{badStatus(r.Status), retryIf(r.Status >= 500)}, nil, t
	}
	outer, _ := body["result"].(map[string]any)
	if outer == nil {
		return true, verdict{newStatusError(CodeBadResponse, "the portal's batch answer has no result object", r.Status), retryLater}, nil, t
	}
	// PHP encodes an empty map as [], so a missing map and [] both mean none.
	results, _ := outer["result"].(map[string]any)
	failures, _ := outer["result_error"].(map[string]any)
	each = make(map[string]verdict, len(keys))
	for _, k := range keys {
		if f, ok := failures[k].(map[string]any); ok {
			if v, failed := readFailure(f, 0); failed {
				each[k] = v
				continue
			}
		}
		if results[k] == true {
			each[k] = verdict{}
			continue
		}
		each[k] = verdict{newError(CodeBadResponse, "the portal's batch answer has no result for this command"), retryLater}
	}
	return false, verdict{}, each, t
}

// readFailure reads {"error": code, "error_description": text}, the shape
// of every portal error, and decides what follows from the code.
func readFailure(body map[string]any, status int) (verdict, bool) {
	code, ok := body["error"].(string)
	if !ok || code == "" {
		return verdict{}, false
	}
	description, _ := body["error_description"].(string)
	e := newStatusError(code, description, status)
	switch code {
	case CodeQueryLimit:
		return verdict{e, retryLimited}, true
	case CodeOperatingLimit:
		return verdict{e, retryAfter}, true
	case CodeExpiredToken, CodeInvalidToken:
		return verdict{e, retryAuth}, true
	case CodeOverload: // a manual block by the portal's staff: retrying cannot help
		return verdict{e, settle}, true
	case "INTERNAL_SERVER_ERROR":
		return verdict{e, retryLater}, true
	}
	return verdict{e, retryIf(status >= 500)}, true
}

func readTiming(body map[string]any) timing {
	tb, _ := body["time"].(map[string]any)
	number := func(key string) float64 {
		f, _ := tb[key].(float64)
		return f
	}
	return timing{operating: number("operating"), operatingResetAt: number("operating_reset_at"), finish: number("finish")}
}

// unreadable: a body that is not JSON. A 4xx is a definite answer; anything
// else (a proxy's 502 page, a 200 cut short) may well pass next time.
func unreadable(status int) verdict {
	e := newStatusError(CodeBadResponse, "the portal's answer is not JSON", status)
	return verdict{e, retryIf(status < 400 || status >= 500)}
}

func badStatus(status int) *Error {
	return newStatusError(CodeBadResponse, "the portal answered HTTP "+strconv.Itoa(status)+" without an error code", status)
}

func retryIf(b bool) action {
	if b {
		return retryLater
	}
	return settle
}

func newStatusError(code, description string, status int) *Error {
	return &Error{Code: code, Description: description, Status: status}
}
