package devportal

import "net/http"

// apiError is a Bitrix24 error answer: HTTP status, code and description, exactly as
// listed in reference/bitrix24.md.
type apiError struct {
	Status      int    `json:"-"`
	Code        string `json:"error"`
	Description string `json:"error_description"`
}

var (
	errQueryLimit       = &apiError{http.StatusServiceUnavailable, "QUERY_LIMIT_EXCEEDED", "Too many requests"}
	errNoAuth           = &apiError{http.StatusUnauthorized, "NO_AUTH_FOUND", "Wrong authorization data"}
	errInvalidToken     = &apiError{http.StatusUnauthorized, "invalid_token", "The access token provided is invalid"}
	errExpiredToken     = &apiError{http.StatusUnauthorized, "expired_token", "The access token provided has expired"}
	errMethodNotFound   = &apiError{http.StatusNotFound, "ERROR_METHOD_NOT_FOUND", "Method not found!"}
	errDialogID         = &apiError{http.StatusBadRequest, "DIALOG_ID_EMPTY", "Dialog ID can't be empty"}
	errMessageID        = &apiError{http.StatusBadRequest, "MESSAGE_ID_ERROR", "Message ID can't be empty"}
	errOperatingLimit   = &apiError{http.StatusTooManyRequests, "OPERATION_TIME_LIMIT", "Method is blocked due to operation time limit."}
	errBatchLength      = &apiError{http.StatusBadRequest, "ERROR_BATCH_LENGTH_EXCEEDED", "Max batch length exceeded"}
	errBatchNotAllowed  = &apiError{http.StatusBadRequest, "ERROR_BATCH_METHOD_NOT_ALLOWED", "Method is not allowed for batch usage"}
	errInvalidGrantJSON = &apiError{http.StatusBadRequest, "invalid_grant", "Invalid refresh token"}
)
