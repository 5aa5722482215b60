package unread

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseJSONReadsTheShapesOfJSONParse(t *testing.T) {
	for _, tc := range []struct {
		text string
		want any
	}{
		{`true`, true},
		{` false `, false},
		{"\n\tnull\r", nil},
		{`0`, 0.0},
		{`-0.5e2`, -50.0},
		{`1E+2`, 100.0},
		{`1e400`, math.Inf(1)}, // JSON.parse: Infinity
		{`"plain"`, "plain"},
		{`"a\"b\\c\/d\b\f\n\r\t"`, "a\"b\\c/d\b\f\n\r\t"},
		{`"\u00e9\u4e2d\ud83d\ude00"`, "é中😀"},
		{`"\ud83d"`, "\uFFFD"},             // a lone high surrogate
		{`"\ude00\ude00"`, "\uFFFD\uFFFD"}, // two lone low ones
		{`"\ud83dx"`, "\uFFFDx"},           // high, then not an escape
		{`"\ud83d\u0041"`, "\uFFFDA"},      // high, then not a low one
		{`"Привет"`, "Привет"},
		{`[]`, []any{}},
		{`{}`, map[string]any{}},
		{`[1, "two", [true], {"k": null}]`, []any{1.0, "two", []any{true}, map[string]any{"k": nil}}},
		{`{"k": 1, "k": 2}`, map[string]any{"k": 2.0}}, // the last wins
		{`{"result":{"result":{"c0":true},"result_error":[],"result_time":{"c0":{"operating":0.5,"operating_reset_at":1764201600}}},"time":{"start":1.5}}`,
			map[string]any{
				"result": map[string]any{
					"result":       map[string]any{"c0": true},
					"result_error": []any{},
					"result_time":  map[string]any{"c0": map[string]any{"operating": 0.5, "operating_reset_at": 1764201600.0}},
				},
				"time": map[string]any{"start": 1.5},
			}},
	} {
		got, err := ParseJSON(tc.text)
		require.NoError(t, err, tc.text)
		assert.Equal(t, tc.want, got, tc.text)
	}
}

func TestParseJSONRefusesWhatJSONParseRefuses(t *testing.T) {
	for _, text := range []string{
		``, ` `, `<html>`, `{`, `[1,]`, `{"a":1,}`, `{"a" 1}`, `{a:1}`, `[1 2]`, `01`, `+1`, `1.`, `.5`, `1e`, `-`,
		`"unterminated`, `"bad \x escape"`, `"\u12"`, "\"tab\tinside\"", `tru`, `nul`, `true false`, `{"a":1}}`,
		`'single'`, `NaN`, `Infinity`,
	} {
		_, err := ParseJSON(text)
		assert.Error(t, err, "%q", text)
	}
	_, err := ParseJSON(strings.Repeat("[", maxJSONDepth+1) + strings.Repeat("]", maxJSONDepth+1))
	assert.ErrorContains(t, err, "nesting")
	_, err = ParseJSON(strings.Repeat("[", maxJSONDepth) + strings.Repeat("]", maxJSONDepth))
	assert.NoError(t, err)
}

// FuzzParseJSON checks ParseJSON against encoding/json on any text a
// browser could hand over (valid UTF-8): the same verdict on validity,
// and the same value wherever encoding/json can hold it.
func FuzzParseJSON(f *testing.F) {
	for _, s := range []string{
		`{"result":{"result":{"c0":true},"result_error":{"c1":{"error":"X","error_description":"y"}}}}`,
		`[1,-2.5e3,"\u00e9\ud83d\ude00",null,true,false,{}]`,
		`"\ud800\udc00\ud800"`,
		`{"k":1,"k":[2]}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if !utf8.ValidString(text) {
			return // a JavaScript string reaches Go as valid UTF-8
		}
		got, err := ParseJSON(text)
		if !json.Valid([]byte(text)) {
			if err == nil {
				t.Fatalf("%q: accepted, encoding/json refuses it", text)
			}
			return
		}
		if err != nil {
			if strings.Contains(err.Error(), "nesting") {
				return
			}
			t.Fatalf("%q: %v", text, err)
		}
		var want any
		if json.Unmarshal([]byte(text), &want) != nil {
			return // a number out of float64's range: JSON.parse gives ±Infinity
		}
		if !sameJSON(got, want) {
			t.Fatalf("%q: got %#v, encoding/json %#v", text, got, want)
		}
	})
}

// sameJSON is reflect.DeepEqual, but for numbers outside numberValue's
// exact range, which may differ in the last few places.
func sameJSON(a, b any) bool {
	switch a := a.(type) {
	case map[string]any:
		b, ok := b.(map[string]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for k, v := range a {
			if w, ok := b[k]; !ok || !sameJSON(v, w) {
				return false
			}
		}
		return true
	case []any:
		b, ok := b.([]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !sameJSON(a[i], b[i]) {
				return false
			}
		}
		return true
	case float64:
		b, ok := b.(float64)
		return ok && closeFloat(a, b)
	}
	return reflect.DeepEqual(a, b)
}

func closeFloat(a, b float64) bool {
	return a == b || math.Abs(a-b) <= 1e-12*math.Max(math.Abs(a), math.Abs(b))
}

// FuzzParseNumber checks numberValue against strconv.ParseFloat: equal
// where it says it is exact, within 1e-12 of it elsewhere.
func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"0", "-0", "1764201600.123456", "9007199254740993", "1e22", "1e23", "123456789012345678901234567890",
		"0.000000000000000000000000001", "4.9e-324", "1.7976931348623157e308", "2.2250738585072014e-308", "-12.5E-3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		got, ok := ParseNumber(text)
		want, err := strconv.ParseFloat(text, 64)
		if !json.Valid([]byte(text)) || !ok {
			if ok {
				t.Fatalf("%q: read as a number, JSON refuses it", text)
			}
			return
		}
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			t.Fatalf("%q: a JSON number strconv refuses: %v", text, err)
		}
		_, exact := numberValue(text)
		if exact && got != want {
			t.Fatalf("%q: %v, exactly %v", text, got, want)
		}
		if !closeFloat(got, want) && !(math.Abs(want) < 1e-300) {
			t.Fatalf("%q: %v, not close to %v", text, got, want)
		}
	})
}
