package worker

import (
	"encoding/json"
	"math"
	"sync"
	"time"

	"github.com/markunread/markunread/wasm/unread"
)

// Running what is due, at the object's alarm.
//
// Every due job of every user runs at once, each user through a core client
// (unread.Client) of their own, with their own token, and every client under one
// bucket for the portal (portalBudget): the portal counts every request of the app
// against the same bucket, whichever user sent it (docs/bitrix24.md#f-rate-bucket). The
// core batches, retries, waits out operating-time blocks and refreshes a token once when
// the portal refuses it; a refresh goes to the OAuth server and its new pair is sealed
// and kept at once, since a refresh token works once.
//
// Each pair's outcome is kept as it settles (the progress string, written at most every
// progressEvery and at the end), so a run that dies (a restart, an eviction) loses no
// pair: the next alarm sends again what was not yet kept as settled, which marks nothing
// twice that was not already unread (marking is idempotent). To be sure there is a next
// alarm, a run first sets one a little ahead (watchdogAfter), then the right one at its
// end.

const (
	progressEvery = time.Second
	watchdogAfter = 10 * time.Second
	defaultRunFor = 10 * time.Minute
)

func (o *Object) alarm() (int, any) {
	in, err := o.install()
	if err != nil {
		return internal(err)
	}
	if in == nil { // uninstalled: nothing may be left
		_ = o.Store.DeleteAlarm()
		return 200, map[string]any{"ran": 0}
	}
	seal, e := o.sealer()
	if e != nil {
		return fail(e)
	}
	now := o.now()
	if err := o.Store.SetAlarm(now.Add(watchdogAfter)); err != nil {
		return internal(err)
	}
	o.forgetExpired(now)
	jobs, err := loadJobs(o.Store)
	if err != nil {
		return internal(err)
	}
	byUser := map[int][]*storedJob{}
	for _, j := range jobs {
		if j.active() && j.At <= now.UnixMilli() {
			byUser[j.User] = append(byUser[j.User], j)
		}
	}
	budget := &portalBudget{spent: o.spentNow(now)}
	defer func() {
		t := o.now()
		o.keepSpent(budget.level(t), t)
	}()
	var wg sync.WaitGroup
	ran := 0
	for user, mine := range byUser {
		ran += len(mine)
		wg.Add(1)
		go func() {
			defer wg.Done()
			o.runUser(in, seal, budget, user, mine)
		}()
	}
	wg.Wait()
	if err := o.rearm(); err != nil {
		return internal(err)
	}
	return 200, map[string]any{"ran": ran}
}

// rearm sets the alarm to the earliest job still waiting, or clears it.
func (o *Object) rearm() error {
	jobs, err := loadJobs(o.Store)
	if err != nil {
		return err
	}
	var next int64
	for _, j := range jobs {
		if j.active() && (next == 0 || j.At < next) {
			next = j.At
		}
	}
	if next == 0 {
		return o.Store.DeleteAlarm()
	}
	at := time.UnixMilli(next)
	if now := o.now(); at.Before(now) { // a job left over by a run cut short
		at = now.Add(time.Second)
	}
	return o.Store.SetAlarm(at)
}

func (o *Object) forgetExpired(now time.Time) {
	seen, err := o.Store.List(prefixSeen)
	if err != nil {
		return
	}
	var old []string
	for k, v := range seen {
		var s struct{ Until int64 }
		if json.Unmarshal([]byte(v), &s) != nil || s.Until <= now.UnixMilli() {
			old = append(old, k)
		}
	}
	if len(old) > 0 {
		_ = o.Store.Delete(old...)
	}
}

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

// runJob sends a job's pending pairs and keeps each one's outcome.
func (o *Object) runJob(client *unread.Client, j *storedJob) {
	pairs, err := loadPairs(o.Store, j.ID, j.Total)
	prog, ok, perr := o.Store.Get(progressKey(j.ID))
	if err != nil || perr != nil || !ok || len(prog) != j.Total {
		_ = o.finish(j, StateFailed, &JobError{CodeInternal, "the job's stored pairs could not be read"})
		return
	}
	progress := []byte(prog)
	var index []int
	var marks []unread.MarkRequest
	for i, p := range pairs {
		if progress[i] == pairPending {
			index = append(index, i)
			marks = append(marks, unread.MarkRequest{Dialog: unread.String(string(p.Dialog)), Message: unread.Number(float64(p.Message))})
		}
	}
	j.State = StateRunning
	var mu sync.Mutex
	var authFailure *JobError
	abort := unread.NewStop()
	save := func() bool { // under mu; false: the job was cancelled meanwhile
		if v, ok, err := o.Store.Get(jobKey(j.ID)); err == nil && ok {
			var now storedJob
			if json.Unmarshal([]byte(v), &now) == nil && now.State == StateCancelled {
				return false
			}
		}
		_ = o.Store.Put(map[string]string{progressKey(j.ID): string(progress), jobKey(j.ID): encodeJob(j)})
		return true
	}
	mu.Lock()
	cancelled := !save()
	mu.Unlock()
	if cancelled {
		return
	}
	done := client.MarkMany(marks, abort, func(k int, e *unread.Error) {
		i := index[k]
		mu.Lock()
		defer mu.Unlock()
		if e == nil {
			progress[i] = pairMarked
			j.Marked++
			return
		}
		if e.Code == unread.CodeAborted {
			return // cancelled or cut short: still pending
		}
		if isAuthFailure(e.Code) {
			if authFailure == nil {
				authFailure = &JobError{e.Code, e.Description}
			}
			return // stays pending: the job fails as a whole, with this error
		}
		progress[i] = pairFailed
		j.Failed++
		if len(j.Errors) < MaxPairErrors {
			j.Errors = append(j.Errors, PairError{i, string(pairs[i].Dialog), int64(pairs[i].Message), e.Code, e.Description})
		}
	})
	tick := time.NewTicker(progressEvery)
	defer tick.Stop()
	for finished := false; !finished; {
		select {
		case <-done:
			finished = true
		case <-tick.C:
		}
		mu.Lock()
		if !save() {
			abort.Fire(nil)
			mu.Unlock()
			<-done
			return
		}
		mu.Unlock()
	}
	mu.Lock()
	defer mu.Unlock()
	pending := 0
	for _, b := range progress {
		if b == pairPending {
			pending++
		}
	}
	switch {
	case authFailure != nil:
		_ = o.finish(j, StateFailed, authFailure)
	case pending == 0:
		_ = o.finish(j, StateDone, nil)
	}
	// Otherwise the run was cut short: the job stays running and the next alarm goes on.
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
	a.tokens = fresh
	b, _ := json.Marshal(fresh)
	sealed, err := a.seal.Seal(tokenPlace(a.in.MemberID, a.user), string(b))
	if err == nil {
		err = a.o.Store.Put(map[string]string{tokenKey(a.user): sealed})
	}
	if err != nil {
		return unread.Credentials{}, err
	}
	return unread.Credentials{Portal: a.in.Base, AccessToken: fresh.Access}, nil
}

