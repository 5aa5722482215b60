package devportal

import (
	"errors"
	"time"
)

// tokenStore holds issued tokens. An access token is valid until its expiry; a refresh
// token can be exchanged exactly once (a second use is invalid_grant). Refreshing does
// not revoke the old access token: it stays valid until it expires. Caller holds mu.
type tokenStore struct {
	access  map[string]time.Time // access token -> expiry
	refresh map[string]bool      // refresh token -> already used
	user    map[string]int       // access or refresh token -> the user it acts as
}

func (s *tokenStore) init() {
	s.access = map[string]time.Time{}
	s.refresh = map[string]bool{}
	s.user = map[string]int{}
}

func (s *tokenStore) issue(lifetime time.Duration) Token {
	return s.issueAs(DefaultUser, lifetime)
}

// issueAs issues a pair that acts as user.
func (s *tokenStore) issueAs(user int, lifetime time.Duration) Token {
	t := Token{Access: randomHex(32), Refresh: randomHex(32), Expires: time.Now().Add(lifetime), User: user}
	s.access[t.Access] = t.Expires
	s.refresh[t.Refresh] = false
	s.user[t.Access], s.user[t.Refresh] = user, user
	return t
}

// revokeAll makes every token issued so far invalid: what the portal does to an app's
// tokens when the app is uninstalled.
func (s *tokenStore) revokeAll() {
	s.init()
}

// IssueToken issues a fresh access/refresh pair with the configured TokenLifetime.
func (p *Portal) IssueToken() Token {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.tokens.issue(p.cfg.TokenLifetime)
}

// issueTokenFor issues a pair that acts as user (<= 0: DefaultUser) with the given
// lifetime (<= 0: the configured one).
func (p *Portal) issueTokenFor(user int, lifetime time.Duration) Token {
	p.mu.Lock()
	defer p.mu.Unlock()
	if lifetime <= 0 {
		lifetime = p.cfg.TokenLifetime
	}
	if user <= 0 {
		user = DefaultUser
	}
	return p.tokens.issueAs(user, lifetime)
}

// IssueTokenAs issues a fresh pair that acts as user, with the configured TokenLifetime.
func (p *Portal) IssueTokenAs(user int) Token {
	return p.issueTokenFor(user, 0)
}

// ErrInvalidGrant is returned by Refresh for an unknown or already used refresh token.
var ErrInvalidGrant = errors.New("invalid_grant")

// Refresh exchanges a refresh token (once) for a new pair with the configured lifetime.
func (p *Portal) Refresh(refresh string) (Token, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	used, ok := p.tokens.refresh[refresh]
	if !ok || used {
		return Token{}, ErrInvalidGrant
	}
	p.tokens.refresh[refresh] = true
	return p.tokens.issueAs(p.tokens.user[refresh], p.cfg.TokenLifetime), nil
}

// checkAuth validates the "auth" parameter at now. Caller holds mu.
func (p *Portal) checkAuth(auth string, now time.Time) *apiError {
	if auth == "" {
		return errNoAuth
	}
	exp, ok := p.tokens.access[auth]
	if !ok {
		return errInvalidToken
	}
	if !now.Before(exp) {
		return errExpiredToken
	}
	return nil
}
