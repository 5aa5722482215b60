package devportal

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func faulty(t *testing.T, kind string) *fixture {
	return newFixture(t, Config{Faults: Faults{Rate: 1, Seed: 7, Kinds: []string{kind}}})
}

func batchBody(f *fixture) url.Values {
	return url.Values{"auth": {f.token}, "cmd[a]": {"im.dialog.unread?DIALOG_ID=chat1&MESSAGE_ID=1"}}
}

func TestFaultHTML500(t *testing.T) {
	f := faulty(t, FaultHTML500)
	w := f.mark("chat1", "1")
	assert.Equal(t, http.StatusInternalServerError, w.Code)
	assert.Contains(t, w.Header().Get("Content-Type"), "text/html")
	assert.True(t, strings.HasPrefix(w.Body.String(), "<html>"))
	assert.Empty(t, f.p.Unread())
	assert.Equal(t, 1, f.p.Stats().Faults)
}

func TestFaultTruncatedIsUnparsableJSON(t *testing.T) {
	f := faulty(t, FaultTruncated)
	for _, w := range []*httptest.ResponseRecorder{f.mark("chat1", "1"), f.form("batch", batchBody(f))} {
		assert.Equal(t, http.StatusOK, w.Code)
		assert.True(t, strings.HasPrefix(w.Body.String(), `{"result":`))
		assert.False(t, json.Valid(w.Body.Bytes()))
	}
	assert.Empty(t, f.p.Unread())
	assert.Equal(t, 2, f.p.Stats().Faults)
}

func TestFaultWrongShape(t *testing.T) {
	f := faulty(t, FaultWrongShape)
	m := decode(t, f.mark("chat1", "1"))
	assert.Equal(t, "yes", m["result"])
	b := decode(t, f.form("batch", batchBody(f)))
	assert.NotContains(t, b["result"], "result")
	assert.Empty(t, f.p.Unread())
}

func TestFaultBurst503AnswersFiveRequests(t *testing.T) {
	f := newFixture(t, Config{Faults: Faults{Rate: 1, Seed: 1, Kinds: []string{FaultBurst503}}})
	for range 5 {
		requireError(t, f.mark("chat1", "1"), http.StatusServiceUnavailable, "QUERY_LIMIT_EXCEEDED", "Too many requests")
	}
	f.p.mu.Lock()
	f.p.faults.cfg.Rate = 0 // no new faults: the burst is over after five
	f.p.mu.Unlock()
	requireOK(t, f.mark("chat1", "1"))
	s := f.p.Stats()
	assert.Equal(t, 5, s.Faults)
	assert.Equal(t, 5, s.Status503)
	assert.Equal(t, map[string]int64{"chat1": 1}, f.p.Unread())
}

func TestFaultStallHoldsThirtySecondsThenAnswers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := faulty(t, FaultStall)
		start := time.Now()
		requireOK(t, f.mark("chat1", "1"))
		assert.Equal(t, 30*time.Second, time.Since(start))
		assert.Equal(t, map[string]int64{"chat1": 1}, f.p.Unread(), "a served answer of true means recorded")
	})
}

func TestFaultStallRecordsNothingWhenTheClientGoesAway(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := faulty(t, FaultStall)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		r := httptest.NewRequestWithContext(ctx, http.MethodPost, "/rest/im.dialog.unread", strings.NewReader("auth="+f.token+"&DIALOG_ID=chat1&MESSAGE_ID=1"))
		w := httptest.NewRecorder()
		f.h.ServeHTTP(w, r)
		assert.Empty(t, f.p.Unread())
		assert.Equal(t, 0, w.Body.Len())
	})
}

func TestFaultDropClosesTheConnection(t *testing.T) {
	f := faulty(t, FaultDrop)
	srv := httptest.NewServer(f.h)
	defer srv.Close()
	resp, err := http.PostForm(srv.URL+"/rest/im.dialog.unread", url.Values{"auth": {f.token}, "DIALOG_ID": {"chat1"}, "MESSAGE_ID": {"1"}})
	if err == nil {
		resp.Body.Close()
	}
	require.Error(t, err)
	assert.Empty(t, f.p.Unread())
	assert.Equal(t, 1, f.p.Stats().Faults)
}

func TestFaultsAreDeterministicGivenTheSeed(t *testing.T) {
	run := func() []int {
		f := newFixture(t, Config{Faults: Faults{Rate: 0.5, Seed: 42, Kinds: []string{FaultHTML500, FaultWrongShape}}})
		var codes []int
		for range 40 {
			w := f.mark("chat1", "1")
			code := w.Code
			if code == http.StatusOK && strings.Contains(w.Body.String(), `"yes"`) {
				code = 299
			}
			codes = append(codes, code)
		}
		return codes
	}
	a, b := run(), run()
	assert.Equal(t, a, b)
	assert.Contains(t, a, 500)
	assert.Contains(t, a, 299)
	assert.Contains(t, a, 200)
}

func TestFaultsAreOffByDefault(t *testing.T) {
	f := newFixture(t, Config{})
	for range 20 {
		requireOK(t, f.mark("chat1", "1"))
	}
	assert.Equal(t, 0, f.p.Stats().Faults)
}

func TestUnknownFaultKindsAreIgnored(t *testing.T) {
	f := newFixture(t, Config{Faults: Faults{Rate: 1, Kinds: []string{"bogus", FaultHTML500}}})
	assert.Equal(t, http.StatusInternalServerError, f.mark("chat1", "1").Code)
}

func TestFaultEmptyCodeKeepsItsDescriptionAndIsNeverDrawnUnasked(t *testing.T) {
	f := faulty(t, FaultEmptyCode)
	w := f.mark("chat1", "1")
	requireError(t, w, http.StatusBadRequest, "", "ID is not defined or invalid.")
	assert.JSONEq(t, `{"error":"","error_description":"ID is not defined or invalid."}`, w.Body.String())
	assert.Empty(t, f.p.Unread())

	all := newFaultState(Faults{Rate: 1})
	assert.NotContains(t, all.cfg.Kinds, FaultEmptyCode)
}

// Over a real connection: the server notices a client that went away only
// once the request body is read, so a stall must read it first.
func TestFaultStallOverAConnectionRecordsNothingWhenTheClientGoesAway(t *testing.T) {
	defer func(d time.Duration) { stallFor = d }(stallFor)
	stallFor = 300 * time.Millisecond
	f := faulty(t, FaultStall)
	srv := httptest.NewServer(f.h)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	form := url.Values{"auth": {f.token}, "DIALOG_ID": {"chat1"}, "MESSAGE_ID": {"1"}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/rest/im.dialog.unread", strings.NewReader(form))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	_, err = http.DefaultClient.Do(req)
	require.Error(t, err)
	time.Sleep(3 * stallFor)
	assert.Empty(t, f.p.Unread(), "a stalled request was served after its client left")
	assert.Equal(t, 0, f.p.Stats().Commands, "commands run")
}
