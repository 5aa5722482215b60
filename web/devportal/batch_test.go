package devportal

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func batchResultOf(t *testing.T, m map[string]any) map[string]any {
	t.Helper()
	r, ok := m["result"].(map[string]any)
	require.True(t, ok, "result: %v", m["result"])
	for _, k := range []string{"result", "result_error", "result_total", "result_next", "result_time"} {
		require.Contains(t, r, k)
	}
	return r
}

func TestBatchFormMapsEachCommand(t *testing.T) {
	f := newFixture(t, Config{})
	body := "auth=" + f.token + "&halt=0" +
		"&cmd[a]=im.dialog.unread%3FDIALOG_ID%3Dchat29%26MESSAGE_ID%3D12" +
		"&cmd[b]=im.dialog.unread%3FDIALOG_ID%3Dbad%26MESSAGE_ID%3D1" +
		"&cmd[c]=im.dialog.unread%3FDIALOG_ID%3Dchat29%26MESSAGE_ID%3D0" +
		"&cmd[d]=im.dialog.unread%3Fdialog_id%3DSG4%26message_id%3D8" +
		"&cmd[e]=no.such%3Fx%3D1"
	w := f.do(http.MethodPost, "/rest/batch", "application/x-www-form-urlencoded", body)
	r := batchResultOf(t, requireOK(t, w))
	assert.Equal(t, map[string]any{"a": true, "d": true}, r["result"])
	assert.Equal(t, map[string]any{
		"b": map[string]any{"error": "DIALOG_ID_EMPTY", "error_description": "Dialog ID can't be empty"},
		"c": map[string]any{"error": "MESSAGE_ID_ERROR", "error_description": "First unread message id can't be empty"},
		"e": map[string]any{"error": "ERROR_METHOD_NOT_FOUND", "error_description": "Method not found!"},
	}, r["result_error"])
	rt := r["result_time"].(map[string]any)
	assert.Len(t, rt, 2)
	requireTimeBlock(t, rt["a"])
	assert.Equal(t, []any{}, r["result_total"])
	assert.Equal(t, []any{}, r["result_next"])
	assert.Equal(t, map[string]int64{"chat29": 12, "sg4": 8}, f.p.Unread())
	assert.Equal(t, 5, f.p.Stats().Commands)
}

func TestBatchJSONBody(t *testing.T) {
	f := newFixture(t, Config{})
	body := `{"auth":"` + f.token + `","halt":0,"cmd":{"k1":"im.dialog.unread?DIALOG_ID=chat29&MESSAGE_ID=12","k2":"IM.Dialog.Unread?DIALOG_ID=7&MESSAGE_ID=3"}}`
	w := f.do(http.MethodPost, "/rest/batch.json", "application/json", body)
	r := batchResultOf(t, requireOK(t, w))
	assert.Equal(t, map[string]any{"k1": true, "k2": true}, r["result"])
	assert.Equal(t, []any{}, r["result_error"], "an empty PHP array encodes as []")
	assert.Equal(t, map[string]int64{"chat29": 12, "7": 3}, f.p.Unread())
}

// A batch command's method is taken as written (lower-cased): the ".json" transport suffix
// of a top-level call is not understood there (docs/bitrix24.md#f-batch-shape).
func TestBatchCommandWithJSONSuffixIsNotFound(t *testing.T) {
	f := newFixture(t, Config{})
	r := batchResultOf(t, requireOK(t, f.form("batch", url.Values{"auth": {f.token}, "cmd[a]": {"im.dialog.unread.json?DIALOG_ID=chat1&MESSAGE_ID=1"}})))
	assert.Equal(t, map[string]any{"a": map[string]any{"error": "ERROR_METHOD_NOT_FOUND", "error_description": "Method not found!"}}, r["result_error"])
}

