package devportal

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMessengerCountsUnreadFromTheLowestMarkToTheLastMessage(t *testing.T) {
	f := newFixture(t, Config{})
	requireOK(t, f.mark("Chat29", "12"))
	v := f.p.Messenger(0)
	require.Len(t, v.Dialogs, 1)
	d := v.Dialogs[0]
	assert.Equal(t, "chat29", d.ID)
	assert.GreaterOrEqual(t, d.Messages, int64(12), "chat29 has at least 12 messages")
	assert.Equal(t, int64(12), d.UnreadFrom)
	assert.Equal(t, d.Messages-11, d.Unread, "messages 12..last are unread")

	requireOK(t, f.mark("chat29", "15")) // covered by the mark from 12
	assert.Equal(t, int64(12), f.p.Messenger(0).Dialogs[0].UnreadFrom)
	requireOK(t, f.mark("chat29", "3"))
	d = f.p.Messenger(0).Dialogs[0]
	assert.Equal(t, int64(3), d.UnreadFrom)
	assert.Equal(t, d.Messages-2, d.Unread)
	assert.Equal(t, d.Unread, f.p.Messenger(0).UnreadMessages)
	assert.NotEmpty(t, d.Name)
	assert.NotEmpty(t, d.LastMessage)
}

func TestMessengerMarkPastTheLastMessageIsAcceptedAndCountsNothing(t *testing.T) {
	f := newFixture(t, Config{})
	requireOK(t, f.mark("sg4", "100000"))
	d := f.p.Messenger(0).Dialogs[0]
	assert.Equal(t, int64(100000), d.UnreadFrom)
	assert.Zero(t, d.Unread)
}

func TestMessengerListsTheMostRecentlyMarkedFirstWithinTheLimit(t *testing.T) {
	f := newFixture(t, Config{})
	for _, d := range []string{"chat1", "chat2", "chat10", "256", "crm7"} {
		requireOK(t, f.mark(d, "1"))
	}
	requireOK(t, f.mark("chat2", "1")) // marked again: back on top
	v := f.p.Messenger(3)
	var ids []string
	for _, d := range v.Dialogs {
		ids = append(ids, d.ID)
	}
	assert.Equal(t, []string{"chat2", "crm7", "256"}, ids)
	assert.Equal(t, 5, v.Total, "the total counts the dialogs left out")
	var sum int64
	for _, d := range f.p.Messenger(0).Dialogs {
		sum += d.Unread
	}
	assert.Equal(t, sum, v.UnreadMessages, "totals cover every dialog")
	assert.Contains(t, v.Dialogs[2].Name, "256", "a private dialog names its user")
}

func TestMessengerFollowsBatchCommandsAndResets(t *testing.T) {
	f := newFixture(t, Config{})
	w := f.form("batch", url.Values{"auth": {f.token}, "halt": {"0"},
		"cmd[a]": {"im.dialog.unread?DIALOG_ID=chat5&MESSAGE_ID=2"},
		"cmd[b]": {"im.dialog.unread?DIALOG_ID=chat%206&MESSAGE_ID=2"}})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	v := f.p.Messenger(0)
	require.Len(t, v.Dialogs, 1, "only the accepted command marks")
	assert.Equal(t, "chat5", v.Dialogs[0].ID)
	f.p.Reset(Config{})
	assert.Equal(t, MessengerView{Dialogs: []DialogView{}}, f.p.Messenger(0))
}

// readEvent reads the next "state" event of a /devportal/events stream.
func readEvent(t *testing.T, r *bufio.Reader) eventsBody {
	t.Helper()
	var name, data string
	for {
		line, err := r.ReadString('\n')
		require.NoError(t, err)
		line = strings.TrimRight(line, "\n")
		switch {
		case strings.HasPrefix(line, "event: "):
			name = line[len("event: "):]
		case strings.HasPrefix(line, "data: "):
			data = line[len("data: "):]
		case line == "" && data != "":
			require.Equal(t, "state", name)
			var b eventsBody
			require.NoError(t, json.Unmarshal([]byte(data), &b))
			return b
		}
	}
}

func TestEventsStreamTheMessengerAsMarksArrive(t *testing.T) {
	p := New(Config{})
	token := p.IssueToken().Access
	srv := httptest.NewServer(p.Handler())
	defer srv.Close()

	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(srv.URL + "/devportal/events?limit=2")
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	r := bufio.NewReader(resp.Body)
	first := readEvent(t, r)
	assert.Zero(t, first.Messenger.Total)
	assert.Zero(t, first.Stats.Requests)

	for _, d := range []string{"chat1", "chat2", "chat3"} {
		mr, err := client.PostForm(srv.URL+"/rest/im.dialog.unread", url.Values{"auth": {token}, "DIALOG_ID": {d}, "MESSAGE_ID": {"1"}})
		require.NoError(t, err)
		mr.Body.Close()
	}
	// Marks close together arrive as one event or a few; the last one shows all three.
	var last eventsBody
	for last.Messenger.Total < 3 {
		last = readEvent(t, r)
	}
	require.Len(t, last.Messenger.Dialogs, 2, "the list is bounded by limit")
	assert.Equal(t, "chat3", last.Messenger.Dialogs[0].ID)
	assert.Equal(t, 3, last.Stats.Requests)
}

func TestPortalServesAnIcon(t *testing.T) {
	f := newFixture(t, Config{})
	for _, path := range []string{"/favicon.ico", "/favicon.svg"} {
		w := f.do(http.MethodGet, path, "", "")
		assert.Equal(t, http.StatusOK, w.Code, path)
		assert.Equal(t, "image/svg+xml", w.Header().Get("Content-Type"))
		assert.True(t, strings.HasPrefix(w.Body.String(), "<svg"), path)
	}
	page := f.do(http.MethodGet, "/", "", "").Body.String()
	assert.Contains(t, page, `<link rel="icon" href="/favicon.svg"`)
}
