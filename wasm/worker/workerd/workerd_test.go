//go:build !js

package workerd

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/markunread/markunread/web/devportal"
)

// These tests run the built Worker (make worker-build) under workerd against the
// emulator; make test-worker sets MARKUNREAD_WORKER_DIR and MARKUNREAD_WORKERD.

type env struct {
	t       *testing.T
	portal  *devportal.Portal
	portalS *httptest.Server
	opts    Options
	w       *Process
	log     *bytes.Buffer
}

const tokenKey = "workerd test TOKEN_KEY, thirty-two characters or more"

func start(t *testing.T, cfg devportal.Config) *env {
	dir, bin := os.Getenv("MARKUNREAD_WORKER_DIR"), os.Getenv("MARKUNREAD_WORKERD")
	if dir == "" || bin == "" {
		t.Skip("the Worker under workerd: run make test-worker")
	}
	e := &env{t: t, log: &bytes.Buffer{}}
	cfg.ClientSecret = "workerd-test-secret"
	e.portal = devportal.New(cfg)
	e.portalS = httptest.NewServer(e.portal.Handler())
	t.Cleanup(e.portalS.Close)
	e.opts = Options{Dir: dir, Workerd: bin, State: t.TempDir(), Address: "127.0.0.1:0",
		ClientID: devportal.DefaultClientID, ClientSecret: cfg.ClientSecret, TokenKey: tokenKey,
		OAuthURL: e.portalS.URL, Log: e.log}
	e.restart()
	t.Cleanup(func() {
		e.w.Stop()
		if t.Failed() {
			t.Log("workerd:\n" + e.log.String())
		}
	})
	return e
}

// restart starts workerd (again) on the same state and address.
func (e *env) restart() {
	e.t.Helper()
	w, err := Start(e.opts)
	require.NoError(e.t, err, e.log.String())
	e.w = w
	e.opts.Address = strings.TrimPrefix(w.URL, "http://")
}

func (e *env) appEvent(kind string) map[string]any {
	e.t.Helper()
	res, err := http.PostForm(e.portalS.URL+"/devportal/"+kind, url.Values{"handler": {e.w.URL + "/events"}})
	require.NoError(e.t, err)
	defer res.Body.Close()
	var out map[string]any
	require.NoError(e.t, json.NewDecoder(res.Body).Decode(&out))
	return out
}

func (e *env) api(path string, body map[string]any) (int, map[string]any) {
	e.t.Helper()
	b, _ := json.Marshal(body)
	res, err := http.Post(e.w.URL+path, "application/json", bytes.NewReader(b))
	require.NoError(e.t, err)
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out map[string]any
	require.NoError(e.t, json.Unmarshal(raw, &out), "%s", raw)
	return res.StatusCode, out
}

func (e *env) job(tok devportal.Token, pairs [][]any, at time.Time) (int, map[string]any) {
	body := map[string]any{"memberId": e.portal.MemberID(), "accessToken": tok.Access, "refreshToken": tok.Refresh, "pairs": pairs}
	if !at.IsZero() {
		body["at"] = at.UnixMilli()
	}
	return e.api("/api/jobs", body)
}

func (e *env) jobs(tok devportal.Token) []map[string]any {
	e.t.Helper()
	status, body := e.api("/api/jobs/list", map[string]any{"memberId": e.portal.MemberID(), "accessToken": tok.Access})
	require.Equal(e.t, 200, status, "%v", body)
	var out []map[string]any
	for _, j := range body["jobs"].([]any) {
		out = append(out, j.(map[string]any))
	}
	return out
}

func (e *env) stateFiles() []byte {
	var all []byte
	_ = filepath.Walk(e.opts.State, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			b, _ := os.ReadFile(p)
			all = append(all, b...)
		}
		return nil
	})
	return all
}

