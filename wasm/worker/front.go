package worker

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Front answers every request from outside (see the package comment).
//
//   - POST /events: an event of the portal (ONAPPINSTALL, ONAPPUNINSTALL, ...), a form
//     with auth[member_id]; handed to that portal's object, which checks it.
//   - POST /api/jobs, /api/jobs/list, /api/jobs/cancel: the page API (JSON, with
//     memberId and the user's tokens in the body, never in the URL); handed to the
//     portal's object, which verifies the token with the portal.
//   - any other POST: the portal opening the app (its launch or install form), answered
//     with the page at that path, as GET would;
//   - GET and HEAD: the app's static files (assets.go).
type Front struct {
	Assets   Assets
	Objects  Objects
	Settings Settings
}

// Bounds of what the front reads.
const (
	MaxJobBody   = 2 << 20  // a job request: 20,000 pairs fit with room
	MaxEventBody = 64 << 10 // an event form
)

func (f *Front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/events":
		f.serveEvent(w, r)
	case strings.HasPrefix(r.URL.Path, "/api/"):
		f.serveAPI(w, r)
	case r.Method == http.MethodGet || r.Method == http.MethodHead:
		f.serveAsset(w, r, false)
	case r.Method == http.MethodPost:
		// The portal opens the app with a form POST (docs/bitrix24.md#f-auth-expires);
		// the page gets its token through the portal's postMessage protocol, so the
		// form's fields are not echoed into it.
		f.serveAsset(w, r, true)
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		writeError(w, apiErr(http.StatusMethodNotAllowed, CodeMethod, "use GET, HEAD or POST"))
	}
}

// objectPaths maps the page API's paths to the object's.
var objectPaths = map[string]string{
	"/api/jobs":        "/jobs/create",
	"/api/jobs/list":   "/jobs/list",
	"/api/jobs/cancel": "/jobs/cancel",
}

func (f *Front) serveAPI(w http.ResponseWriter, r *http.Request) {
	to, ok := objectPaths[r.URL.Path]
	if !ok {
		writeError(w, apiErr(http.StatusNotFound, CodeNotFound, "no such endpoint: "+r.URL.Path))
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		writeError(w, apiErr(http.StatusMethodNotAllowed, CodeMethod, "use POST with a JSON body"))
		return
	}
	body, e := readBody(r, MaxJobBody)
	if e != nil {
		writeError(w, e)
		return
	}
	var head struct {
		MemberID string `json:"memberId"`
	}
	if err := json.Unmarshal(body, &head); err != nil {
		writeError(w, apiErr(http.StatusBadRequest, CodeBadRequest, "the body is not a JSON object: "+jsonProblem(err)))
		return
	}
	if !validMemberID(head.MemberID) {
		writeError(w, apiErr(http.StatusBadRequest, CodeBadRequest, "memberId must be the portal's member_id (letters and digits)"))
		return
	}
	f.forward(w, head.MemberID, to, body)
}

func (f *Front) serveEvent(w http.ResponseWriter, r *http.Request) {
	body, e := readBody(r, MaxEventBody)
	if e != nil {
		writeError(w, e)
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		writeError(w, apiErr(http.StatusBadRequest, CodeBadRequest, "an event is a form body"))
		return
	}
	member := form.Get("auth[member_id]")
	if !validMemberID(member) {
		writeError(w, apiErr(http.StatusBadRequest, CodeBadRequest, "the event has no auth[member_id]"))
		return
	}
	f.forward(w, member, "/event", body)
}

func (f *Front) forward(w http.ResponseWriter, member, path string, body []byte) {
	status, answer, err := f.Objects.Call(member, path, body)
	if err != nil {
		writeError(w, apiErr(http.StatusBadGateway, CodeInternal, "the portal's object did not answer"))
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(answer)
}

// readBody reads at most limit bytes of the body, or refuses a longer one.
func readBody(r *http.Request, limit int64) ([]byte, *APIError) {
	b, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, apiErr(http.StatusBadRequest, CodeBadRequest, "the body could not be read")
	}
	if int64(len(b)) > limit {
		return nil, apiErr(http.StatusRequestEntityTooLarge, CodeTooLarge, "the body is longer than "+itoa(int(limit))+" bytes")
	}
	return b, nil
}

// validMemberID: a member_id is 32 hex digits on Bitrix24; any short run of letters and
// digits is taken, nothing that could name another key or path.
func validMemberID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
