package unread

import "strconv"

// Codes the module gives on its own. Errors from the portal keep the
// portal's code (DIALOG_ID_EMPTY, QUERY_LIMIT_EXCEEDED, expired_token, ...).
const (
	CodeNetwork       = "NETWORK_ERROR"  // fetch failed: no answer from the portal
	CodeTimeout       = "TIMEOUT"        // the call's own deadline passed
	CodeAborted       = "ABORTED"        // the caller's AbortSignal fired
	CodeQueueFull     = "QUEUE_FULL"     // the queue was at its bound
	CodeBadResponse   = "BAD_RESPONSE"   // an answer that is not what the method gives
	CodeNoAuth        = "NO_AUTH"        // no auth source, or it gave no token
	CodeRefreshFailed = "REFRESH_FAILED" // the token refresh failed or did not answer
	CodeInvalidPortal = "INVALID_PORTAL" // a portal URL the module will not send a token to
	CodeInternal      = "INTERNAL_ERROR" // a bug in the module, contained
	CodeClosed        = "CLIENT_CLOSED"  // the client was closed while the call waited
	CodeBadOption     = "BAD_OPTION"     // a load() option outside its bounds
	CodePortalMoved   = "PORTAL_MOVED"   // the portal answered with a redirect: it was renamed
	CodePortalError   = "PORTAL_ERROR"   // the portal gave an error with an empty code
)

// Codes of the portal that change what the client does.
const (
	CodeDialogID       = "DIALOG_ID_EMPTY"
	CodeMessageID      = "MESSAGE_ID_ERROR"
	CodeQueryLimit     = "QUERY_LIMIT_EXCEEDED"
	CodeOperatingLimit = "OPERATION_TIME_LIMIT"
	CodeOverload       = "OVERLOAD_LIMIT"
	CodeExpiredToken   = "expired_token"
	CodeInvalidToken   = "invalid_token"
)

// Error is how every failed call ends: the portal's error code and
// description when the portal gave one, the module's own code otherwise.
type Error struct {
	Code        string
	Description string
	Status      int // HTTP status of the answer that carried it; 0 when none did
	Attempts    int // requests made for the call; 0 when none was made
}

func (e *Error) Error() string {
	s := e.Code + ": " + e.Description
	if e.Status != 0 {
		s += " (HTTP " + strconv.Itoa(e.Status) + ")"
	}
	return s
}

// newError and newStatusError are never inlined: errors are made at some
// fifty places, off the hot path, and an inlined allocation at each of them
// weighed 1.3 KB brotli of the module.
//
//go:noinline
func newError(code, description string) *Error {
	return newStatusError(code, description, 0)
}

//go:noinline
func newStatusError(code, description string, status int) *Error {
	return &Error{Code: code, Description: description, Status: status}
}
