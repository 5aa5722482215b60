package devportal

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMarkUnreadAnswersTrueAndRecords(t *testing.T) {
	f := newFixture(t, Config{})
	m := requireOK(t, f.mark("chat29", "12"))
	assert.Equal(t, true, m["result"])
	assert.Equal(t, map[string]int64{"chat29": 12}, f.p.Unread())
}

// docs/bitrix24.md#f-unread-dialog-id: PHP-truthy and matching
// ^([0-9]+|(chat|sg|crm)[0-9]+)$ case-insensitively, PCRE's $ allowing a final newline.
func TestDialogIDValidation(t *testing.T) {
	f := newFixture(t, Config{})
	for _, d := range []string{"256", "chat29", "CHAT29", "sg7", "Sg7", "crm3", "00", "chat0", "chat29\n"} {
		requireOK(t, f.mark(d, "1"))
	}
	for _, d := range []string{"", "0", "chat", "chat-1", "user5", "chat29 ", " 29", "29x", "crm|DEAL|1", "chat29\n\n", "\nchat29"} {
		requireError(t, f.mark(d, "1"), http.StatusBadRequest, "DIALOG_ID_EMPTY", "Dialog ID can't be empty")
	}
}

// docs/bitrix24.md#f-unread-order: MESSAGE_ID is checked first, then DIALOG_ID.
func TestMessageIDIsCheckedBeforeDialogID(t *testing.T) {
	f := newFixture(t, Config{})
	cases := []struct{ dialog, message, code string }{
		{"", "0", "MESSAGE_ID_ERROR"},
		{"", "", "MESSAGE_ID_ERROR"},
		{"bad", "0", "MESSAGE_ID_ERROR"},
		{"bad", "5", "DIALOG_ID_EMPTY"},
		{"0", "5", "DIALOG_ID_EMPTY"},
	}
	desc := map[string]string{"MESSAGE_ID_ERROR": "First unread message id can't be empty", "DIALOG_ID_EMPTY": "Dialog ID can't be empty"}
	for _, c := range cases {
		requireError(t, f.mark(c.dialog, c.message), http.StatusBadRequest, c.code, desc[c.code])
	}
	w := f.do(http.MethodPost, "/rest/im.dialog.unread", "application/json", `{"auth":"`+f.token+`","DIALOG_ID":0,"MESSAGE_ID":5}`)
	requireError(t, w, http.StatusBadRequest, "DIALOG_ID_EMPTY", "Dialog ID can't be empty")
	w = f.do(http.MethodPost, "/rest/im.dialog.unread", "application/json", `{"auth":"`+f.token+`","DIALOG_ID":29,"MESSAGE_ID":5}`)
	requireOK(t, w)
	assert.Empty(t, f.p.Unread()["0"])
}

func TestMessageIDParsedLikePHPIntval(t *testing.T) {
	f := newFixture(t, Config{})
	ok := map[string]int64{"12": 12, "12abc": 12, " 7": 7, "+5": 5, "3.9": 3, "1e3": 1000}
	for s, want := range ok {
		f.p.Reset(Config{})
		requireOK(t, f.mark("chat1", s))
		assert.Equal(t, want, f.p.Unread()["chat1"], "MESSAGE_ID %q", s)
	}
	for _, s := range []string{"", "0", "-3", "abc", "0x10", ".", "-1e3"} {
		requireError(t, f.mark("chat1", s), http.StatusBadRequest, "MESSAGE_ID_ERROR", "First unread message id can't be empty")
	}
}

func TestPHPIntval(t *testing.T) {
	cases := map[string]int64{"12": 12, "12abc": 12, "abc": 0, "": 0, "-4x": -4, "99999999999999999999": 9223372036854775807, "2.5e1": 25, "1e3abc": 1}
	for s, want := range cases {
		assert.Equal(t, want, phpIntval(s), "intval(%q)", s)
	}
}

func TestMissingMessageIDIsMessageIDError(t *testing.T) {
	f := newFixture(t, Config{})
	w := f.form("im.dialog.unread", url.Values{"auth": {f.token}, "DIALOG_ID": {"chat1"}})
	requireError(t, w, http.StatusBadRequest, "MESSAGE_ID_ERROR", "First unread message id can't be empty")
}

func TestParameterNamesAreCaseInsensitive(t *testing.T) {
	f := newFixture(t, Config{})
	w := f.form("im.dialog.unread", url.Values{"AUTH": {f.token}, "dialog_id": {"chat5"}, "Message_Id": {"9"}})
	requireOK(t, w)
	assert.Equal(t, int64(9), f.p.Unread()["chat5"])
}

func TestMethodNameIsCaseInsensitiveAndJSONSuffixIsOptional(t *testing.T) {
	f := newFixture(t, Config{})
	for _, path := range []string{"/rest/im.dialog.unread.json", "/rest/IM.Dialog.Unread", "/rest/im.dialog.unread"} {
		w := f.do(http.MethodPost, path, "application/x-www-form-urlencoded", url.Values{"auth": {f.token}, "DIALOG_ID": {"chat1"}, "MESSAGE_ID": {"3"}}.Encode())
		requireOK(t, w)
	}
}

func TestGETWithQueryParameters(t *testing.T) {
	f := newFixture(t, Config{})
	w := f.do(http.MethodGet, "/rest/im.dialog.unread?auth="+f.token+"&DIALOG_ID=chat8&MESSAGE_ID=4", "", "")
	requireOK(t, w)
	assert.Equal(t, int64(4), f.p.Unread()["chat8"])
}

