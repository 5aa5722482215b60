//go:build !js

package worker

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/markunread/markunread/web/devportal"
	"github.com/stretchr/testify/require"
)

// memStore is a Store in memory, as a Durable Object's storage behaves.
type memStore struct {
	mu    sync.Mutex
	data  map[string]string
	alarm time.Time
}

func newMemStore() *memStore { return &memStore{data: map[string]string{}} }

func (s *memStore) Get(k string) (string, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.data[k]
	return v, ok, nil
}

func (s *memStore) Put(e map[string]string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range e {
		s.data[k] = v
	}
	return nil
}

func (s *memStore) Delete(keys ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range keys {
		delete(s.data, k)
	}
	return nil
}

func (s *memStore) List(prefix string) (map[string]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]string{}
	for k, v := range s.data {
		if strings.HasPrefix(k, prefix) {
			out[k] = v
		}
	}
	return out, nil
}

func (s *memStore) DeleteAll() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.data = map[string]string{}
	return nil
}

func (s *memStore) Alarm() (time.Time, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.alarm, !s.alarm.IsZero(), nil
}

func (s *memStore) SetAlarm(at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.alarm = at
	return nil
}

func (s *memStore) DeleteAlarm() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.alarm = time.Time{}
	return nil
}

func (s *memStore) keys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ks []string
	for k := range s.data {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func (s *memStore) dump() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	for k, v := range s.data {
		b.WriteString(k + "=" + v + "\n")
	}
	return b.String()
}

// netOutbound is an Outbound over net/http that records every URL it was asked for.
type netOutbound struct {
	mu   sync.Mutex
	urls []string
}

func (o *netOutbound) Post(stop <-chan struct{}, to, contentType, body string) (int, string, error) {
	o.mu.Lock()
	o.urls = append(o.urls, to)
	o.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, to, strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", contentType)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, string(b), err
}

func (o *netOutbound) hosts() map[string]bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	hs := map[string]bool{}
	for _, u := range o.urls {
		p, _ := url.Parse(u)
		hs[p.Host] = true
	}
	return hs
}

// objects is Objects in process: one Object per member_id, each with its own store.
type objects struct {
	mu       sync.Mutex
	settings Settings
	out      Outbound
	stores   map[string]*memStore
}

func (os *objects) object(member string) *Object {
	os.mu.Lock()
	defer os.mu.Unlock()
	s := os.stores[member]
	if s == nil {
		s = newMemStore()
		os.stores[member] = s
	}
	return &Object{Store: s, Out: os.out, Settings: os.settings}
}

func (os *objects) Call(member, path string, body []byte) (int, []byte, error) {
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "http://object"+path, strings.NewReader(string(body)))
	os.object(member).ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes(), nil
}

// fixture is an emulated portal, the front and the objects, all in process.
type fixture struct {
	t       *testing.T
	portal  *devportal.Portal
	portalS *httptest.Server
	front   *httptest.Server
	objs    *objects
	out     *netOutbound
}

const testKey = "a test TOKEN_KEY of at least thirty-two characters"

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{t: t, out: &netOutbound{}}
	f.portal = devportal.New(devportal.Config{ClientSecret: "test-secret"})
	f.portalS = httptest.NewServer(f.portal.Handler())
	t.Cleanup(f.portalS.Close)
	f.objs = &objects{out: f.out, stores: map[string]*memStore{}, settings: Settings{
		ClientID: devportal.DefaultClientID, ClientSecret: "test-secret", TokenKey: testKey, OAuthURL: f.portalS.URL,
	}}
	front := &Front{Assets: noAssets{}, Objects: f.objs, Settings: f.objs.settings}
	f.front = httptest.NewServer(front)
	t.Cleanup(f.front.Close)
	return f
}

type noAssets struct{}

func (noAssets) Get(string) (Asset, error) { return Asset{Status: 404}, nil }

// appEvent asks the emulator to send an install or uninstall event to the front.
func (f *fixture) appEvent(kind string) map[string]any {
	f.t.Helper()
	res, err := http.PostForm(f.portalS.URL+"/devportal/"+kind, url.Values{"handler": {f.front.URL + "/events"}})
	require.NoError(f.t, err)
	defer res.Body.Close()
	var out map[string]any
	require.NoError(f.t, json.NewDecoder(res.Body).Decode(&out))
	return out
}

func (f *fixture) store() *memStore { return f.objs.object(f.portal.MemberID()).Store.(*memStore) }

// api posts a JSON body to the front's page API.
func (f *fixture) api(path string, body map[string]any) (int, map[string]any) {
	f.t.Helper()
	b, _ := json.Marshal(body)
	res, err := http.Post(f.front.URL+path, "application/json", strings.NewReader(string(b)))
	require.NoError(f.t, err)
	defer res.Body.Close()
	var out map[string]any
	require.NoError(f.t, json.NewDecoder(res.Body).Decode(&out))
	return res.StatusCode, out
}

func (f *fixture) jobBody(tok devportal.Token, pairs [][]any, at *time.Time) map[string]any {
	body := map[string]any{"memberId": f.portal.MemberID(), "accessToken": tok.Access, "refreshToken": tok.Refresh, "pairs": pairs}
	if at != nil {
		body["at"] = at.UnixMilli()
	}
	return body
}

// runAlarm runs the portal's object's alarm as the runtime would once it is due.
func (f *fixture) runAlarm() map[string]any {
	f.t.Helper()
	status, body, _ := f.objs.Call(f.portal.MemberID(), "/alarm", nil)
	var out map[string]any
	require.NoError(f.t, json.Unmarshal(body, &out))
	require.Equal(f.t, 200, status, "%v", out)
	return out
}
