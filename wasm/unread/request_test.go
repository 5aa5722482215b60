package unread

import (
	"net/url"
	"testing"
	"testing/quick"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEscapeMatchesQueryEscape(t *testing.T) {
	for _, s := range []string{"", "chat29", "a b+c&d=e", "é/?#[]", "\x00\xff"} {
		assert.Equal(t, url.QueryEscape(s), unescapedSpace(escape(s)), s)
	}
	assert.NoError(t, quick.Check(func(s string) bool {
		got, err := url.QueryUnescape(escape(s))
		return err == nil && got == s
	}, nil))
}

// unescapedSpace: QueryEscape writes a space as '+', escape as %20; both
// mean a space in a form body.
func unescapedSpace(s string) string {
	u, _ := url.QueryUnescape(s)
	return url.QueryEscape(u)
}

func TestBatchBodyIsWhatThePortalReads(t *testing.T) {
	cmds := []*command{{key: "c0", dialog: "chat29", message: 12}, {key: "c1", dialog: "256", message: 3}}
	form, err := url.ParseQuery(batchBody(cmds, "to/ken+="))
	require.NoError(t, err)
	assert.Equal(t, url.Values{
		"halt":    {"0"},
		"cmd[c0]": {"im.dialog.unread?DIALOG_ID=chat29&MESSAGE_ID=12"},
		"cmd[c1]": {"im.dialog.unread?DIALOG_ID=256&MESSAGE_ID=3"},
		"auth":    {"to/ken+="},
	}, form)
}

func TestSingleBodyIsWhatThePortalReads(t *testing.T) {
	form, err := url.ParseQuery(singleBody(&command{dialog: "sg7", message: 9007199254740991}, "t k"))
	require.NoError(t, err)
	assert.Equal(t, url.Values{"DIALOG_ID": {"sg7"}, "MESSAGE_ID": {"9007199254740991"}, "auth": {"t k"}}, form)
}
