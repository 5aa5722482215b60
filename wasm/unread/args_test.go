package unread

import (
	"math"
	"strings"
	"testing"
	"testing/synctest"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseDialogIDAcceptsWhatThePortalAccepts(t *testing.T) {
	for _, tc := range []struct {
		arg  Arg
		want DialogID
	}{
		{String("chat29"), "chat29"},
		{String("CHAT29"), "chat29"},
		{String("sg7"), "sg7"},
		{String("crm3"), "crm3"},
		{String("256"), "256"},
		{Number(256), "256"},
		{Number(maxSafeInteger), "9007199254740991"},
	} {
		got, err := ParseDialogID(tc.arg)
		require.Nil(t, err, "%+v", tc.arg)
		assert.Equal(t, tc.want, got)
	}
}

func TestParseDialogIDRefusesWithDialogIDEmpty(t *testing.T) {
	for _, tc := range []struct {
		arg      Arg
		describe string
	}{
		{Arg{Type: "undefined"}, "not undefined"},
		{Arg{Type: "null"}, "not null"},
		{Arg{Type: "array"}, "not an array"},
		{Arg{Type: "object"}, "not an object"},
		{Arg{Type: "boolean"}, "not a boolean"},
		{String(""), "empty string"},
		{String("chat 29"), `"chat 29" is not a dialog id`},
		{String("chat"), `"chat" is not`},
		{String("chat29 "), `"chat29 "`},
		{String("user29"), `"user29"`},
		{String("-5"), `"-5"`},
		{String("chat\x0029"), `"chat\x0029"`},
		{Number(0), "0 is not a positive safe integer"},
		{Number(-3), "-3 is not"},
		{Number(1.5), "1.5 is not"},
		{Number(math.NaN()), "NaN is not"},
		{Number(math.Inf(1)), "+Inf is not"},
		{Number(1 << 53), "9.007199254740992e+15 is not"},
	} {
		_, err := ParseDialogID(tc.arg)
		require.NotNil(t, err, "%+v", tc.arg)
		assert.Equal(t, CodeDialogID, err.Code)
		assert.Contains(t, err.Description, tc.describe)
	}
}

func TestParseMessageIDAcceptsPositiveSafeIntegersAndTheirDecimalStrings(t *testing.T) {
	for _, tc := range []struct {
		arg  Arg
		want MessageID
	}{
		{Number(12), 12},
		{String("12"), 12},
		{Number(maxSafeInteger), maxSafeInteger},
		{String("9007199254740991"), maxSafeInteger},
	} {
		got, err := ParseMessageID(tc.arg)
		require.Nil(t, err, "%+v", tc.arg)
		assert.Equal(t, tc.want, got)
	}
}

func TestParseMessageIDRefusesWithMessageIDError(t *testing.T) {
	for _, tc := range []struct {
		arg      Arg
		describe string
	}{
		{Arg{Type: "null"}, "not null"},
		{Arg{Type: "undefined"}, "not undefined"},
		{Arg{Type: "bigint"}, "not a bigint"},
		{Number(-1), "-1 is not a positive safe integer"},
		{Number(0), "0 is not"},
		{Number(1.5), "1.5 is not"},
		{Number(1<<53 + 2), "9.007199254740994e+15 is not"},
		{String(""), "empty string"},
		{String("12abc"), `"12abc" is not a plain positive decimal integer`},
		{String("012"), `"012"`},
		{String("+12"), `"+12"`},
		{String("1e3"), `"1e3"`},
		{String(" 12"), `" 12"`},
		{String("0"), `"0"`},
		{String("9007199254740992"), "above 2^53-1"},
		{String("99999999999999999999999"), "above 2^53-1"},
		{String("١٢"), `"١٢"`}, // Arabic-Indic digits are not ASCII digits
	} {
		_, err := ParseMessageID(tc.arg)
		require.NotNil(t, err, "%+v", tc.arg)
		assert.Equal(t, CodeMessageID, err.Code)
		assert.Contains(t, err.Description, tc.describe)
	}
}

func TestDescriptionsCutLongValuesWithoutSplittingCharacters(t *testing.T) {
	_, err := ParseDialogID(String("chat-" + strings.Repeat("é", 40)))
	require.NotNil(t, err)
	assert.Contains(t, err.Description, `"...`)
	assert.True(t, utf8.ValidString(err.Description))
	assert.NotContains(t, err.Description, `\x`)
}

func TestTheArgumentsAreCheckedInThePortalsOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakePortal()
		c := newTestClient(t, p, Config{})
		err := c.Mark(MarkRequest{Dialog: String(""), Message: Number(0)})
		require.NotNil(t, err)
		assert.Equal(t, CodeMessageID, err.Code, "MESSAGE_ID is checked first")
		err = c.Mark(MarkRequest{Dialog: String("0"), Message: Number(5)})
		require.NotNil(t, err)
		assert.Equal(t, CodeDialogID, err.Code)
		err = c.Mark(MarkRequest{Dialog: Number(0), Message: Number(5)})
		require.NotNil(t, err)
		assert.Equal(t, CodeDialogID, err.Code)
		assert.Empty(t, p.requests)
		assert.Equal(t, Stats{Settled: 3, Failed: 3}, c.Stats(), "each refused call counted once")
	})
}
