package worker

import (
	"encoding/json"
	"sync"
	"time"
)

// Running what is due, at the object's alarm.
//
// Every due job of every user runs at once, each user through a core client
// (unread.Client) of their own, with their own token (userclient.go), and every
// client under one bucket for the portal (portalBudget, budget.go): the portal counts
// every request of the app against the same bucket, whichever user sent it
// (docs/bitrix24.md#f-rate-bucket). The core batches, retries, waits out
// operating-time blocks and refreshes a token once when the portal refuses it; a
// refresh goes to the OAuth server and its new pair is sealed and kept at once, since
// a refresh token works once.
//
// Each pair's outcome is kept as it settles (jobrun.go: the progress string, written
// at most every progressEvery and at the end), so a run that dies (a restart, an
// eviction) loses no pair: the next alarm sends again what was not yet kept as
// settled, which marks nothing twice that was not already unread (marking is
// idempotent). To be sure there is a next alarm, a run first sets one a little ahead
// (watchdogAfter), then the right one at its end.

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