// portalBudget is the one bucket of the portal that every user's client spends
// (unread.SharedBudget): a request waits until the portal's bucket has room, whoever
// sends it; a full bucket seen by one client slows all; an operating-time block one
// client meets holds the others' calls of that method too.
type portalBudget struct {
	mu      sync.Mutex
	bucket  *unread.Bucket
	plan    unread.Plan
	clients []*unread.Client
	spent   float64 // the level kept from before this run (keyBucket), drained to its start
}

// Between runs the portal's bucket is remembered as a level and when it was that
// (keyBucket): requests made outside a run (verifying a token with profile) spend
// the same bucket, and a run that starts right after them must count them.
type spentBucket struct {
	Level float64 `json:"level"`
	At    int64   `json:"at"` // Unix ms
}

// spentNow reads the kept level drained to now, at the standard plan's rate (the
// slowest drain: never less than the portal has).
func (o *Object) spentNow(now time.Time) float64 {
	v, ok, err := o.Store.Get(keyBucket)
	var b spentBucket
	if err != nil || !ok || json.Unmarshal([]byte(v), &b) != nil {
		return 0
	}
	return math.Max(0, b.Level-now.Sub(time.UnixMilli(b.At)).Seconds()*unread.StandardPlan.Rate)
}

// keepSpent writes the level the bucket has at now.
func (o *Object) keepSpent(level float64, now time.Time) {
	b, _ := json.Marshal(spentBucket{Level: level, At: now.UnixMilli()})
	_ = o.Store.Put(map[string]string{keyBucket: string(b)})
}

// spendOne counts one request made outside a run.
func (o *Object) spendOne() {
	now := o.now()
	o.keepSpent(o.spentNow(now)+1, now)
}

// level is the shared bucket's level at now (0 before any request).
func (b *portalBudget) level(now time.Time) float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.bucket == nil {
		return b.spent
	}
	return b.bucket.Level(now)
}

// budgetHeadroom is the spread in travel time the shared bucket leaves room for, as
// the core's own pacer does: requests reserved back to back may reach the portal
// bunched closer than they left, and the portal counts them when they arrive.
const budgetHeadroom = 250 * time.Millisecond

// budgetCapacity is the burst the shared bucket spends: the plan's, less a
// request's worth or the drain in budgetHeadroom, whichever is more.
func budgetCapacity(p unread.Plan) int {
	headroom := int(math.Ceil(p.Rate * budgetHeadroom.Seconds()))
	return max(1, p.Burst-max(1, headroom))
}

func (b *portalBudget) join(c *unread.Client) {
	b.mu.Lock()
	b.clients = append(b.clients, c)
	b.mu.Unlock()
}

func (b *portalBudget) Reserve(_ string, plan unread.Plan, stop <-chan struct{}) error {
	for {
		b.mu.Lock()
		now := time.Now()
		switch {
		case b.bucket == nil || plan.Burst != b.plan.Burst:
			b.bucket, b.plan = unread.NewBucket(plan.Rate, budgetCapacity(plan)), plan
			for i := 0.0; i < b.spent; i++ { // what was spent before this run
				b.bucket.Add(now)
			}
		case plan.Rate != b.plan.Rate:
			// The rate a client assumes is its own follows what other apps
			// leave of the portal's; what was spent stays spent.
			b.bucket.SetRate(now, plan.Rate)
			b.plan = plan
		}
		d := b.bucket.Delay(now)
		if d <= 0 {
			b.bucket.Add(now)
			b.mu.Unlock()
			return nil
		}
		b.mu.Unlock()
		t := time.NewTimer(d)
		select {
		case <-stop:
			t.Stop()
			return workerError("stopped")
		case <-t.C:
		}
	}
}

func (b *portalBudget) Full(string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.bucket != nil {
		b.bucket.Fill(time.Now())
	}
}

// Room tells every user's client what one learned of the portal's other apps.
func (b *portalBudget) Room(portal string, others float64, atMs int64) {
	b.mu.Lock()
	clients := append([]*unread.Client(nil), b.clients...)
	b.mu.Unlock()
	for _, c := range clients {
		c.HeardRoom(portal, others, time.UnixMilli(atMs))
	}
}

func (b *portalBudget) Hold(portal, method string, untilMs int64) {
	b.mu.Lock()
	clients := append([]*unread.Client(nil), b.clients...)
	b.mu.Unlock()
	for _, c := range clients {
		c.Held(portal, method, time.UnixMilli(untilMs))
	}
}
