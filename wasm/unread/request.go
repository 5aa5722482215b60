package unread

import (
	"cmp"
	"strconv"

	"github.com/markunread/markunread/wasm/internal/time"
)

// A request body is form-urlencoded: that keeps the POST a CORS "simple"
// request (no preflight) and the token out of the URL
// (docs/bitrix24.md#f-cors-headers).

const method = "im.dialog.unread"

// command is one im.dialog.unread in a request: one dialog, the lowest
// message id its callers asked for, and the callers waiting on it.
type command struct {
	key     string
	dialog  DialogID
	message MessageID
	calls   []*call
}

// request is one request the dispatcher let go: its commands (none: it
// asks app.info), and whether it went beyond a standard portal's bucket.
type request struct {
	cmds   []*command
	beyond bool
	sent   time.Time // when it left, once it has
	app    AppCount  // the shared budget's count at its grant (SharedBudget.Reserve)
}

// send makes one request and hands what came of it to the client.
func (c *Client) send(r request) {
	turn := &sharedTurn{c: c, held: c.cfg.Shared != nil}
	defer turn.pass()
	cmds := r.cmds
	creds, err := c.session.credentials(c.closing.Done())
	var base string
	if err == nil {
		base, err = CheckPortal(cmp.Or(c.cfg.Portal, creds.Portal), c.cfg.PageSecure)
	}
	if err != nil {
		c.unsent(r, err)
		return
	}
	if !c.reserve(&r, base, c.recallPlan(base), turn) {
		return
	}
	if cmds == nil {
		c.askPlan(base, creds.AccessToken)
		return
	}
	if c.deferHeld(r) {
		return
	}
	path, body, keys := requestBody(cmds, creds.AccessToken)
	c.counted(cmds)
	r.sent = time.Now()
	resp, failure, failedFetch := c.post(base, path, body)
	if failure != nil {
		vs := make([]verdict, len(cmds))
		for i := range vs {
			vs[i] = *failure
		}
		c.answered(r, vs, timing{}, creds.AccessToken, false, failedFetch)
		return
	}
	vs, t := readAnswer(resp, keys)
	c.answered(r, vs, t, creds.AccessToken, true, false)
}

// sharedTurn is the client's one turn on the shared budget: a request
// holds it from when it leaves the Pacer until the budget grants it
// (Pacer.Granted), and passes it once, whatever came of the request.
type sharedTurn struct {
	c    *Client
	held bool
}

func (t *sharedTurn) pass() {
	if t.held {
		t.held = false
		t.c.mu.Lock()
		t.c.pacer.Granted()
		t.c.mu.Unlock()
		t.c.poke()
	}
}

// reserve waits for the shared budget's grant, when there is one, at the
// room as the client believes it (plan): the budget paces every client of
// the app at it. It says false when the client closed meanwhile (r is
// settled); a shared budget that fails leaves the client's own bucket in
// charge.
func (c *Client) reserve(r *request, base string, plan Plan, turn *sharedTurn) bool {
	if c.cfg.Shared == nil {
		return true
	}
	count, err := c.cfg.Shared.Reserve(base, plan, c.closing.Done())
	turn.pass()
	switch {
	case err == nil:
		r.app = count
	case isDone(c.closing.Done()):
		c.unsent(*r, newError(CodeClosed, "the client was closed"))
		return false
	}
	return true
}

// requestBody is the request for cmds: im.dialog.unread for one, a batch
// (and its commands' keys, in order) for more.
func requestBody(cmds []*command, token string) (path, body string, keys []string) {
	if len(cmds) == 1 {
		return method, singleBody(cmds[0], token), nil
	}
	keys = make([]string, len(cmds))
	for i, cmd := range cmds {
		keys[i] = cmd.key
	}
	return "batch", batchBody(cmds, token), keys
}