// PHP arrays with keys 0..n-1 in order are JSON lists, others objects, empty ones []
// (docs/bitrix24.md#f-php-arrays).
func TestBatchAnswersPHPListsForKeysZeroToN(t *testing.T) {
	f := newFixture(t, Config{})
	cases := []struct {
		name, cmd                     string
		result, resultError, timeKind string
	}{
		{"all ok", `["im.dialog.unread?DIALOG_ID=chat1&MESSAGE_ID=1","im.dialog.unread?DIALOG_ID=chat2&MESSAGE_ID=1"]`, `[true,true]`, `[]`, "list"},
		{"first fails", `["im.dialog.unread?DIALOG_ID=x&MESSAGE_ID=1","im.dialog.unread?DIALOG_ID=chat2&MESSAGE_ID=1"]`, `{"1":true}`, `[{"error":"DIALOG_ID_EMPTY","error_description":"Dialog ID can't be empty"}]`, "object"},
		{"second fails", `["im.dialog.unread?DIALOG_ID=chat1&MESSAGE_ID=1","im.dialog.unread?DIALOG_ID=x&MESSAGE_ID=1"]`, `[true]`, `{"1":{"error":"DIALOG_ID_EMPTY","error_description":"Dialog ID can't be empty"}}`, "list"},
		{"all fail", `["im.dialog.unread?DIALOG_ID=x&MESSAGE_ID=1"]`, `[]`, `[{"error":"DIALOG_ID_EMPTY","error_description":"Dialog ID can't be empty"}]`, "empty"},
		{"keys not from 0", `{"1":"im.dialog.unread?DIALOG_ID=chat1&MESSAGE_ID=1","2":"im.dialog.unread?DIALOG_ID=chat1&MESSAGE_ID=1"}`, `{"1":true,"2":true}`, `[]`, "object"},
		{"keys out of order", `{"1":"im.dialog.unread?DIALOG_ID=chat1&MESSAGE_ID=1","0":"im.dialog.unread?DIALOG_ID=chat1&MESSAGE_ID=1"}`, `{"1":true,"0":true}`, `[]`, "object"},
		{"non-canonical key", `{"00":"im.dialog.unread?DIALOG_ID=chat1&MESSAGE_ID=1"}`, `{"00":true}`, `[]`, "object"},
	}
	for _, c := range cases {
		w := f.do(http.MethodPost, "/rest/batch", "application/json", `{"auth":"`+f.token+`","cmd":`+c.cmd+`}`)
		require.Equal(t, http.StatusOK, w.Code, c.name)
		var raw struct {
			Result map[string]json.RawMessage `json:"result"`
		}
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &raw), c.name)
		assert.JSONEq(t, c.result, string(raw.Result["result"]), c.name)
		assert.JSONEq(t, c.resultError, string(raw.Result["result_error"]), c.name)
		assert.Equal(t, `[]`, string(raw.Result["result_total"]), c.name)
		assert.Equal(t, `[]`, string(raw.Result["result_next"]), c.name)
		rt := string(raw.Result["result_time"])
		switch c.timeKind {
		case "list":
			assert.True(t, strings.HasPrefix(rt, "[{"), "%s: result_time %s", c.name, rt)
		case "object":
			assert.True(t, strings.HasPrefix(rt, "{"), "%s: result_time %s", c.name, rt)
		case "empty":
			assert.Equal(t, "[]", rt, c.name)
		}
	}
}

func TestBatchKeepsCommandOrderInTheAnswer(t *testing.T) {
	f := newFixture(t, Config{})
	v := "auth=" + f.token
	for _, k := range []string{"z", "a", "m"} {
		v += "&cmd[" + k + "]=im.dialog.unread%3FDIALOG_ID%3Dchat1%26MESSAGE_ID%3D1"
	}
	w := f.do(http.MethodPost, "/rest/batch", "", v)
	s := w.Body.String()
	assert.Less(t, strings.Index(s, `"z":true`), strings.Index(s, `"a":true`))
	assert.Less(t, strings.Index(s, `"a":true`), strings.Index(s, `"m":true`))
}

func TestBatchAllErrorsGivesEmptyResultArray(t *testing.T) {
	f := newFixture(t, Config{})
	w := f.form("batch", url.Values{"auth": {f.token}, "cmd[a]": {"im.dialog.unread?DIALOG_ID=x"}})
	r := batchResultOf(t, requireOK(t, w))
	assert.Equal(t, []any{}, r["result"])
	assert.Equal(t, []any{}, r["result_time"])
}

