package unread

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// answer builds a Response the way the browser would: JSON parsed, or
// marked unreadable.
func answer(status int, body string) Response {
	var v any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		return Response{Status: status, Unreadable: true}
	}
	return Response{Status: status, JSON: v}
}

func TestReadSingleMapsEachAnswerShape(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		body   string
		code   string // "" for success
		next   action
	}{
		{"success", 200, `{"result":true,"time":{"start":1}}`, "", settle},
		{"bad dialog", 400, `{"error":"DIALOG_ID_EMPTY","error_description":"Dialog ID can't be empty"}`, "DIALOG_ID_EMPTY", settle},
		{"bad message", 400, `{"error":"MESSAGE_ID_ERROR","error_description":"Message ID can't be empty"}`, "MESSAGE_ID_ERROR", settle},
		{"bucket full", 503, `{"error":"QUERY_LIMIT_EXCEEDED","error_description":"Too many requests"}`, "QUERY_LIMIT_EXCEEDED", retryLimited},
		{"operating limit", 429, `{"error":"OPERATION_TIME_LIMIT","error_description":"Method is blocked"}`, "OPERATION_TIME_LIMIT", retryAfter},
		{"manual block", 503, `{"error":"OVERLOAD_LIMIT","error_description":"REST API is blocked"}`, "OVERLOAD_LIMIT", settle},
		{"expired", 401, `{"error":"expired_token","error_description":"The access token provided has expired"}`, "expired_token", retryAuth},
		{"invalid", 401, `{"error":"invalid_token","error_description":"The access token provided is invalid"}`, "invalid_token", retryAuth},
		{"no auth", 401, `{"error":"NO_AUTH_FOUND","error_description":"Wrong authorization data"}`, "NO_AUTH_FOUND", settle},
		{"scope", 403, `{"error":"insufficient_scope","error_description":"The request requires higher privileges"}`, "insufficient_scope", settle},
		{"server error", 500, `{"error":"INTERNAL_SERVER_ERROR","error_description":"Internal server error"}`, "INTERNAL_SERVER_ERROR", retryLater},
		{"other 5xx code", 502, `{"error":"SOMETHING","error_description":""}`, "SOMETHING", retryLater},
		{"html 500", 500, `<html>oops</html>`, CodeBadResponse, retryLater},
		{"html 502 from a proxy", 502, `<html>bad gateway</html>`, CodeBadResponse, retryLater},
		{"html 404", 404, `<html>not found</html>`, CodeBadResponse, settle},
		{"truncated 200", 200, `{"result":tr`, CodeBadResponse, retryLater},
		{"200 wrong shape", 200, `{"result":"yes"}`, CodeBadResponse, retryLater},
		{"200 not an object", 200, `[1,2]`, CodeBadResponse, retryLater},
		{"200 null", 200, `null`, CodeBadResponse, retryLater},
		{"error of wrong type", 400, `{"error":42}`, CodeBadResponse, settle},
		{"status without error", 404, `{"result":true}`, CodeBadResponse, settle},
		{"503 without error", 503, `{}`, CodeBadResponse, retryLater},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, _ := readSingle(answer(tc.status, tc.body))
			if tc.code == "" {
				assert.Nil(t, v.err)
				return
			}
			require.NotNil(t, v.err)
			assert.Equal(t, tc.code, v.err.Code)
			assert.Equal(t, tc.status, v.err.Status)
			assert.Equal(t, tc.next, v.next)
		})
	}
}

func TestReadSingleKeepsThePortalsDescription(t *testing.T) {
	v, _ := readSingle(answer(400, `{"error":"MESSAGE_ID_ERROR","error_description":"Message ID can't be empty"}`))
	require.NotNil(t, v.err)
	assert.Equal(t, "Message ID can't be empty", v.err.Description)
	assert.Equal(t, "MESSAGE_ID_ERROR: Message ID can't be empty (HTTP 400)", v.err.Error())
}

func TestReadSingleReadsTheTimeBlock(t *testing.T) {
	_, tm := readSingle(answer(429, `{"error":"OPERATION_TIME_LIMIT","time":{"finish":1000.5,"operating":481,"operating_reset_at":1060}}`))
	assert.Equal(t, timing{operating: 481, operatingResetAt: 1060, finish: 1000.5}, tm)
}

func TestReadBatchMapsEachCommandErrorToItsCaller(t *testing.T) {
	whole, _, each, _ := readBatch(answer(200, `{"result":{
		"result":{"c0":true,"c2":true},
		"result_error":{"c1":{"error":"MESSAGE_ID_ERROR","error_description":"Message ID can't be empty"}},
		"result_total":[],"result_next":[],"result_time":{}},"time":{}}`), []string{"c0", "c1", "c2"})
	require.False(t, whole)
	assert.Nil(t, each["c0"].err)
	assert.Nil(t, each["c2"].err)
	require.NotNil(t, each["c1"].err)
	assert.Equal(t, "MESSAGE_ID_ERROR", each["c1"].err.Code)
	assert.Equal(t, settle, each["c1"].next)
}

func TestReadBatchTakesPHPsEmptyArrayForAnEmptyMap(t *testing.T) {
	whole, _, each, _ := readBatch(answer(200, `{"result":{"result":{"c0":true},"result_error":[]},"time":{}}`), []string{"c0"})
	require.False(t, whole)
	assert.Nil(t, each["c0"].err)
	whole, _, each, _ = readBatch(answer(200, `{"result":{"result":[],"result_error":{"c0":{"error":"DIALOG_ID_EMPTY"}}}}`), []string{"c0"})
	require.False(t, whole)
	assert.Equal(t, "DIALOG_ID_EMPTY", each["c0"].err.Code)
}

func TestReadBatchRetriesACommandTheAnswerForgot(t *testing.T) {
	_, _, each, _ := readBatch(answer(200, `{"result":{"result":{"c0":true,"c9":true}}}`), []string{"c0", "c1"})
	assert.Nil(t, each["c0"].err)
	require.NotNil(t, each["c1"].err)
	assert.Equal(t, CodeBadResponse, each["c1"].err.Code)
	assert.Equal(t, retryLater, each["c1"].next)
}

func TestReadBatchAppliesAWholeRequestErrorToEveryCommand(t *testing.T) {
	for _, tc := range []struct {
		status int
		body   string
		code   string
	}{
		{503, `{"error":"QUERY_LIMIT_EXCEEDED","error_description":"Too many requests"}`, CodeQueryLimit},
		{401, `{"error":"expired_token"}`, CodeExpiredToken},
		{400, `{"error":"ERROR_BATCH_LENGTH_EXCEEDED","error_description":"Max batch length exceeded"}`, "ERROR_BATCH_LENGTH_EXCEEDED"},
		{500, `<html>`, CodeBadResponse},
		{200, `{"result":true}`, CodeBadResponse},
		{200, `{"result":{"result":"x","result_error":7}}`, CodeBadResponse},
	} {
		whole, all, each, _ := readBatch(answer(tc.status, tc.body), []string{"c0", "c1"})
		if tc.body == `{"result":{"result":"x","result_error":7}}` {
			// the outer shape is right, the inner is not: each command is unknown
			require.False(t, whole)
			assert.Equal(t, CodeBadResponse, each["c0"].err.Code)
			continue
		}
		require.True(t, whole, tc.body)
		require.NotNil(t, all.err)
		assert.Equal(t, tc.code, all.err.Code)
	}
}
