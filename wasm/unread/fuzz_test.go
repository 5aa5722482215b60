package unread

import (
	"math"
	"math/big"
	"regexp"
	"strconv"
	"testing"
	"unicode/utf8"
)

// The fuzz targets below run their seed corpus (testdata/fuzz/FuzzX) with
// plain go test; make fuzz runs each with -fuzz for FUZZTIME.

// serverDialog is the portal's own check of DIALOG_ID, applied after ASCII
// lowering: PHP's /i folds ASCII only, so "ſg1" (long s) is not "sg1".
var serverDialog = regexp.MustCompile(`^([0-9]+|(chat|sg|crm)[0-9]+)$`)

var plainDecimal = regexp.MustCompile(`^[1-9][0-9]*$`)

// otherTypes are the kinds of JavaScript value that are never a valid id.
var otherTypes = []string{"undefined", "null", "boolean", "object", "array", "bigint", "symbol", "function", ""}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return string(b)
}

func safePositiveInteger(n float64) bool {
	return n >= 1 && n <= 1<<53-1 && n == math.Trunc(n)
}

// maxDescription bounds a refusal's description: the fixed text, and at
// most 40 bytes of the caller's string, each escaped to at most 4 bytes.
const maxDescription = 100 + 40*4

// checkRefusal: a refusal carries the parameter's code and a description
// that says something, in valid UTF-8, of a bounded length.
func checkRefusal(t *testing.T, err *Error, code string, arg Arg) {
	t.Helper()
	if err.Code != code {
		t.Fatalf("%+v: code %q, want %q", arg, err.Code, code)
	}
	if err.Description == "" || !utf8.ValidString(err.Description) || len(err.Description) > maxDescription {
		t.Fatalf("%+v: bad description %q", arg, err.Description)
	}
	if err.Status != 0 || err.Attempts != 0 {
		t.Fatalf("%+v: a local refusal has no status or attempts: %+v", arg, err)
	}
}

func FuzzParseDialogID(f *testing.F) {
	f.Add("chat29", 29.0)
	f.Fuzz(func(t *testing.T, s string, n float64) {
		arg := String(s)
		got, err := ParseDialogID(arg)
		want := asciiLower(s)
		// PHP reads "0" as false: the portal calls it empty.
		switch valid := serverDialog.MatchString(want) && want != "0"; {
		case valid && err != nil:
			t.Fatalf("%q: refused what the portal accepts: %v", s, err)
		case valid && got != DialogID(want):
			t.Fatalf("%q: got %q, want %q", s, got, want)
		case !valid && err == nil:
			t.Fatalf("%q: accepted %q, which the portal refuses", s, got)
		case !valid:
			checkRefusal(t, err, CodeDialogID, arg)
			if got != "" {
				t.Fatalf("%q: refused yet gave %q", s, got)
			}
		}

		arg = Number(n)
		got, err = ParseDialogID(arg)
		if safePositiveInteger(n) {
			if err != nil {
				t.Fatalf("%v: refused a user id: %v", n, err)
			}
			if want := strconv.FormatFloat(n, 'f', 0, 64); string(got) != want || !serverDialog.MatchString(want) {
				t.Fatalf("%v: got %q, want %q", n, got, want)
			}
		} else {
			if err == nil {
				t.Fatalf("%v: accepted %q", n, got)
			}
			checkRefusal(t, err, CodeDialogID, arg)
		}

		for _, typ := range otherTypes {
			arg = Arg{Type: typ, Str: s, Num: n}
			if got, err := ParseDialogID(arg); err == nil {
				t.Fatalf("%+v: accepted %q", arg, got)
			} else {
				checkRefusal(t, err, CodeDialogID, arg)
			}
		}
	})
}

func FuzzParseMessageID(f *testing.F) {
	f.Add("12", 12.0)
	f.Fuzz(func(t *testing.T, s string, n float64) {
		arg := String(s)
		got, err := ParseMessageID(arg)
		valid := false
		var want big.Int
		if plainDecimal.MatchString(s) {
			want.SetString(s, 10)
			valid = want.Cmp(big.NewInt(1<<53-1)) <= 0
		}
		switch {
		case valid && err != nil:
			t.Fatalf("%q: refused: %v", s, err)
		case valid && (got < 1 || int64(got) != want.Int64()):
			t.Fatalf("%q: got %d", s, got)
		case !valid && err == nil:
			t.Fatalf("%q: accepted as %d", s, got)
		case !valid:
			checkRefusal(t, err, CodeMessageID, arg)
			if got != 0 {
				t.Fatalf("%q: refused yet gave %d", s, got)
			}
		}

		arg = Number(n)
		got, err = ParseMessageID(arg)
		if safePositiveInteger(n) {
			if err != nil {
				t.Fatalf("%v: refused: %v", n, err)
			}
			if float64(got) != n {
				t.Fatalf("%v: got %d", n, got)
			}
		} else {
			if err == nil {
				t.Fatalf("%v: accepted as %d", n, got)
			}
			checkRefusal(t, err, CodeMessageID, arg)
		}

		for _, typ := range otherTypes {
			arg = Arg{Type: typ, Str: s, Num: n}
			if got, err := ParseMessageID(arg); err == nil {
				t.Fatalf("%+v: accepted as %d", arg, got)
			} else {
				checkRefusal(t, err, CodeMessageID, arg)
			}
		}
	})
}

