package worker

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Object is the Durable Object of one portal. It keeps the app's install on that portal
// and the jobs of its users, and runs them when due (run.go). Its requests come from the
// front only (a Durable Object has no address of its own):
//
//	POST /event         a portal event (form), checked against the install
//	POST /jobs/create   a job, with the user's tokens
//	POST /jobs/list     the user's own jobs
//	POST /jobs/cancel   one of them, by id
//	POST /alarm         the object's alarm: run what is due
type Object struct {
	Store    Store
	Out      Outbound
	Settings Settings
	Now      Clock
	// RunFor bounds one alarm's run; what is left runs at the next alarm. Zero: 10 min
	// (an alarm may run 15 min).
	RunFor time.Duration
}

// Install is the app's install on the portal, from ONAPPINSTALL
// (docs/bitrix24.md#f-event-install).
type Install struct {
	MemberID       string `json:"memberId"`
	Domain         string `json:"domain"`
	Base           string `json:"base"`           // the portal's base URL, from client_endpoint, checked
	ServerEndpoint string `json:"serverEndpoint"` // the OAuth server's REST endpoint, as the event named it
	AppToken       string `json:"appToken"`       // application_token, sealed
	Installed      int64  `json:"installed"`      // Unix ms
}

func (o *Object) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

func (o *Object) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeError(w, apiErr(http.StatusMethodNotAllowed, CodeMethod, "use POST"))
		return
	}
	limit := int64(MaxJobBody)
	if r.URL.Path == "/event" {
		limit = MaxEventBody
	}
	body, e := readBody(r, limit)
	if e != nil {
		writeError(w, e)
		return
	}
	var status int
	var answer any
	switch r.URL.Path {
	case "/event":
		status, answer = o.event(body)
	case "/jobs/create":
		status, answer = o.create(body)
	case "/jobs/list":
		status, answer = o.list(body)
	case "/jobs/cancel":
		status, answer = o.cancel(body)
	case "/alarm":
		status, answer = o.alarm()
	default:
		status, answer = 404, apiErr(404, CodeNotFound, "no such object endpoint")
	}
	writeJSON(w, status, answer)
}

func fail(e *APIError) (int, any) { return e.Status, e }

func internal(err error) (int, any) {
	return fail(apiErr(500, CodeInternal, "storage failed: "+err.Error()))
}

func (o *Object) sealer() (*Sealer, *APIError) {
	s, err := NewSealer(o.Settings.TokenKey)
	if err != nil {
		return nil, apiErr(500, CodeNotConfigured, "the Worker's TOKEN_KEY secret is missing or shorter than 32 characters")
	}
	return s, nil
}

func (o *Object) install() (*Install, error) {
	v, ok, err := o.Store.Get(keyInstall)
	if err != nil || !ok {
		return nil, err
	}
	var in Install
	if err := json.Unmarshal([]byte(v), &in); err != nil {
		return nil, err
	}
	return &in, nil
}