func TestTheWorkerAnswersTheLaunchPostWithTheAppPage(t *testing.T) {
	e := start(t, devportal.Config{})
	form := url.Values{"AUTH_ID": {"x"}, "AUTH_EXPIRES": {"3600"}, "REFRESH_ID": {"y"}, "member_id": {"m"}}
	res, err := http.PostForm(e.w.URL+"/?DOMAIN=portal.example&PROTOCOL=1&LANG=en&APP_SID=s", form)
	require.NoError(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	require.Equal(t, 200, res.StatusCode)
	assert.Equal(t, "text/html; charset=utf-8", res.Header.Get("Content-Type"))
	assert.Contains(t, string(body), "<title>markunread demo app</title>")
	assert.Contains(t, res.Header.Get("Content-Security-Policy"), "script-src 'self' 'wasm-unsafe-eval'")
	assert.NotContains(t, string(body), "AUTH_ID", "the form's token is not echoed into the page")
	assert.Equal(t, "markunread-worker", res.Header.Get("Server-Timing"), "the page can tell the Worker served it")
}

func TestTheWorkerServesTheModuleCompressedOnceAndCachesVersionedFiles(t *testing.T) {
	e := start(t, devportal.Config{})
	br, err := os.ReadFile(filepath.Join(e.opts.Dir, "assets/dist/markunread.wasm.br"))
	require.NoError(t, err)
	raw, err := os.ReadFile(filepath.Join(e.opts.Dir, "assets/dist/markunread.wasm"))
	require.NoError(t, err)
	get := func(path, accept string) (*http.Response, []byte) {
		req, _ := http.NewRequest(http.MethodGet, e.w.URL+path, nil)
		req.Header.Set("Accept-Encoding", accept) // set by hand: Go's client then leaves the body as it came
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, b
	}
	// Cloudflare's edge hands a Worker "Accept-Encoding: br, gzip" whatever the browser
	// sent; workerd alone, given a browser's "gzip, deflate, br, zstd", decodes the br
	// answer and sends it plain (docs/worker.md).
	res, body := get("/dist/markunread.wasm", "br, gzip")
	assert.Equal(t, "application/wasm", res.Header.Get("Content-Type"))
	assert.Equal(t, "br", res.Header.Get("Content-Encoding"))
	assert.Empty(t, res.Header.Get("X-Markunread-Encoded"))
	assert.True(t, bytes.Equal(br, body), "the .br as it is, compressed exactly once (%d bytes, want %d)", len(body), len(br))

	res, body = get("/dist/markunread.wasm", "identity")
	assert.Equal(t, "application/wasm", res.Header.Get("Content-Type"))
	assert.Empty(t, res.Header.Get("Content-Encoding"))
	assert.True(t, bytes.Equal(raw, body))

	build, _ := os.ReadFile(filepath.Join(e.opts.Dir, "BUILD_ID"))
	res, _ = get("/dist/markunread.js?v="+strings.TrimSpace(string(build)), "identity")
	assert.Equal(t, "public, max-age=31536000, immutable", res.Header.Get("Cache-Control"))
	res, _ = get("/dist/markunread.js", "identity")
	assert.Equal(t, "no-cache", res.Header.Get("Cache-Control"))
	assert.NotEmpty(t, res.Header.Get("ETag"))
}

func TestAReminderAFewSecondsAheadMarksTheDialogAsThatUser(t *testing.T) {
	e := start(t, devportal.Config{})
	require.EqualValues(t, 200, e.appEvent("install")["status"], e.log.String())
	tok := e.portal.IssueTokenAs(5)
	at := time.Now().Add(2 * time.Second)
	status, body := e.job(tok, [][]any{{"chat29", 12}}, at)
	require.Equal(t, 201, status, "%v", body)
	assert.Empty(t, e.portal.Unread(), "nothing is marked before its time")
	deadline := time.Now().Add(20 * time.Second)
	for len(e.portal.Unread()) == 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	require.Equal(t, map[string]int64{"chat29": 12}, e.portal.Unread())
	assert.False(t, time.Now().Add(50*time.Millisecond).Before(at), "marked at its time, not before")
	d := e.portal.Messenger(1).Dialogs[0]
	assert.Equal(t, 5, d.MarkedBy, "marked as the user who set the reminder")
	var job map[string]any
	for time.Now().Before(deadline) {
		if job = e.jobs(tok)[0]; job["state"] == "done" {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	assert.Equal(t, "done", job["state"])
	assert.EqualValues(t, 1, job["marked"])
}

func TestAJobSurvivesARestartOfWorkerdWithoutLosingAPair(t *testing.T) {
	// A slow portal: 2 requests a second, so 40 batches take 20 s.
	e := start(t, devportal.Config{Rate: 2, Burst: 2})
	require.EqualValues(t, 200, e.appEvent("install")["status"], e.log.String())
	tok := e.portal.IssueTokenAs(6)
	var pairs [][]any
	for i := 1; i <= 2000; i++ {
		pairs = append(pairs, []any{"chat" + itoa(i), 1})
	}
	status, body := e.job(tok, pairs, time.Time{})
	require.Equal(t, 201, status, "%v", body)
	deadline := time.Now().Add(30 * time.Second)
	for len(e.portal.Unread()) < 200 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	marked := len(e.portal.Unread())
	require.GreaterOrEqual(t, marked, 200, "the job started")
	require.Less(t, marked, 2000, "the job is under way when workerd goes")
	e.w.Kill()
	e.restart()
	deadline = time.Now().Add(90 * time.Second)
	for len(e.portal.Unread()) < 2000 && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	assert.Len(t, e.portal.Unread(), 2000, "every pair marked after the restart")
	for time.Now().Before(deadline) {
		if e.jobs(tok)[0]["state"] == "done" {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	job := e.jobs(tok)[0]
	assert.Equal(t, "done", job["state"])
	assert.EqualValues(t, 2000, job["marked"])
}

func TestAJobIsRefusedWithAForgedTokenAnotherPortalsTokenOrWithoutAnInstall(t *testing.T) {
	e := start(t, devportal.Config{})
	other := devportal.New(devportal.Config{})
	tok := e.portal.IssueTokenAs(2)
	status, body := e.job(tok, [][]any{{"chat1", 1}}, time.Time{})
	assert.Equal(t, 404, status)
	assert.Equal(t, "NOT_INSTALLED", body["error"])

	require.EqualValues(t, 200, e.appEvent("install")["status"], e.log.String())
	forged := devportal.Token{Access: strings.Repeat("ab", 32), Refresh: strings.Repeat("cd", 32)}
	for name, tk := range map[string]devportal.Token{"forged": forged, "another portal's": other.IssueTokenAs(2)} {
		status, body = e.job(tk, [][]any{{"chat1", 1}}, time.Time{})
		assert.Equal(t, 403, status, name)
		assert.Equal(t, "TOKEN_REFUSED", body["error"], name)
	}
	time.Sleep(300 * time.Millisecond)
	assert.Empty(t, e.portal.Unread())
}

func TestAnEventWithAWrongApplicationTokenChangesNothingAndUninstallLeavesNothing(t *testing.T) {
	e := start(t, devportal.Config{})
	require.EqualValues(t, 200, e.appEvent("install")["status"], e.log.String())
	tok := e.portal.IssueTokenAs(3)
	status, _ := e.job(tok, [][]any{{"chat1", 1}}, time.Now().Add(time.Hour))
	require.Equal(t, 201, status)

	wrong := url.Values{"event": {"ONAPPUNINSTALL"}, "auth[member_id]": {e.portal.MemberID()},
		"auth[application_token]": {strings.Repeat("0", 32)}, "data[CLEAN]": {"1"}}
	res, err := http.PostForm(e.w.URL+"/events", wrong)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, 403, res.StatusCode)
	assert.Len(t, e.jobs(tok), 1, "the job is still there")

	require.EqualValues(t, 200, e.appEvent("uninstall")["status"])
	status, body := e.api("/api/jobs/list", map[string]any{"memberId": e.portal.MemberID(), "accessToken": e.portal.IssueTokenAs(3).Access})
	assert.Equal(t, 404, status)
	assert.Equal(t, "NOT_INSTALLED", body["error"])
}

func TestThePersistedStateHoldsNoTokenInTheClear(t *testing.T) {
	e := start(t, devportal.Config{})
	ev := e.appEvent("install")
	require.EqualValues(t, 200, ev["status"], e.log.String())
	tok := e.portal.IssueTokenAs(4)
	status, _ := e.job(tok, [][]any{{"chat1", 1}}, time.Now().Add(time.Hour))
	require.Equal(t, 201, status)
	e.w.Stop() // everything written is on disk
	state := e.stateFiles()
	require.Contains(t, string(state), "chat1", "the state was found (the job's pairs are in it)")
	for name, secret := range map[string]string{"access token": tok.Access, "refresh token": tok.Refresh,
		"application_token": ev["applicationToken"].(string)} {
		assert.False(t, bytes.Contains(state, []byte(secret)), "the %s is not in the state in the clear", name)
	}
	e.restart()
}

func itoa(n int) string { return strconvItoa(n) }
