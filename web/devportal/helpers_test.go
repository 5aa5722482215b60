package devportal

import (
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// fixture is a portal plus a valid token.
type fixture struct {
	t     *testing.T
	p     *Portal
	h     http.Handler
	token string
}

func newFixture(t *testing.T, cfg Config) *fixture {
	t.Helper()
	p := New(cfg)
	return &fixture{t: t, p: p, h: p.Handler(), token: p.IssueToken().Access}
}

// do sends a request straight to the handler (no network; works inside synctest).
func (f *fixture) do(method, target, contentType, body string) *httptest.ResponseRecorder {
	f.t.Helper()
	var r *http.Request
	if body == "" {
		r = httptest.NewRequest(method, target, nil)
	} else {
		r = httptest.NewRequest(method, target, strings.NewReader(body))
	}
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	return w
}

// form POSTs a form body to /rest/{method}.
func (f *fixture) form(method string, v url.Values) *httptest.ResponseRecorder {
	return f.do(http.MethodPost, "/rest/"+method, "application/x-www-form-urlencoded", v.Encode())
}

// mark sends im.dialog.unread with the fixture's token.
func (f *fixture) mark(dialog, message string) *httptest.ResponseRecorder {
	return f.form("im.dialog.unread", url.Values{"auth": {f.token}, "DIALOG_ID": {dialog}, "MESSAGE_ID": {message}})
}

func decode(t *testing.T, w *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &m), "body: %s", w.Body.String())
	return m
}

// requireError checks an error answer: its status, and a body that is exactly
// {"error": code, "error_description": desc}, with no time block and no Retry-After
// (docs/bitrix24.md#f-err-shape, #f-otl-429-no-time).
func requireError(t *testing.T, w *httptest.ResponseRecorder, status int, code, desc string) {
	t.Helper()
	require.Equal(t, status, w.Code, "body: %s", w.Body.String())
	require.Equal(t, map[string]any{"error": code, "error_description": desc}, decode(t, w))
	require.Empty(t, w.Header().Get("Retry-After"))
}

// requireTimeBlock checks a cloud portal's time block: every field, integer start and
// processing (docs/bitrix24.md#f-time-fields).
func requireTimeBlock(t *testing.T, v any) {
	t.Helper()
	tb, ok := v.(map[string]any)
	require.True(t, ok, "time block missing: %v", v)
	for _, k := range []string{"start", "finish", "duration", "processing", "date_start", "date_finish", "operating", "operating_reset_at"} {
		require.Contains(t, tb, k)
	}
	for _, k := range []string{"start", "processing", "operating_reset_at"} {
		f := tb[k].(float64)
		require.Equal(t, math.Trunc(f), f, "%s is an integer", k)
	}
}

func requireOK(t *testing.T, w *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	require.Equal(t, http.StatusOK, w.Code, "body: %s", w.Body.String())
	m := decode(t, w)
	requireTimeBlock(t, m["time"])
	return m
}