// post sends one request for REST method path to the portal at base,
// bounded by RequestTimeout and the client's life. With no answer it gives
// the verdict every command of it gets, and whether the fetch failed once
// sent: that is also what a 503 looks like from a portal front that sends
// it without CORS headers (docs/bitrix24.md#f-cors-503), so the Pacer fills
// its bucket and a retry waits for the portal to drain instead of starting
// a storm.
func (c *Client) post(base, path, body string) (Response, *verdict, bool) {
	stop := NewStop()
	timer := stop.FireAfter(c.cfg.RequestTimeout, newError(CodeNetwork, "no answer from "+base+" within "+c.cfg.RequestTimeout.String()))
	go func() {
		select {
		case <-c.closing.Done():
			stop.Fire(c.closing.Why())
		case <-stop.Done():
		}
	}()
	resp, err := c.cfg.Transport.Post(stop.Done(), base+"/rest/"+path, body)
	timer.Stop()
	why := stop.Why()
	stop.Fire(nil) // ends the goroutine above
	if err == nil {
		return resp, nil, false
	}
	if why != nil {
		if why.Code != CodeClosed {
			c.abandoned()
		}
		return Response{}, &verdict{err: why, next: backOff}, false
	}
	return Response{}, &verdict{err: newError(CodeNetwork, "no answer from "+base+": "+err.Error()), next: backOff}, true
}

// counted counts a request of cmds that is leaving now, with its token;
// requests that never left (no token, a refused portal) are not counted.
func (c *Client) counted(cmds []*command) {
	n := len(cmds)
	c.mu.Lock()
	for _, cmd := range cmds {
		for _, k := range cmd.calls {
			k.awaitingToken = false
			k.attempts++
		}
	}
	c.stats.Requests++
	c.stats.Commands += n
	if n > 1 {
		c.stats.Batches++
	}
	c.mu.Unlock()
}

// askPlan asks app.info for the portal's plan (docs/bitrix24.md#f-appinfo-license).
func (c *Client) askPlan(base, token string) {
	c.counted(nil)
	sent := time.Now()
	resp, failure, failedFetch := c.post(base, "app.info", "auth="+escape(token))
	plan, ok := Plan{}, false
	if failure == nil {
		plan, ok = planFromAppInfo(resp)
	}
	c.learnedPlan(base, plan, ok, reply{sent: sent, reached: failure == nil, failedFetch: failedFetch})
}

// singleBody is the form body of a plain im.dialog.unread request.
func singleBody(c *command, token string) string {
	return "DIALOG_ID=" + escape(string(c.dialog)) +
		"&MESSAGE_ID=" + strconv.FormatInt(int64(c.message), 10) +
		"&auth=" + escape(token)
}

// batchBody is the form body of a batch request with halt=0, so every
// command runs whatever happens to the others (docs/bitrix24.md#f-batch-shape).
// Each command is cmd[key]=method?DIALOG_ID=..&MESSAGE_ID=.., escaped as
// one form value; it is written straight into the body.
func batchBody(cmds []*command, token string) string {
	b := make([]byte, 0, 16+len(cmds)*80+len(token))
	b = append(b, "halt=0"...)
	for _, c := range cmds {
		b = append(b, "&cmd%5B"...)
		b = appendEscaped(b, c.key)
		b = append(b, "%5D="...)
		b = appendEscaped(b, method)
		b = append(b, "%3FDIALOG_ID%3D"...) // ?DIALOG_ID=
		b = appendEscaped(b, string(c.dialog))
		b = append(b, "%26MESSAGE_ID%3D"...) // &MESSAGE_ID=
		b = strconv.AppendInt(b, int64(c.message), 10)
	}
	b = append(b, "&auth="...)
	b = appendEscaped(b, token)
	return string(b)
}

// escape percent-encodes every byte of s but the unreserved ones
// (A-Z a-z 0-9 - _ . ~), so a space is %20, which a form parser reads as
// well as url.QueryEscape's +. It spares the module net/url.
func escape(s string) string {
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) {
			return string(appendEscaped(make([]byte, 0, len(s)+8), s))
		}
	}
	return s
}

// appendEscaped appends s to b, escaped as escape does.
func appendEscaped(b []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		if c := s[i]; unreserved(c) {
			b = append(b, c)
		} else {
			b = append(b, '%', hex[c>>4], hex[c&15])
		}
	}
	return b
}

func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~'
}
