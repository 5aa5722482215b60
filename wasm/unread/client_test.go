package unread

import (
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
)

// The helpers of the client's tests, against the fake portal (portal_fake_test.go,
// with the other apps on its bucket in otherapp_fake_test.go and the auth source in
// auth_fake_test.go). The tests, by subject: batching_test.go (how waiting calls
// leave together), pacing_test.go (the portal's bucket), operating_test.go (the
// operating-time limit), plan_test.go (learning the portal's plan),
// sharedbudget_test.go (the budget the clients of one portal share),
// priority_test.go (an interactive call ahead of a bulk job), retry_test.go (what
// is retried and what is not), auth_test.go (tokens and their refresh),
// settle_test.go (every call settles once: queue bound, abort, timeout, close).

func newTestClient(t *testing.T, p *fakePortal, cfg Config) *Client {
	cfg.Transport = p
	if cfg.Auth == nil {
		cfg.Auth = &fakeAuth{tokens: []string{p.token}}
	}
	c := New(cfg)
	t.Cleanup(c.Close)
	return c
}

// markAll starts one Mark per dialog at once and returns their errors in order.
func markAll(c *Client, dialogs []DialogID, message MessageID) []*Error {
	errs := make([]*Error, len(dialogs))
	var wg sync.WaitGroup
	for i, d := range dialogs {
		wg.Go(func() { errs[i] = c.Mark(req(nil, d, message)) })
	}
	wg.Wait()
	return errs
}

// req is a MarkRequest for dialog and message, as page JavaScript would
// pass them.
func req(abort *Stop, dialog DialogID, message MessageID) MarkRequest {
	return MarkRequest{Dialog: String(string(dialog)), Message: Number(float64(message)), Abort: abort}
}

func dialogs(n int) []DialogID {
	ds := make([]DialogID, n)
	for i := range ds {
		ds[i] = DialogID("chat" + strconv.Itoa(i+1))
	}
	return ds
}

type mark struct {
	dialog  DialogID
	message MessageID
}

// markTogether makes marks wait together: a first call holds the client's
// one request slot (MaxInFlight 1) until all of marks are queued behind it,
// so they leave in one request. p.script's answers come after the first's.
func markTogether(c *Client, p *fakePortal, marks ...mark) []*Error {
	release := make(chan struct{})
	p.script = append([]func() Response{func() Response { <-release; return answer(200, `{"result":true}`) }}, p.script...)
	go c.Mark(req(nil, "chat1", 1))
	synctest.Wait()
	errs := make([]*Error, len(marks))
	var wg sync.WaitGroup
	for i, m := range marks {
		wg.Go(func() { errs[i] = c.Mark(req(nil, m.dialog, m.message)) })
	}
	synctest.Wait()
	close(release)
	wg.Wait()
	return errs
}
