package unread

import (
	"errors"
	"sync"

	"github.com/markunread/markunread/wasm/internal/time"
)

// Credentials are what a request needs: where the portal is and a token.
type Credentials struct {
	Portal      string // base URL, e.g. https://example.bitrix24.com
	AccessToken string
	// ExpiresIn is the token's life from when it was given (AUTH_EXPIRES,
	// docs/bitrix24.md#f-auth-expires); 0 when the source does not say.
	ExpiresIn time.Duration
}

// expiryMargin: a token this close to its expiry is refreshed before use,
// so it is not sent in its last seconds. A token that lives less than
// twice as long is refreshed at half its life instead: with the whole
// margin, every use of it would start a refresh.
const expiryMargin = 10 * time.Second

// Auth is where tokens come from: the page's own auth source (the portal's
// postMessage protocol, BX24, the official SDK, or an explicit token).
// Token gives the current credentials; Refresh asks for new ones after the
// portal refused the current token. Both must give up when stop closes.
type Auth interface {
	Token(stop <-chan struct{}) (Credentials, error)
	Refresh(stop <-chan struct{}) (Credentials, error)
}

// Refresher is implemented by an Auth that may have no way to refresh (a
// token the page passed in by hand). When CanRefresh is false, a refused
// token fails the call with the portal's own code at once.
type Refresher interface {
	CanRefresh() bool
}

func (s *session) canRefresh() bool {
	r, ok := s.auth.(Refresher)
	return !ok || r.CanRefresh()
}

// session keeps the current credentials and makes sure only one fetch or
// refresh is under way at a time: a refresh token works once, so two
// concurrent refreshes would race each other (a bug the official SDK had).
type session struct {
	auth    Auth
	timeout time.Duration
	log     func(LogEvent)

	mu      sync.Mutex
	creds   Credentials
	expires time.Time     // zero: unknown
	margin  time.Duration // refreshed this long before expires
	have    bool
	flight  *flight // the fetch or refresh under way, if any
	refresh int     // refreshes started
}

type flight struct {
	done  chan struct{}
	creds Credentials
	err   *Error
}

// credentials returns the current credentials, waiting for a fetch or
// refresh under way, or until closing (the client's life) ends.
func (s *session) credentials(closing <-chan struct{}) (Credentials, *Error) {
	s.mu.Lock()
	if s.have && s.flight == nil && !s.expires.IsZero() && time.Now().After(s.expires.Add(-s.margin)) && s.canRefresh() {
		s.startLocked(true)
	}
	if s.have && s.flight == nil {
		c := s.creds
		s.mu.Unlock()
		return c, nil
	}
	f := s.flight
	if f == nil {
		f = s.startLocked(false)
	}
	s.mu.Unlock()
	select {
	case <-f.done:
		return f.creds, f.err
	case <-closing:
		return Credentials{}, newError(CodeClosed, "the client was closed while waiting for a token")
	}
}

// expire reports that the portal refused token. The first report of the
// current token starts one refresh; reports of a token already replaced,
// or made while a refresh is under way, join it.
func (s *session) expire(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.flight != nil || !s.have || s.creds.AccessToken != token {
		return
	}
	s.startLocked(true)
}

func (s *session) refreshes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refresh
}

func (s *session) startLocked(refresh bool) *flight {
	f := &flight{done: make(chan struct{})}
	s.flight = f
	if refresh {
		s.refresh++
		if s.log != nil {
			s.log(LogEvent{Kind: LogRefresh, Text: "refreshing the access token"})
		}
	}
	go func() {
		asked := time.Now()
		creds, err := s.ask(refresh)
		s.mu.Lock()
		if err == nil {
			s.creds, s.have = creds, true
			s.expires = time.Time{}
			if creds.ExpiresIn > 0 {
				s.expires = asked.Add(creds.ExpiresIn)
				s.margin = min(expiryMargin, creds.ExpiresIn/2)
			}
		}
		s.flight = nil
		f.creds, f.err = creds, err
		s.mu.Unlock()
		close(f.done)
	}()
	return f
}

// ask calls the auth source with a bound, so a source that never answers
// fails the calls waiting on it instead of hanging them.
func (s *session) ask(refresh bool) (Credentials, *Error) {
	code, what := CodeNoAuth, "getting a token"
	if refresh {
		code, what = CodeRefreshFailed, "refreshing the token"
	}
	if s.auth == nil {
		return Credentials{}, newError(CodeNoAuth, "no auth source: pass options.auth, or load the module inside a Bitrix24 app page")
	}
	stop := NewStop()
	defer stop.FireAfter(s.timeout, nil).Stop()
	type answer struct {
		creds Credentials
		err   error
	}
	got := make(chan answer, 1)
	go func() {
		var a answer
		defer func() {
			if p := recover(); p != nil {
				a.err = errors.New("the auth source panicked")
			}
			got <- a
		}()
		if refresh {
			a.creds, a.err = s.auth.Refresh(stop.Done())
		} else {
			a.creds, a.err = s.auth.Token(stop.Done())
		}
	}()
	select {
	case a := <-got:
		if a.err != nil {
			if e, ok := a.err.(*Error); ok {
				return Credentials{}, e
			}
			return Credentials{}, newError(code, what+" failed: "+a.err.Error())
		}
		if a.creds.AccessToken == "" {
			return Credentials{}, newError(code, what+" gave no access token")
		}
		return a.creds, nil
	case <-stop.Done():
		return Credentials{}, newError(code, what+" did not answer within "+s.timeout.String())
	}
}
