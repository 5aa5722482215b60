package worker

import (
	"encoding/json"
	"sync"
	"time"

	"github.com/markunread/markunread/wasm/unread"
)

// jobRun is one job's run: its pairs, the outcome kept for each (progress, one byte a
// pair), and the first refusal of the user's tokens, which fails the job as a whole.
// The marks sent are the pairs still pending, index[k] the pair of mark k. mu guards
// progress, the job's counts and authFailure: the core settles marks concurrently.
type jobRun struct {
	o        *Object
	j        *storedJob
	pairs    []Pair
	progress []byte
	index    []int
	marks    []unread.MarkRequest

	mu          sync.Mutex
	authFailure *JobError
}

// runJob sends a job's pending pairs and keeps each one's outcome: at the start, every
// progressEvery while it runs, and at the end. A job cancelled meanwhile is left as
// its cancel left it, and what it had not sent yet is not sent.
func (o *Object) runJob(client *unread.Client, j *storedJob) {
	r, ok := o.openRun(j)
	if !ok {
		_ = o.finish(j, StateFailed, &JobError{CodeInternal, "the job's stored pairs could not be read"})
		return
	}
	j.State = StateRunning
	if !r.keep() {
		return
	}
	abort := unread.NewStop()
	done := client.MarkMany(r.marks, abort, r.settle)
	if !r.keepUntil(done) {
		abort.Fire(nil)
		<-done
		return
	}
	r.end()
}

// openRun reads a job's pairs and progress, and picks the pairs still pending.
func (o *Object) openRun(j *storedJob) (*jobRun, bool) {
	pairs, err := loadPairs(o.Store, j.ID, j.Total)
	prog, ok, perr := o.Store.Get(progressKey(j.ID))
	if err != nil || perr != nil || !ok || len(prog) != j.Total {
		return nil, false
	}
	r := &jobRun{o: o, j: j, pairs: pairs, progress: []byte(prog)}
	for i, p := range pairs {
		if r.progress[i] == pairPending {
			r.index = append(r.index, i)
			r.marks = append(r.marks, unread.MarkRequest{Dialog: unread.String(string(p.Dialog)), Message: unread.Number(float64(p.Message))})
		}
	}
	return r, true
}

// keep writes the job and its progress; false: the job was cancelled meanwhile, and
// nothing is written.
func (r *jobRun) keep() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if v, ok, err := r.o.Store.Get(jobKey(r.j.ID)); err == nil && ok {
		var now storedJob
		if json.Unmarshal([]byte(v), &now) == nil && now.State == StateCancelled {
			return false
		}
	}
	_ = r.o.Store.Put(map[string]string{progressKey(r.j.ID): string(r.progress), jobKey(r.j.ID): encodeJob(r.j)})
	return true
}

// keepUntil keeps the progress every progressEvery and once more when done closes;
// false: the job was cancelled meanwhile.
func (r *jobRun) keepUntil(done <-chan struct{}) bool {
	tick := time.NewTicker(progressEvery)
	defer tick.Stop()
	for finished := false; !finished; {
		select {
		case <-done:
			finished = true
		case <-tick.C:
		}
		if !r.keep() {
			return false
		}
	}
	return true
}

// settle records how mark k ended. An aborted mark (cancelled, or the run cut short)
// stays pending, and so does one whose tokens were refused: the job fails as a whole,
// with the first such error.
func (r *jobRun) settle(k int, e *unread.Error) {
	i := r.index[k]
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case e == nil:
		r.progress[i] = pairMarked
		r.j.Marked++
	case e.Code == unread.CodeAborted:
	case isAuthFailure(e.Code):
		if r.authFailure == nil {
			r.authFailure = &JobError{e.Code, e.Description}
		}
	default:
		r.progress[i] = pairFailed
		r.j.Failed++
		if len(r.j.Errors) < MaxPairErrors {
			r.j.Errors = append(r.j.Errors, PairError{i, string(r.pairs[i].Dialog), int64(r.pairs[i].Message), e.Code, e.Description})
		}
	}
}

// end finishes the job once every pair is settled, or failed on its tokens; otherwise
// the run was cut short: the job stays running and the next alarm goes on.
func (r *jobRun) end() {
	r.mu.Lock()
	defer r.mu.Unlock()
	pending := 0
	for _, b := range r.progress {
		if b == pairPending {
			pending++
		}
	}
	switch {
	case r.authFailure != nil:
		_ = r.o.finish(r.j, StateFailed, r.authFailure)
	case pending == 0:
		_ = r.o.finish(r.j, StateDone, nil)
	}
}

// finish ends a job: its state, its pairs and progress gone, and its user's tokens too
// when no other job of theirs is waiting. Finished jobs beyond MaxKeptJobs of the user
// are dropped, oldest first.
func (o *Object) finish(j *storedJob, state string, why *JobError) error {
	j.State, j.Error, j.Ended = state, why, o.now().UnixMilli()
	if err := o.Store.Put(map[string]string{jobKey(j.ID): encodeJob(j)}); err != nil {
		return err
	}
	drop := jobDataKeys(j.ID, j.Total)
	jobs, err := loadJobs(o.Store)
	if err != nil {
		return err
	}
	active, kept := 0, 0
	for _, other := range jobs { // newest first
		if other.User != j.User {
			continue
		}
		if other.active() {
			active++
		} else if kept++; kept > MaxKeptJobs {
			drop = append(drop, jobKey(other.ID))
		}
	}
	if active == 0 {
		drop = append(drop, tokenKey(j.User))
	}
	return o.Store.Delete(drop...)
}
