package unread

import (
	"encoding/json"
	"math"
	"reflect"
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
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: got %#v, encoding/json %#v", text, got, want)
		}
	})
}
