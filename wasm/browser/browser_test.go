//go:build js && wasm

// These tests run the package, built for js/wasm, under Node against a real
// emulator: make test-wasm starts one (web/cmd/devportal -- ...) and passes
// its URL and a token in the environment.
package browser

import (
	"os"
	"strconv"
	"sync"
	"syscall/js"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/markunread/markunread/wasm/internal/time"
	"github.com/markunread/markunread/wasm/unread"
)

type testPortal struct {
	url   string
	token string
	http  fetchTransport
}

func portalFromEnv(t *testing.T) testPortal {
	t.Helper()
	p := testPortal{url: os.Getenv("MARKUNREAD_PORTAL_URL"), token: os.Getenv("MARKUNREAD_TOKEN")}
	if p.url == "" || p.token == "" {
		t.Skip("no emulator: run through make test-wasm, which sets MARKUNREAD_PORTAL_URL and MARKUNREAD_TOKEN")
	}
	p.http = newFetchTransport(js.Global().Get("fetch"))
	return p
}

// reset gives the emulator a fresh state and the given settings (JSON).
func (p testPortal) reset(t *testing.T, settings string) {
	t.Helper()
	r, err := p.http.Post(nil, p.url+"/devportal/reset", settings)
	require.NoError(t, err)
	require.Equal(t, 200, r.Status, "reset %s: %v", settings, r.JSON)
}

type portalState struct {
	unread map[string]any
	stats  map[string]any
}

func (p testPortal) state(t *testing.T) portalState {
	t.Helper()
	r, err := p.http.Post(nil, p.url+"/devportal/state", "")
	require.NoError(t, err)
	body := r.JSON.(map[string]any)
	return portalState{unread: body["unread"].(map[string]any), stats: body["stats"].(map[string]any)}
}

func (s portalState) stat(name string) int {
	f, _ := s.stats[name].(float64)
	return int(f)
}

type staticAuth struct{ creds unread.Credentials }

func (a staticAuth) Token(<-chan struct{}) (unread.Credentials, error)   { return a.creds, nil }
func (a staticAuth) Refresh(<-chan struct{}) (unread.Credentials, error) { return a.creds, nil }

func TestFetchPostsAFormBodyAndReadsTheJSONAnswer(t *testing.T) {
	p := portalFromEnv(t)
	p.reset(t, `{}`)
	r, err := p.http.Post(nil, p.url+"/rest/im.dialog.unread", "DIALOG_ID=chat29&MESSAGE_ID=12&auth="+p.token)
	require.NoError(t, err)
	assert.Equal(t, 200, r.Status)
	assert.False(t, r.Unreadable)
	assert.Equal(t, true, r.JSON.(map[string]any)["result"])
	assert.Equal(t, 12.0, p.state(t).unread["chat29"])
}

func TestFetchGivesThePortalsErrorAnswers(t *testing.T) {
	p := portalFromEnv(t)
	p.reset(t, `{}`)
	for _, tc := range []struct {
		body   string
		status int
		code   string
	}{
		{"DIALOG_ID=chat29&MESSAGE_ID=12&auth=forged", 401, "invalid_token"},
		{"DIALOG_ID=chat29&MESSAGE_ID=12", 401, "NO_AUTH_FOUND"},
		{"DIALOG_ID=chat%2029&MESSAGE_ID=12&auth=" + p.token, 400, "DIALOG_ID_EMPTY"},
		{"DIALOG_ID=chat29&MESSAGE_ID=0&auth=" + p.token, 400, "MESSAGE_ID_ERROR"},
	} {
		r, err := p.http.Post(nil, p.url+"/rest/im.dialog.unread", tc.body)
		require.NoError(t, err)
		assert.Equal(t, tc.status, r.Status, tc.body)
		assert.Equal(t, tc.code, r.JSON.(map[string]any)["error"], tc.body)
	}
	assert.Empty(t, p.state(t).unread)
}

