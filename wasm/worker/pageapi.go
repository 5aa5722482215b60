package worker

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// The page API, as the object answers it: every request names the install by being
// sent to its object, and acts as the user its access token belongs to (caller).

// verifiedFor is how long a token the portal accepted is taken without asking again.
const verifiedFor = 5 * time.Minute

// caller is the user an access token acts as, asked of the installed portal itself
// (profile), so a forged token, or one of another portal, is refused there.
func (o *Object) caller(in *Install, access string) (int, *APIError) {
	if access == "" {
		return 0, apiErr(401, CodeTokenRefused, "accessToken is missing")
	}
	key := seenKey(in.MemberID, access)
	now := o.now()
	if v, ok, _ := o.Store.Get(key); ok {
		var seen struct{ User, Until int64 }
		if json.Unmarshal([]byte(v), &seen) == nil && now.UnixMilli() < seen.Until && seen.User > 0 {
			return int(seen.User), nil
		}
	}
	o.spendOne()
	user, e := profileUser(o.Out, nil, in.Base, access)
	if e != nil {
		return 0, e
	}
	b, _ := json.Marshal(map[string]int64{"user": int64(user), "until": now.Add(verifiedFor).UnixMilli()})
	_ = o.Store.Put(map[string]string{key: string(b)})
	return user, nil
}

// seenKey is where caller remembers that the portal accepted an access token: its
// SHA-256 with the portal's member_id, never the token itself.
func seenKey(member, access string) string {
	sum := sha256.Sum256([]byte(member + "\x00" + access))
	return prefixSeen + hex.EncodeToString(sum[:])
}

// begin reads a page API body: the install, and the user its access token acts as.
func (o *Object) begin(body []byte, into any) (*Install, int, *APIError) {
	if err := json.Unmarshal(body, into); err != nil {
		return nil, 0, apiErr(400, CodeBadRequest, "the body is not the JSON this endpoint takes: "+jsonProblem(err))
	}
	in, err := o.install()
	if err != nil {
		return nil, 0, apiErr(500, CodeInternal, "storage failed")
	}
	if in == nil {
		return nil, 0, apiErr(404, CodeNotInstalled, "the app is not installed on this portal")
	}
	return in, 0, nil
}

// create keeps a job of the caller's, with their tokens sealed (the newest tokens of
// the user serve all their jobs), and makes sure the alarm goes off by its time.
func (o *Object) create(body []byte) (int, any) {
	var req createRequest
	in, _, e := o.begin(body, &req)
	if e != nil {
		return fail(e)
	}
	seal, e := o.sealer()
	if e != nil {
		return fail(e)
	}
	now := o.now()
	pairs, at, e := req.check(now)
	if e != nil {
		return fail(e)
	}
	user, e := o.caller(in, req.AccessToken)
	if e != nil {
		return fail(e)
	}
	active, err := o.activeJobs(user)
	if err != nil {
		return internal(err)
	}
	if active >= MaxActiveJobs {
		return fail(apiErr(429, CodeTooManyJobs, "you have "+itoa(active)+" jobs waiting or running, the most allowed; cancel one or wait for it"))
	}
	j := &storedJob{Job: Job{ID: newJobID(), State: StateScheduled, At: at.UnixMilli(), Created: now.UnixMilli(),
		Total: len(pairs), Errors: []PairError{}}, User: user}
	if err := o.keepNewJob(j, pairs, seal, in, req); err != nil {
		return internal(err)
	}
	if err := o.wakeBy(at); err != nil {
		return internal(err)
	}
	return 201, map[string]any{"job": j.Job}
}

// check reads a job request's pairs and time; a job must carry a refresh token too.
func (req *createRequest) check(now time.Time) ([]Pair, time.Time, *APIError) {
	pairs, e := parsePairs(req.Pairs)
	if e != nil {
		return nil, time.Time{}, e
	}
	at, e := parseAt(req.At, now)
	if e != nil {
		return nil, time.Time{}, e
	}
	if req.RefreshToken == "" {
		return nil, time.Time{}, apiErr(400, CodeBadRequest, "refreshToken is missing: a job may run after the access token expires")
	}
	return pairs, at, nil
}

// activeJobs counts the user's jobs waiting or running.
func (o *Object) activeJobs(user int) (int, error) {
	jobs, err := loadJobs(o.Store)
	if err != nil {
		return 0, err
	}
	active := 0
	for _, j := range jobs {
		if j.User == user && j.active() {
			active++
		}
	}
	return active, nil
}

// keepNewJob writes a new job in one Put: the job, its pairs, its progress (every pair
// pending), and the user's tokens from the request, sealed.
func (o *Object) keepNewJob(j *storedJob, pairs []Pair, seal *Sealer, in *Install, req createRequest) error {
	tokens, _ := json.Marshal(tokenPair{req.AccessToken, req.RefreshToken})
	sealed, err := seal.Seal(tokenPlace(in.MemberID, j.User), string(tokens))
	if err != nil {
		return err
	}
	entries, err := chunks(j.ID, pairs)
	if err != nil {
		return err
	}
	entries[progressKey(j.ID)] = strings.Repeat(string(rune(pairPending)), len(pairs))
	entries[tokenKey(j.User)] = sealed // the newest tokens of the user serve all their jobs
	entries[jobKey(j.ID)] = encodeJob(j)
	return o.Store.Put(entries)
}

// wakeBy makes sure the alarm goes off by at.
func (o *Object) wakeBy(at time.Time) error {
	cur, ok, err := o.Store.Alarm()
	if err != nil {
		return err
	}
	if ok && !cur.After(at) {
		return nil
	}
	return o.Store.SetAlarm(at)
}

type listRequest struct {
	MemberID    string `json:"memberId"`
	AccessToken string `json:"accessToken"`
	ID          string `json:"id"`
}

// listCaller reads a list or cancel request and the user whose token it
// carries.
func (o *Object) listCaller(body []byte) (listRequest, int, *APIError) {
	var req listRequest
	in, _, e := o.begin(body, &req)
	if e != nil {
		return req, 0, e
	}
	user, e := o.caller(in, req.AccessToken)
	return req, user, e
}

func (o *Object) list(body []byte) (int, any) {
	_, user, e := o.listCaller(body)
	if e != nil {
		return fail(e)
	}
	jobs, err := loadJobs(o.Store)
	if err != nil {
		return internal(err)
	}
	mine := []Job{}
	for _, j := range jobs {
		if j.User == user {
			mine = append(mine, j.Job)
		}
	}
	return 200, map[string]any{"jobs": mine}
}

func (o *Object) cancel(body []byte) (int, any) {
	req, user, e := o.listCaller(body)
	if e != nil {
		return fail(e)
	}
	v, ok, err := o.Store.Get(jobKey(req.ID))
	if err != nil {
		return internal(err)
	}
	var j storedJob
	if !ok || json.Unmarshal([]byte(v), &j) != nil || j.User != user {
		return fail(apiErr(404, CodeNotFound, "you have no job "+strconv.Quote(req.ID)))
	}
	if j.active() {
		if err := o.finish(&j, StateCancelled, nil); err != nil {
			return internal(err)
		}
	}
	j.Job.User = j.User
	return 200, map[string]any{"job": j.Job}
}
