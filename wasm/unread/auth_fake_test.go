package unread

import (
	"sync"
	"time"
)

// fakeAuth hands out tokens from a list; each Refresh moves to the next.
type fakeAuth struct {
	mu         sync.Mutex
	tokens     []string
	at         int
	refreshes  int
	block      bool // Refresh never answers (until stop closes)
	expiresIn  time.Duration
	blockToken bool // Token never answers (until stop closes)
	fail       error
}

func (a *fakeAuth) Token(stop <-chan struct{}) (Credentials, error) {
	if a.blockToken {
		<-stop
		return Credentials{}, errStopped
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return Credentials{Portal: "https://example.bitrix24.com", AccessToken: a.tokens[a.at], ExpiresIn: a.expiresIn}, nil
}

func (a *fakeAuth) Refresh(stop <-chan struct{}) (Credentials, error) {
	a.mu.Lock()
	a.refreshes++
	block, fail := a.block, a.fail
	a.mu.Unlock()
	if block {
		<-stop
		return Credentials{}, errStopped
	}
	time.Sleep(50 * time.Millisecond)
	if fail != nil {
		return Credentials{}, fail
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.at++
	return Credentials{Portal: "https://example.bitrix24.com", AccessToken: a.tokens[a.at], ExpiresIn: a.expiresIn}, nil
}

func (a *fakeAuth) refreshCount() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.refreshes
}