func TestPOSTJSONBody(t *testing.T) {
	f := newFixture(t, Config{})
	w := f.do(http.MethodPost, "/rest/im.dialog.unread.json", "application/json", `{"auth":"`+f.token+`","DIALOG_ID":"chat3","MESSAGE_ID":15}`)
	requireOK(t, w)
	assert.Equal(t, int64(15), f.p.Unread()["chat3"])
}

func TestBodyStartingWithBraceIsJSONWhateverTheContentType(t *testing.T) {
	f := newFixture(t, Config{})
	w := f.do(http.MethodPost, "/rest/im.dialog.unread", "text/plain", `{"auth":"`+f.token+`","dialog_id":"Chat3","message_id":"15"}`)
	requireOK(t, w)
	assert.Equal(t, int64(15), f.p.Unread()["chat3"])
}

func TestPOSTBodyWithoutContentTypeIsAForm(t *testing.T) {
	f := newFixture(t, Config{})
	w := f.do(http.MethodPost, "/rest/im.dialog.unread", "", "auth="+f.token+"&DIALOG_ID=chat3&MESSAGE_ID=2")
	requireOK(t, w)
}

func TestLowerMessageIDWinsAndDialogIsCaseInsensitive(t *testing.T) {
	f := newFixture(t, Config{})
	requireOK(t, f.mark("Chat29", "15"))
	requireOK(t, f.mark("chat29", "12"))
	requireOK(t, f.mark("CHAT29", "20"))
	requireOK(t, f.mark("7", "3"))
	assert.Equal(t, map[string]int64{"chat29": 12, "7": 3}, f.p.Unread())
}

func TestUnknownMethodIs404(t *testing.T) {
	f := newFixture(t, Config{})
	requireError(t, f.form("im.dialog.read", url.Values{"auth": {f.token}}), http.StatusNotFound, "ERROR_METHOD_NOT_FOUND", "Method not found!")
}

// docs/bitrix24.md#f-check-order: the method is looked up before auth is checked.
func TestUnknownMethodIs404EvenWithoutAuth(t *testing.T) {
	f := newFixture(t, Config{})
	requireError(t, f.form("no.such.method", nil), http.StatusNotFound, "ERROR_METHOD_NOT_FOUND", "Method not found!")
	requireError(t, f.form("im.dialog.unread", nil), http.StatusUnauthorized, "NO_AUTH_FOUND", "Wrong authorization data")
}

// docs/bitrix24.md#f-cors-headers: exactly CRestUtil::sendHeaders' three headers on every
// REST answer; the control endpoints also allow methods for JSON POSTs from test pages.
func TestCORSHeadersOnEveryAnswer(t *testing.T) {
	f := newFixture(t, Config{})
	answers := map[string]*httptest.ResponseRecorder{
		"ok":      f.mark("chat1", "1"),
		"400":     f.mark("x", "1"),
		"401":     f.form("im.dialog.unread", nil),
		"404":     f.form("nope", url.Values{"auth": {f.token}}),
		"batch":   f.form("batch", url.Values{"auth": {f.token}, "cmd[a]": {"app.info"}}),
		"options": f.do(http.MethodOptions, "/rest/im.dialog.unread", "", ""),
	}
	for name, w := range answers {
		h := w.Header()
		assert.Equal(t, "*", h.Get("Access-Control-Allow-Origin"), name)
		assert.Equal(t, "origin, content-type, accept", h.Get("Access-Control-Allow-Headers"), name)
		assert.Equal(t, "nosniff", h.Get("X-Content-Type-Options"), name)
		for k := range h {
			if strings.HasPrefix(k, "Access-Control-") {
				assert.Contains(t, []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Headers"}, k, name)
			}
		}
	}
	assert.Equal(t, http.StatusOK, answers["options"].Code)
	assert.Equal(t, 5, f.p.Stats().Requests, "OPTIONS is not counted as a request")
	state := f.do(http.MethodGet, "/devportal/state", "", "")
	assert.Equal(t, "*", state.Header().Get("Access-Control-Allow-Origin"))
	assert.Contains(t, state.Header().Get("Access-Control-Allow-Methods"), "POST")
}

func TestAuthInURLIsCounted(t *testing.T) {
	f := newFixture(t, Config{})
	f.do(http.MethodGet, "/rest/im.dialog.unread?AUTH="+f.token+"&DIALOG_ID=chat1&MESSAGE_ID=1", "", "")
	f.do(http.MethodPost, "/rest/im.dialog.unread?auth="+f.token, "application/x-www-form-urlencoded", "DIALOG_ID=chat1&MESSAGE_ID=1")
	f.mark("chat1", "1")
	s := f.p.Stats()
	assert.Equal(t, 2, s.AuthInURL)
	assert.Equal(t, 3, s.Requests)
	assert.Equal(t, 3, s.Commands)
}

func TestTimeBlockFields(t *testing.T) {
	f := newFixture(t, Config{})
	m := requireOK(t, f.mark("chat1", "1"))
	tb := m["time"].(map[string]any)
	assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$`, tb["date_start"])
	assert.GreaterOrEqual(t, tb["finish"].(float64), tb["start"].(float64))
	require.IsType(t, float64(0), tb["operating_reset_at"])
}
