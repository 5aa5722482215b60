package unread

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// answer builds a Response the way the browser transport does: the text
// read by ParseJSON, or marked unreadable.
func answer(status int, body string) Response {
	v, err := ParseJSON(body)
	if err != nil {
		return Response{Status: status, Unreadable: true}
	}
	return Response{Status: status, JSON: v}
}

func TestReadAnswerMapsEachSingleAnswerShape(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		body   string
		code   string // "" for success
		next   next
	}{
		{"success", 200, `{"result":true,"time":{"start":1}}`, "", final},
		{"bad dialog", 400, `{"error":"DIALOG_ID_EMPTY","error_description":"Dialog ID can't be empty"}`, "DIALOG_ID_EMPTY", final},
		{"bad message", 400, `{"error":"MESSAGE_ID_ERROR","error_description":"Message ID can't be empty"}`, "MESSAGE_ID_ERROR", final},
		{"bucket full", 503, `{"error":"QUERY_LIMIT_EXCEEDED","error_description":"Too many requests"}`, "QUERY_LIMIT_EXCEEDED", bucketFull},
		{"operating limit", 429, `{"error":"OPERATION_TIME_LIMIT","error_description":"Method is blocked"}`, "OPERATION_TIME_LIMIT", methodBlocked},
		{"manual block", 503, `{"error":"OVERLOAD_LIMIT","error_description":"REST API is blocked"}`, "OVERLOAD_LIMIT", final},
		{"expired", 401, `{"error":"expired_token","error_description":"The access token provided has expired"}`, "expired_token", tokenRefused},
		{"invalid", 401, `{"error":"invalid_token","error_description":"The access token provided is invalid"}`, "invalid_token", tokenRefused},
		{"no auth", 401, `{"error":"NO_AUTH_FOUND","error_description":"Wrong authorization data"}`, "NO_AUTH_FOUND", final},
		{"scope", 403, `{"error":"insufficient_scope","error_description":"The request requires higher privileges"}`, "insufficient_scope", final},
		{"server error", 500, `{"error":"INTERNAL_SERVER_ERROR","error_description":"Internal server error"}`, "INTERNAL_SERVER_ERROR", backOff},
		{"other 5xx code", 502, `{"error":"SOMETHING","error_description":""}`, "SOMETHING", backOff},
		{"html 500", 500, `<html>oops</html>`, CodeBadResponse, backOff},
		{"html 502 from a proxy", 502, `<html>bad gateway</html>`, CodeBadResponse, backOff},
		{"html 404", 404, `<html>not found</html>`, CodeBadResponse, final},
		{"truncated 200", 200, `{"result":tr`, CodeBadResponse, backOff},
		{"200 wrong shape", 200, `{"result":"yes"}`, CodeBadResponse, backOff},
		{"200 not an object", 200, `[1,2]`, CodeBadResponse, backOff},
		{"200 null", 200, `null`, CodeBadResponse, backOff},
		{"error of wrong type", 400, `{"error":42}`, CodeBadResponse, final},
		{"status without error", 404, `{"result":true}`, CodeBadResponse, final},
		{"503 without error", 503, `{}`, CodeBadResponse, backOff},
		{"empty code with a text", 400, `{"error":"","error_description":"Something went wrong"}`, CodePortalError, final},
		{"empty code on a 5xx", 502, `{"error":"","error_description":""}`, CodePortalError, backOff},
		{"extra keys", 400, `{"error":"MESSAGE_ID_ERROR","error_description":"x","extra":1}`, "MESSAGE_ID_ERROR", final},
		{"redirect", 302, `{}`, CodePortalMoved, final},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vs, _ := readAnswer(answer(tc.status, tc.body), nil)
			require.Len(t, vs, 1)
			v := vs[0]
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

func TestAnEmptyCodeKeepsThePortalsDescription(t *testing.T) {
	vs, _ := readAnswer(answer(400, `{"error":"","error_description":"Parameter X is wrong"}`), nil)
	require.NotNil(t, vs[0].err)
	assert.Equal(t, "PORTAL_ERROR: Parameter X is wrong (HTTP 400)", vs[0].err.Error())
}

func TestARedirectSaysThePortalMoved(t *testing.T) {
	vs, _ := readAnswer(Response{Redirected: true}, []string{"c0", "c1"})
	for _, v := range vs {
		require.NotNil(t, v.err)
		assert.Equal(t, CodePortalMoved, v.err.Code)
		assert.Equal(t, final, v.next)
		assert.Contains(t, v.err.Description, "new address")
	}
}

func TestReadAnswerKeepsThePortalsDescription(t *testing.T) {
	vs, _ := readAnswer(answer(400, `{"error":"MESSAGE_ID_ERROR","error_description":"First unread message id can't be empty"}`), nil)
	require.NotNil(t, vs[0].err)
	assert.Equal(t, "MESSAGE_ID_ERROR: First unread message id can't be empty (HTTP 400)", vs[0].err.Error())
}

func TestReadAnswerReadsTheTimeBlockOfASuccess(t *testing.T) {
	vs, tm := readAnswer(answer(200, `{"result":true,"time":{"start":1000,"finish":1000.5,"operating":12.5,"operating_reset_at":1060}}`), nil)
	want := timing{operating: 12.5, resetAt: 1060, finish: 1000.5}
	assert.Equal(t, want, tm)
	assert.Equal(t, want, vs[0].timing)
}

func TestABatchCommandCarriesItsOwnTiming(t *testing.T) {
	vs, envelope := readAnswer(answer(200, `{"result":{
		"result":{"c0":true,"c1":true},"result_error":[],"result_total":[],"result_next":[],
		"result_time":{"c0":{"start":1000,"finish":1000.2,"operating":300,"operating_reset_at":1500},
		               "c1":{"start":1000,"finish":1000.3,"operating":301,"operating_reset_at":1500}}},
		"time":{"start":1000,"finish":1000.4,"operating":2,"operating_reset_at":1590}}`), []string{"c0", "c1"})
	assert.Equal(t, timing{operating: 2, resetAt: 1590, finish: 1000.4}, envelope, "the envelope is batch's own budget")
	assert.Equal(t, timing{operating: 300, resetAt: 1500, finish: 1000.2}, vs[0].timing)
	assert.Equal(t, timing{operating: 301, resetAt: 1500, finish: 1000.3}, vs[1].timing)
}

func TestABlockedCommandInABatchIsHeldAndTheOthersSucceed(t *testing.T) {
	vs, _ := readAnswer(answer(200, `{"result":{"result":{"c0":true,"c2":true},
		"result_error":{"c1":{"error":"OPERATION_TIME_LIMIT","error_description":"Method is blocked due to operation time limit."}},
		"result_total":[],"result_next":[],"result_time":{}},"time":{}}`), []string{"c0", "c1", "c2"})
	assert.Nil(t, vs[0].err)
	assert.Nil(t, vs[2].err)
	require.NotNil(t, vs[1].err)
	assert.Equal(t, CodeOperatingLimit, vs[1].err.Code)
	assert.Equal(t, methodBlocked, vs[1].next)
}

func TestA429OnTheBatchItselfSendsTheCommandsAlone(t *testing.T) {
	vs, _ := readAnswer(answer(429, `{"error":"OPERATION_TIME_LIMIT","error_description":"Method is blocked due to operation time limit."}`), []string{"c0", "c1"})
	for _, v := range vs {
		assert.Equal(t, batchBlocked, v.next)
	}
}

func TestReadAnswerMapsEachCommandErrorToItsCaller(t *testing.T) {
	vs, _ := readAnswer(answer(200, `{"result":{
		"result":{"c0":true,"c2":true},
		"result_error":{"c1":{"error":"MESSAGE_ID_ERROR","error_description":"Message ID can't be empty"}},
		"result_total":[],"result_next":[],"result_time":{}},"time":{}}`), []string{"c0", "c1", "c2"})
	assert.Nil(t, vs[0].err)
	assert.Nil(t, vs[2].err)
	require.NotNil(t, vs[1].err)
	assert.Equal(t, "MESSAGE_ID_ERROR", vs[1].err.Code)
	assert.Equal(t, final, vs[1].next)
}

func TestReadAnswerTakesPHPsListsForMaps(t *testing.T) {
	vs, _ := readAnswer(answer(200, `{"result":{"result":{"c0":true},"result_error":[]},"time":{}}`), []string{"c0"})
	assert.Nil(t, vs[0].err)
	vs, _ = readAnswer(answer(200, `{"result":{"result":[],"result_error":{"c0":{"error":"DIALOG_ID_EMPTY"}}}}`), []string{"c0"})
	assert.Equal(t, "DIALOG_ID_EMPTY", vs[0].err.Code)
	// keys 0..n-1 come as a list; the client's keys are never numbers
	vs, _ = readAnswer(answer(200, `{"result":{"result":[true,true],"result_error":[]}}`), []string{"c0"})
	assert.Equal(t, CodeBadResponse, vs[0].err.Code)
}

func TestReadAnswerRetriesACommandTheAnswerForgot(t *testing.T) {
	vs, _ := readAnswer(answer(200, `{"result":{"result":{"c0":true,"c9":true}}}`), []string{"c0", "c1"})
	assert.Nil(t, vs[0].err)
	require.NotNil(t, vs[1].err)
	assert.Equal(t, CodeBadResponse, vs[1].err.Code)
	assert.Equal(t, backOff, vs[1].next)
}

func TestReadAnswerAppliesAWholeRequestErrorToEveryCommand(t *testing.T) {
	for _, tc := range []struct {
		status int
		body   string
		code   string
	}{
		{503, `{"error":"QUERY_LIMIT_EXCEEDED","error_description":"Too many requests"}`, CodeQueryLimit},
		{401, `{"error":"expired_token"}`, CodeExpiredToken},
		{500, `<html>`, CodeBadResponse},
		{200, `{"result":true}`, CodeBadResponse},
	} {
		vs, _ := readAnswer(answer(tc.status, tc.body), []string{"c0", "c1"})
		require.Len(t, vs, 2)
		for _, v := range vs {
			require.NotNil(t, v.err, tc.body)
			assert.Equal(t, tc.code, v.err.Code)
		}
	}
	// the outer shape is right, the inner is not: each command is unknown
	vs, _ := readAnswer(answer(200, `{"result":{"result":"x","result_error":7}}`), []string{"c0", "c1"})
	assert.Equal(t, CodeBadResponse, vs[0].err.Code)
	assert.Equal(t, backOff, vs[1].next)
}

func TestPlanFromAppInfo(t *testing.T) {
	for body, want := range map[string]Plan{
		`{"result":{"LICENSE":"ru_ent250","LICENSE_TYPE":"ent250","LICENSE_FAMILY":"ent"}}`: EnterprisePlan,
		`{"result":{"LICENSE":"de_ent500"}}`:                                                EnterprisePlan,
		`{"result":{"LICENSE":"ru_pro","LICENSE_TYPE":"pro","LICENSE_FAMILY":"pro"}}`:       StandardPlan,
		`{"result":{"LICENSE":"en_selfhosted"}}`:                                            StandardPlan,
		`{"result":{"LICENSE":"ru_project"}}`:                                               StandardPlan,
	} {
		got, ok := planFromAppInfo(answer(200, body))
		assert.True(t, ok, body)
		assert.Equal(t, want, got, body)
	}
	for _, r := range []Response{answer(200, `{"result":{}}`), answer(401, `{"error":"expired_token"}`), answer(200, `[]`)} {
		_, ok := planFromAppInfo(r)
		assert.False(t, ok)
	}
}