func TestFetchMarksAnHTMLAnswerUnreadable(t *testing.T) {
	p := portalFromEnv(t)
	r, err := p.http.Post(nil, p.url+"/", "x=1")
	require.NoError(t, err)
	assert.True(t, r.Unreadable)
	assert.NotZero(t, r.Status)
}

func TestFetchWithNoServerIsANetworkError(t *testing.T) {
	portalFromEnv(t)
	_, err := newFetchTransport(js.Global().Get("fetch")).Post(nil, "http://127.0.0.1:1/rest/im.dialog.unread", "x=1")
	require.Error(t, err)
}

func TestFetchIsAbortedWhenItsStopFires(t *testing.T) {
	p := portalFromEnv(t)
	p.reset(t, `{"faults":{"rate":1,"seed":1,"kinds":["stall"]}}`)
	defer p.reset(t, `{}`)
	stop := unread.NewStop()
	defer stop.FireAfter(300*time.Millisecond, nil).Stop()
	start := time.Now()
	_, err := p.http.Post(stop.Done(), p.url+"/rest/im.dialog.unread", "DIALOG_ID=chat29&MESSAGE_ID=12&auth="+p.token)
	require.Error(t, err)
	assert.ErrorIs(t, err, errStopped)
	assert.Less(t, time.Since(start), 5*time.Second, "the stalled request was not aborted")
}

// markRequest is a mark as page JavaScript would ask for it.
func markRequest(dialog unread.DialogID, message unread.MessageID) unread.MarkRequest {
	return unread.MarkRequest{Dialog: unread.String(string(dialog)), Message: unread.Number(float64(message))}
}

func newClient(p testPortal, cfg unread.Config) *unread.Client {
	cfg.Transport = p.http
	cfg.Auth = staticAuth{unread.Credentials{Portal: p.url, AccessToken: p.token}}
	return unread.New(cfg)
}

func markConcurrently(c *unread.Client, n int) []*unread.Error {
	errs := make([]*unread.Error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = c.Mark(markRequest(unread.DialogID("chat"+strconv.Itoa(i+1)), unread.MessageID(i+1)))
		})
	}
	wg.Wait()
	return errs
}

func TestTwoHundredConcurrentMarksAllSucceedWithoutA503(t *testing.T) {
	p := portalFromEnv(t)
	p.reset(t, `{"rate":2,"burst":50}`)
	c := newClient(p, unread.Config{})
	defer c.Close()
	for i, err := range markConcurrently(c, 200) {
		require.Nil(t, err, "call %d", i)
	}
	s := p.state(t)
	assert.Len(t, s.unread, 200)
	assert.Equal(t, 0, s.stat("status503"))
	assert.Equal(t, 0, c.Stats().Status503)
	assert.LessOrEqual(t, s.stat("requests"), 10, "200 calls should go in a few batches")
}

func TestMarksSucceedWhenAnotherAppFilledThePortalsBucket(t *testing.T) {
	p := portalFromEnv(t)
	p.reset(t, `{"rate":2,"burst":50,"prefill":50}`)
	c := newClient(p, unread.Config{})
	defer c.Close()
	for i, err := range markConcurrently(c, 200) {
		require.Nil(t, err, "call %d", i)
	}
	assert.Len(t, p.state(t).unread, 200)
	t.Logf("503s seen while the bucket was full: %d", c.Stats().Status503)
}

func TestWithoutBatchingTheLimiterKeepsToTheBucket(t *testing.T) {
	p := portalFromEnv(t)
	// A small bucket keeps the test short: 8 at once, then 10 per second.
	p.reset(t, `{"rate":10,"burst":8}`)
	c := newClient(p, unread.Config{Rate: 10, Burst: 8, BatchSize: 1})
	defer c.Close()
	for i, err := range markConcurrently(c, 30) {
		require.Nil(t, err, "call %d", i)
	}
	s := p.state(t)
	assert.Equal(t, 30, s.stat("requests"))
	assert.Equal(t, 0, s.stat("status503"))
}