func TestBatchHaltStopsAtFirstError(t *testing.T) {
	f := newFixture(t, Config{})
	body := "auth=" + f.token + "&halt=1" +
		"&cmd[a]=im.dialog.unread%3FDIALOG_ID%3Dchat1%26MESSAGE_ID%3D5" +
		"&cmd[b]=im.dialog.unread%3FDIALOG_ID%3Dbad%26MESSAGE_ID%3D1" +
		"&cmd[c]=im.dialog.unread%3FDIALOG_ID%3Dchat2%26MESSAGE_ID%3D5"
	r := batchResultOf(t, requireOK(t, f.do(http.MethodPost, "/rest/batch", "", body)))
	assert.Equal(t, map[string]any{"a": true}, r["result"])
	assert.Contains(t, r["result_error"], "b")
	assert.NotContains(t, r["result_error"], "c")
	assert.Equal(t, map[string]int64{"chat1": 5}, f.p.Unread())
}

func TestBatchWithoutHaltRunsEveryCommand(t *testing.T) {
	f := newFixture(t, Config{})
	body := "auth=" + f.token + "&halt=0" +
		"&cmd[b]=im.dialog.unread%3FDIALOG_ID%3Dbad%26MESSAGE_ID%3D1" +
		"&cmd[c]=im.dialog.unread%3FDIALOG_ID%3Dchat2%26MESSAGE_ID%3D5"
	requireOK(t, f.do(http.MethodPost, "/rest/batch", "", body))
	assert.Equal(t, map[string]int64{"chat2": 5}, f.p.Unread())
}

// The first 50 commands run; each one past the 50th fails on its own with
// ERROR_BATCH_LENGTH_EXCEEDED and the batch answers 200 (docs/bitrix24.md#f-batch-length).
func TestBatchCommandsPast50FailEachWithLengthExceeded(t *testing.T) {
	f := newFixture(t, Config{})
	body := "auth=" + f.token
	for i := range 53 {
		body += fmt.Sprintf("&cmd[k%d]=im.dialog.unread%%3FDIALOG_ID%%3Dchat%d%%26MESSAGE_ID%%3D1", i, i)
	}
	r := batchResultOf(t, requireOK(t, f.do(http.MethodPost, "/rest/batch", "", body)))
	assert.Len(t, r["result"], 50)
	assert.Len(t, r["result_time"], 50)
	exceeded := map[string]any{"error": "ERROR_BATCH_LENGTH_EXCEEDED", "error_description": "Max batch length exceeded"}
	assert.Equal(t, map[string]any{"k50": exceeded, "k51": exceeded, "k52": exceeded}, r["result_error"])
	assert.Len(t, f.p.Unread(), 50)
	assert.NotContains(t, f.p.Unread(), "chat50")
	assert.Equal(t, 50, f.p.Stats().Commands)

	// with halt, the 51st stops the batch
	r = batchResultOf(t, requireOK(t, f.do(http.MethodPost, "/rest/batch", "", body+"&halt=1")))
	assert.Equal(t, map[string]any{"k50": exceeded}, r["result_error"])
}

func TestBatchInsideBatchIsNotAllowed(t *testing.T) {
	f := newFixture(t, Config{})
	w := f.form("batch", url.Values{"auth": {f.token}, "cmd[in]": {"batch?cmd[x]=im.dialog.unread"}, "cmd[ok]": {"im.dialog.unread?DIALOG_ID=chat1&MESSAGE_ID=2"}})
	r := batchResultOf(t, requireOK(t, w))
	assert.Equal(t, map[string]any{"error": "ERROR_BATCH_METHOD_NOT_ALLOWED", "error_description": "Method is not allowed for batch usage"}, r["result_error"].(map[string]any)["in"])
	assert.Equal(t, map[string]any{"ok": true}, r["result"])
}

func TestBatchNeedsAuth(t *testing.T) {
	f := newFixture(t, Config{})
	w := f.form("batch", url.Values{"cmd[a]": {"im.dialog.unread?DIALOG_ID=chat1&MESSAGE_ID=2"}})
	requireError(t, w, http.StatusUnauthorized, "NO_AUTH_FOUND", "Wrong authorization data")
	assert.Empty(t, f.p.Unread())
}
