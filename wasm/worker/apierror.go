package worker

import (
	"encoding/json"
	"net/http"
)

// APIError is how the Worker refuses a request: an HTTP status, a code a program can
// test and a sentence for people. It is written as {"error", "error_description"}, the
// portal's own shape (docs/bitrix24.md#f-err-shape). It never carries a token.
type APIError struct {
	Status      int    `json:"-"`
	Code        string `json:"error"`
	Description string `json:"error_description"`
}

func (e *APIError) Error() string { return e.Code + ": " + e.Description }

// Codes of the Worker's refusals.
const (
	CodeBadRequest    = "BAD_REQUEST"     // not the JSON or form the endpoint takes
	CodeTooLarge      = "TOO_LARGE"       // a body, or a job, past its bound
	CodeBadPair       = "BAD_PAIR"        // a pair the portal would refuse (its own code in the description)
	CodeBadTime       = "BAD_TIME"        // a due time that is not a time, or too far ahead
	CodeNotInstalled  = "NOT_INSTALLED"   // no install of the app on that portal
	CodeTokenRefused  = "TOKEN_REFUSED"   // the portal did not accept the access token
	CodeTooManyJobs   = "TOO_MANY_JOBS"   // the user has as many jobs waiting as allowed
	CodeNotFound      = "NOT_FOUND"       // no such job of this user, or no such file
	CodeWrongToken    = "WRONG_APP_TOKEN" // an event whose application_token is not the install's
	CodePortalFailed  = "PORTAL_FAILED"   // the portal did not answer as a portal does
	CodeMethod        = "METHOD_NOT_ALLOWED"
	CodeNotConfigured = "NOT_CONFIGURED" // a Worker secret is missing
	CodeInternal      = "INTERNAL_ERROR"
)

func apiErr(status int, code, description string) *APIError {
	return &APIError{Status: status, Code: code, Description: description}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"INTERNAL_ERROR","error_description":"answer not encodable"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeError(w http.ResponseWriter, e *APIError) { writeJSON(w, e.Status, e) }