// checkVerdict: success, or an error with a code and a known next step.
func checkVerdict(t *testing.T, v verdict, what string) {
	t.Helper()
	if v.next > tokenRefused {
		t.Fatalf("%s: unknown next step %d", what, v.next)
	}
	if v.err == nil {
		if v.next != final {
			t.Fatalf("%s: success with action %d", what, v.next)
		}
		return
	}
	if v.err.Code == "" {
		t.Fatalf("%s: an error without a code: %+v", what, v.err)
	}
	switch v.err.Code {
	case CodeQueryLimit:
		if v.next != bucketFull {
			t.Fatalf("%s: %s not retried after the bucket", what, v.err.Code)
		}
	case CodeExpiredToken, CodeInvalidToken:
		if v.next != tokenRefused {
			t.Fatalf("%s: %s not retried after a refresh", what, v.err.Code)
		}
	case CodeOverload:
		if v.next != final {
			t.Fatalf("%s: %s retried", what, v.err.Code)
		}
	}
}

// portalError is the code of a portal error object, "" when m is not one.
func portalError(m any) string {
	o, _ := m.(map[string]any)
	code, _ := o["error"].(string)
	return code
}

// FuzzReadSingle reads any body with any status as the answer to a plain
// request. The body is read as the transport reads it (ParseJSON).
func FuzzReadSingle(f *testing.F) {
	f.Add([]byte(`{"result":true}`), 200)
	f.Fuzz(func(t *testing.T, body []byte, status int) {
		r := answer(status, string(body))
		vs, _ := readAnswer(r, nil)
		if len(vs) != 1 {
			t.Fatalf("%d %s: %d verdicts for one command", status, body, len(vs))
		}
		v := vs[0]
		checkVerdict(t, v, string(body))
		obj, _ := r.JSON.(map[string]any)
		if v.err == nil {
			if r.Unreadable || status != 200 || obj["result"] != true || portalError(obj) != "" {
				t.Fatalf("%d %s: read as success", status, body)
			}
			return
		}
		if v.err.Status != status {
			t.Fatalf("%d %s: the error says HTTP %d", status, body, v.err.Status)
		}
		if code := portalError(obj); code != "" && v.err.Code != code && (status < 300 || status >= 400) {
			t.Fatalf("%d %s: code %q, not the portal's %q", status, body, v.err.Code, code)
		}
	})
}

// FuzzReadBatch reads any body with any status as the answer to a batch
// of n commands (1 to 50, keys c0, c1, ...): each command maps to success
// or to an error with a code, whatever keys are missing, extra or mistyped.
func FuzzReadBatch(f *testing.F) {
	f.Add([]byte(`{"result":{"result":{"c0":true},"result_error":[]}}`), 200, 1)
	f.Fuzz(func(t *testing.T, body []byte, status int, n int) {
		keys := make([]string, 1+int(uint(n)%maxBatch))
		for i := range keys {
			keys[i] = "c" + strconv.Itoa(i)
		}
		r := answer(status, string(body))
		vs, _ := readAnswer(r, keys)
		if len(vs) != len(keys) {
			t.Fatalf("%d %s: %d verdicts for %d commands", status, body, len(vs), len(keys))
		}
		obj, _ := r.JSON.(map[string]any)
		outer, _ := obj["result"].(map[string]any)
		if r.Unreadable || status != 200 || outer == nil || portalError(obj) != "" {
			// one verdict for the whole request: an error, the same for each
			for _, v := range vs {
				if v.err == nil || v != vs[0] {
					t.Fatalf("%d %s: a whole-request verdict must be one error for all", status, body)
				}
				checkVerdict(t, v, string(body))
			}
			return
		}
		results, _ := outer["result"].(map[string]any)
		failures, _ := outer["result_error"].(map[string]any)
		for i, k := range keys {
			v := vs[i]
			checkVerdict(t, v, k+" in "+string(body))
			code := portalError(failures[k])
			switch {
			case v.err == nil && (results[k] != true || code != ""):
				t.Fatalf("%s: %s read as success", body, k)
			case v.err != nil && code != "" && v.err.Code != code:
				t.Fatalf("%s: %s has code %q, not the portal's %q", body, k, v.err.Code, code)
			}
		}
	})
}
