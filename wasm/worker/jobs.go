package worker

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/markunread/markunread/wasm/unread"
)

// Bounds of the page API.
const (
	MaxPairs      = 20000                // pairs in one job
	MaxActiveJobs = 20                   // jobs of one user waiting or running
	MaxKeptJobs   = 20                   // finished jobs of one user kept for them to read
	MaxPairErrors = 20                   // pair errors a job keeps in full (all are counted)
	MaxAhead      = 366 * 24 * time.Hour // how far ahead a job may be due
	pairsPerChunk = 1000                 // pairs per stored value (a value holds at most 128 KiB)
)

// Job states.
const (
	StateScheduled = "scheduled" // waiting for its time
	StateRunning   = "running"   // its time came; some pairs are not settled yet
	StateDone      = "done"      // every pair settled (some may have failed: see Failed)
	StateFailed    = "failed"    // stopped: the token was refused or the app removed (Error)
	StateCancelled = "cancelled" // its user cancelled it
)

// Progress of one pair, one byte each in the stored progress string.
const (
	pairPending = '.'
	pairMarked  = '+'
	pairFailed  = 'x'
)

// Pair is one mark of a job, as checked: the portal's own checks of DIALOG_ID and
// MESSAGE_ID, in its order.
type Pair struct {
	Dialog  unread.DialogID
	Message unread.MessageID
}

func (p Pair) MarshalJSON() ([]byte, error) {
	return json.Marshal([]any{string(p.Dialog), int64(p.Message)})
}

func (p *Pair) UnmarshalJSON(b []byte) error {
	var v [2]any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return err
	}
	p.Dialog, p.Message = unread.DialogID(v[0].(string)), unread.MessageID(mustInt(v[1]))
	return nil
}

func mustInt(v any) int64 {
	n, _ := v.(json.Number).Int64()
	return n
}

// PairError is a pair the portal refused, or that could not be sent.
type PairError struct {
	Index       int    `json:"index"`
	Dialog      string `json:"dialog"`
	Message     int64  `json:"message"`
	Code        string `json:"code"`
	Description string `json:"description"`
}

// JobError is why a whole job stopped.
type JobError struct {
	Code        string `json:"code"`
	Description string `json:"description"`
}

// Job is what a user sees of a job, and what is kept of it besides its pairs and
// progress.
type Job struct {
	ID      string      `json:"id"`
	State   string      `json:"state"`
	At      int64       `json:"at"`      // due, Unix ms
	Created int64       `json:"created"` // Unix ms
	Ended   int64       `json:"ended,omitempty"`
	Total   int         `json:"total"`
	Marked  int         `json:"marked"`
	Failed  int         `json:"failed"`
	Errors  []PairError `json:"errors"`
	Error   *JobError   `json:"error,omitempty"`
	User    int         `json:"-"`
}

// storedJob is Job with the fields its user does not see.
type storedJob struct {
	Job
	User int `json:"user"`
}

func (j *Job) active() bool { return j.State == StateScheduled || j.State == StateRunning }

// Storage keys. Everything of a portal lives in its own object, so keys need not name it.
const (
	keyInstall  = "install"
	keyBucket   = "bucket"    // the portal's bucket as the object last left it (budget.go)
	prefixJob   = "job/"      // job/<id>: storedJob
	prefixPairs = "pairs/"    // pairs/<id>/<chunk>: [[dialog, message], ...]
	prefixProg  = "progress/" // progress/<id>: one byte per pair
	prefixToken = "tokens/"   // tokens/<user>: the user's tokenPair, sealed
	prefixSeen  = "verified/" // verified/<sha256 of a token>: {user, until}
)

func jobKey(id string) string                   { return prefixJob + id }
func progressKey(id string) string              { return prefixProg + id }
func chunkKey(id string, n int) string          { return prefixPairs + id + "/" + strconv.Itoa(n) }
func tokenKey(user int) string                  { return prefixToken + strconv.Itoa(user) }
func tokenPlace(member string, user int) string { return "tokens/" + member + "/" + strconv.Itoa(user) }

func newJobID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// createRequest is the body of POST /api/jobs.
type createRequest struct {
	MemberID     string            `json:"memberId"`
	AccessToken  string            `json:"accessToken"`
	RefreshToken string            `json:"refreshToken"`
	Pairs        []json.RawMessage `json:"pairs"`
	At           *json.Number      `json:"at"` // Unix ms; absent or null: now
}

