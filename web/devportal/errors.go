package devportal

import "net/http"

// apiError is a Bitrix24 error answer: HTTP status, code and description. Encoded, it is
// exactly {"error","error_description"} (docs/bitrix24.md#f-err-shape); inside a batch it
// is a result_error entry and its status is not used.
type apiError struct {
	Status      int    `json:"-"`
	Code        string `json:"error"`
	Description string `json:"error_description"`
}

var (
	errQueryLimit     = &apiError{http.StatusServiceUnavailable, "QUERY_LIMIT_EXCEEDED", "Too many requests"}
	errNoAuth         = &apiError{http.StatusUnauthorized, "NO_AUTH_FOUND", "Wrong authorization data"}
	errInvalidToken   = &apiError{http.StatusUnauthorized, "invalid_token", "The access token provided is invalid"}
	errExpiredToken   = &apiError{http.StatusUnauthorized, "expired_token", "The access token provided has expired"}
	errMethodNotFound = &apiError{http.StatusNotFound, "ERROR_METHOD_NOT_FOUND", "Method not found!"}
	errDialogID       = &apiError{http.StatusBadRequest, "DIALOG_ID_EMPTY", "Dialog ID can't be empty"}
	errMessageID      = &apiError{http.StatusBadRequest, "MESSAGE_ID_ERROR", "First unread message id can't be empty"}
	errOperatingLimit = &apiError{http.StatusTooManyRequests, "OPERATION_TIME_LIMIT", "Method is blocked due to operation time limit."}
	// The two batch errors only ever appear inside a batch's result_error, with no status
	// of their own (docs/bitrix24.md#f-batch-length).
	errBatchLength      = &apiError{0, "ERROR_BATCH_LENGTH_EXCEEDED", "Max batch length exceeded"}
	errBatchNotAllowed  = &apiError{0, "ERROR_BATCH_METHOD_NOT_ALLOWED", "Method is not allowed for batch usage"}
	errInvalidGrantJSON = &apiError{http.StatusBadRequest, "invalid_grant", "Invalid refresh token"}
)
