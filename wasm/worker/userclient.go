package worker

import (
	"encoding/json"
	"sync"

	"github.com/markunread/markunread/wasm/unread"
)

// runUser runs one user's due jobs through one core client.
func (o *Object) runUser(in *Install, seal *Sealer, budget *portalBudget, user int, jobs []*storedJob) {
	auth := &userAuth{o: o, in: in, seal: seal, user: user}
	if err := auth.load(); err != nil {
		for _, j := range jobs {
			_ = o.finish(j, StateFailed, &JobError{unread.CodeNoAuth, "the user's tokens are gone or do not open: " + err.Error()})
		}
		return
	}
	runFor := o.RunFor
	if runFor <= 0 {
		runFor = defaultRunFor
	}
	client := unread.New(unread.Config{
		Transport:     restTransport{out: o.Out, base: in.Base},
		Auth:          auth,
		Shared:        budget,
		Portal:        in.Base,
		Timeout:       runFor,
		BulkQueueSize: MaxPairs * MaxActiveJobs,
	})
	budget.join(client)
	defer client.Close()
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o.runJob(client, j)
		}()
	}
	wg.Wait()
}

// restTransport is the core's Transport: a form POST to the installed portal's REST
// endpoint and nowhere else.
type restTransport struct {
	out  Outbound
	base string
}

func (t restTransport) Post(stop <-chan struct{}, to, body string) (unread.Response, error) {
	if len(to) <= len(t.base)+6 || to[:len(t.base)+6] != t.base+"/rest/" {
		return unread.Response{}, workerError("refused to send a token anywhere but the installed portal")
	}
	status, answer, err := t.out.Post(stop, to, "application/x-www-form-urlencoded", body)
	if err != nil {
		return unread.Response{}, err
	}
	r := unread.Response{Status: status, Redirected: status >= 300 && status < 400}
	v, perr := unread.ParseJSON(answer)
	r.JSON, r.Unreadable = v, perr != nil
	return r, nil
}

// userAuth gives the core a user's tokens, and refreshes them at the OAuth server.
type userAuth struct {
	o    *Object
	in   *Install
	seal *Sealer
	user int

	mu     sync.Mutex
	tokens tokenPair
}

func (a *userAuth) load() error {
	v, ok, err := a.o.Store.Get(tokenKey(a.user))
	if err != nil {
		return err
	}
	if !ok {
		return workerError("no tokens kept")
	}
	plain, err := a.seal.Open(tokenPlace(a.in.MemberID, a.user), v)
	if err != nil {
		return err
	}
	return json.Unmarshal([]byte(plain), &a.tokens)
}

func (a *userAuth) Token(<-chan struct{}) (unread.Credentials, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return unread.Credentials{Portal: a.in.Base, AccessToken: a.tokens.Access}, nil
}

func (a *userAuth) Refresh(stop <-chan struct{}) (unread.Credentials, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	// A job handed over since may have left newer tokens: try those first.
	if v, ok, err := a.o.Store.Get(tokenKey(a.user)); err == nil && ok {
		if plain, err := a.seal.Open(tokenPlace(a.in.MemberID, a.user), v); err == nil {
			var kept tokenPair
			if json.Unmarshal([]byte(plain), &kept) == nil && kept.Access != a.tokens.Access {
				a.tokens = kept
				return unread.Credentials{Portal: a.in.Base, AccessToken: kept.Access}, nil
			}
		}
	}
	fresh, err := refreshTokens(a.o.Out, stop, a.o.Settings, a.tokens.Refresh)
	if err != nil {
		return unread.Credentials{}, err
	}
	spent := a.tokens
	a.tokens = fresh
	b, _ := json.Marshal(fresh)
	sealed, err := a.seal.Seal(tokenPlace(a.in.MemberID, a.user), string(b))
	if err == nil {
		err = a.o.Store.Put(map[string]string{tokenKey(a.user): sealed})
	}
	if err != nil {
		return unread.Credentials{}, err
	}
	// The refresh ended the old pair, its access token too (docs/bitrix24.md#f-oauth-refresh):
	// a job handed over with it again is asked of the portal, not taken on an earlier word,
	// so it cannot put the dead pair in place of this one.
	_ = a.o.Store.Delete(seenKey(a.in.MemberID, spent.Access))
	return unread.Credentials{Portal: a.in.Base, AccessToken: fresh.Access}, nil
}