// parsePairs checks each pair as the portal would (docs/bitrix24.md#f-unread-order):
// [dialog, message], dialog a string or number, message a positive integer.
func parsePairs(raw []json.RawMessage) ([]Pair, *APIError) {
	if len(raw) == 0 {
		return nil, apiErr(400, CodeBadPair, "pairs is empty: give [[dialogId, messageId], ...]")
	}
	if len(raw) > MaxPairs {
		return nil, apiErr(413, CodeTooLarge, "a job holds at most "+itoa(MaxPairs)+" pairs, not "+itoa(len(raw)))
	}
	pairs := make([]Pair, len(raw))
	for i, r := range raw {
		var v []any
		d := json.NewDecoder(bytes.NewReader(r))
		d.UseNumber()
		if d.Decode(&v) != nil || len(v) != 2 {
			return nil, apiErr(400, CodeBadPair, "pairs["+itoa(i)+"] is not [dialogId, messageId]")
		}
		dialog, derr := unread.ParseDialogID(jsonArg(v[0]))
		message, merr := unread.ParseMessageID(jsonArg(v[1]))
		if merr != nil { // the portal checks MESSAGE_ID first
			return nil, apiErr(400, CodeBadPair, "pairs["+itoa(i)+"]: "+merr.Code+": "+merr.Description)
		}
		if derr != nil {
			return nil, apiErr(400, CodeBadPair, "pairs["+itoa(i)+"]: "+derr.Code+": "+derr.Description)
		}
		pairs[i] = Pair{dialog, message}
	}
	return pairs, nil
}

// jsonArg is a JSON value as the core's argument checks take a JavaScript one.
func jsonArg(v any) unread.Arg {
	switch x := v.(type) {
	case string:
		return unread.String(x)
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			return unread.Arg{Type: "number", Num: 0}
		}
		return unread.Number(f)
	case bool:
		return unread.Arg{Type: "boolean"}
	case nil:
		return unread.Arg{Type: "object"}
	}
	return unread.Arg{Type: "object"}
}

// parseAt is the due time: absent or null is now; a time in the past is now too; beyond
// MaxAhead it is refused.
func parseAt(at *json.Number, now time.Time) (time.Time, *APIError) {
	if at == nil {
		return now, nil
	}
	ms, err := at.Int64()
	if err != nil || ms < 0 {
		return time.Time{}, apiErr(400, CodeBadTime, "at must be a time in Unix milliseconds, such as Date.now() + 60000")
	}
	t := time.UnixMilli(ms)
	if t.After(now.Add(MaxAhead)) {
		return time.Time{}, apiErr(400, CodeBadTime, "at is more than 366 days ahead")
	}
	if t.Before(now) {
		return now, nil
	}
	return t, nil
}

// chunks splits pairs into stored values.
func chunks(id string, pairs []Pair) (map[string]string, error) {
	out := map[string]string{}
	for n := 0; n*pairsPerChunk < len(pairs); n++ {
		part := pairs[n*pairsPerChunk : min(len(pairs), (n+1)*pairsPerChunk)]
		b, err := json.Marshal(part)
		if err != nil {
			return nil, err
		}
		out[chunkKey(id, n)] = string(b)
	}
	return out, nil
}

// loadPairs reads a job's pairs back in order.
func loadPairs(s Store, id string, total int) ([]Pair, error) {
	all, err := s.List(prefixPairs + id + "/")
	if err != nil {
		return nil, err
	}
	pairs := make([]Pair, 0, total)
	for n := 0; n*pairsPerChunk < total; n++ {
		var part []Pair
		if err := json.Unmarshal([]byte(all[chunkKey(id, n)]), &part); err != nil {
			return nil, err
		}
		pairs = append(pairs, part...)
	}
	if len(pairs) != total {
		return nil, errShortPairs
	}
	return pairs, nil
}

type workerError string

func (e workerError) Error() string { return string(e) }

const errShortPairs = workerError("a job's stored pairs are fewer than its total")

// loadJobs reads every job of the portal.
func loadJobs(s Store) ([]*storedJob, error) {
	all, err := s.List(prefixJob)
	if err != nil {
		return nil, err
	}
	jobs := make([]*storedJob, 0, len(all))
	for _, v := range all {
		var j storedJob
		if json.Unmarshal([]byte(v), &j) == nil {
			j.Job.User = j.User
			jobs = append(jobs, &j)
		}
	}
	sort.Slice(jobs, func(a, b int) bool {
		if jobs[a].Created != jobs[b].Created {
			return jobs[a].Created > jobs[b].Created
		}
		return jobs[a].ID > jobs[b].ID
	})
	return jobs, nil
}

func encodeJob(j *storedJob) string {
	b, _ := json.Marshal(j)
	return string(b)
}

// jobKeys are every key of a job besides its meta.
func jobDataKeys(id string, total int) []string {
	keys := []string{progressKey(id)}
	for n := 0; n*pairsPerChunk < total; n++ {
		keys = append(keys, chunkKey(id, n))
	}
	return keys
}

func isAuthFailure(code string) bool {
	switch code {
	case unread.CodeRefreshFailed, unread.CodeNoAuth, unread.CodeExpiredToken, unread.CodeInvalidToken, "NO_AUTH_FOUND", "invalid_grant", "invalid_client":
		return true
	}
	return strings.HasPrefix(code, "insufficient_scope")
}