// event handles a portal event (docs/bitrix24.md#f-event-install, #f-event-uninstall,
// #f-event-token). The first ONAPPINSTALL of a portal keeps its member_id,
// application_token and endpoints, once the portal accepts the event's access token
// (when it carries one). Every later event must carry the same application_token,
// compared in constant time; one that does not changes nothing and gets 403.
// ONAPPUNINSTALL deletes everything kept for the portal, the alarm included.
func (o *Object) event(body []byte) (int, any) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return fail(apiErr(400, CodeBadRequest, "an event is a form body"))
	}
	event := strings.ToUpper(form.Get("event"))
	member, token := form.Get("auth[member_id]"), form.Get("auth[application_token]")
	if token == "" {
		return fail(apiErr(403, CodeWrongToken, "the event has no auth[application_token]"))
	}
	seal, e := o.sealer()
	if e != nil {
		return fail(e)
	}
	in, err := o.install()
	if err != nil {
		return internal(err)
	}
	if in != nil {
		kept, err := seal.Open("install/"+in.MemberID, in.AppToken)
		if err != nil || in.MemberID != member || subtle.ConstantTimeCompare([]byte(kept), []byte(token)) != 1 {
			return fail(apiErr(403, CodeWrongToken, "the event's application_token is not this install's"))
		}
	}
	switch event {
	case "ONAPPINSTALL":
		if in != nil {
			return 200, map[string]any{"ok": true, "installed": true}
		}
		base, e := restBase(form.Get("auth[client_endpoint]"), o.Settings.PortalHosts)
		if e != nil {
			return fail(e)
		}
		if access := form.Get("auth[access_token]"); access != "" {
			if _, e := profileUser(o.Out, nil, base, access); e != nil {
				return fail(e)
			}
		}
		sealed, err := seal.Seal("install/"+member, token)
		if err != nil {
			return internal(err)
		}
		in = &Install{MemberID: member, Domain: form.Get("auth[domain]"), Base: base,
			ServerEndpoint: form.Get("auth[server_endpoint]"), AppToken: sealed, Installed: o.now().UnixMilli()}
		b, _ := json.Marshal(in)
		if err := o.Store.Put(map[string]string{keyInstall: string(b)}); err != nil {
			return internal(err)
		}
		return 200, map[string]any{"ok": true, "installed": true}
	case "ONAPPUNINSTALL":
		if in == nil {
			return fail(apiErr(404, CodeNotInstalled, "the app is not installed on this portal"))
		}
		if err := o.Store.DeleteAlarm(); err != nil {
			return internal(err)
		}
		if err := o.Store.DeleteAll(); err != nil {
			return internal(err)
		}
		return 200, map[string]any{"ok": true, "installed": false}
	}
	if in == nil {
		return fail(apiErr(404, CodeNotInstalled, "the app is not installed on this portal"))
	}
	return 200, map[string]any{"ok": true}
}

// verifiedFor is how long a token the portal accepted is taken without asking again.
const verifiedFor = 5 * time.Minute

// caller is the user an access token acts as, asked of the installed portal itself
// (profile), so a forged token, or one of another portal, is refused there.
func (o *Object) caller(in *Install, access string) (int, *APIError) {
	if access == "" {
		return 0, apiErr(401, CodeTokenRefused, "accessToken is missing")
	}
	sum := sha256.Sum256([]byte(in.MemberID + "\x00" + access))
	key := prefixSeen + hex.EncodeToString(sum[:])
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
	pairs, e := parsePairs(req.Pairs)
	if e != nil {
		return fail(e)
	}
	at, e := parseAt(req.At, now)
	if e != nil {
		return fail(e)
	}
	if req.RefreshToken == "" {
		return fail(apiErr(400, CodeBadRequest, "refreshToken is missing: a job may run after the access token expires"))
	}
	user, e := o.caller(in, req.AccessToken)
	if e != nil {
		return fail(e)
	}
	jobs, err := loadJobs(o.Store)
	if err != nil {
		return internal(err)
	}
	active := 0
	for _, j := range jobs {
		if j.User == user && j.active() {
			active++
		}
	}
	if active >= MaxActiveJobs {
		return fail(apiErr(429, CodeTooManyJobs, "you have "+itoa(active)+" jobs waiting or running, the most allowed; cancel one or wait for it"))
	}
	tokens, _ := json.Marshal(tokenPair{req.AccessToken, req.RefreshToken})
	sealed, err := seal.Seal(tokenPlace(in.MemberID, user), string(tokens))
	if err != nil {
		return internal(err)
	}
	j := &storedJob{Job: Job{ID: newJobID(), State: StateScheduled, At: at.UnixMilli(), Created: now.UnixMilli(),
		Total: len(pairs), Errors: []PairError{}}, User: user}
	entries, err := chunks(j.ID, pairs)
	if err != nil {
		return internal(err)
	}
	entries[progressKey(j.ID)] = strings.Repeat(string(rune(pairPending)), len(pairs))
	entries[tokenKey(user)] = sealed // the newest tokens of the user serve all their jobs
	entries[jobKey(j.ID)] = encodeJob(j)
	if err := o.Store.Put(entries); err != nil {
		return internal(err)
	}
	if err := o.wakeBy(at); err != nil {
		return internal(err)
	}
	return 201, map[string]any{"job": j.Job}
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
