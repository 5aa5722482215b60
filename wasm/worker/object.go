package worker

import (
	"encoding/json"
	"net/http"
	"time"
)

// Object is the Durable Object of one portal. It keeps the app's install on that portal
// and the jobs of its users, and runs them when due (run.go; doc.go maps the rest). Its
// requests come from the front only (a Durable Object has no address of its own):
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
