package unread

import "strconv"

// A request body is form-urlencoded: that keeps the POST a CORS "simple"
// request (no preflight) and the token out of the URL.

const method = "im.dialog.unread"

// command is one im.dialog.unread in a request: one dialog, the lowest
// message id its callers asked for, and the callers waiting on it.
type command struct {
	key     string
	dialog  DialogID
	message MessageID
	calls   []*call
}

// singleBody is the form body of a plain im.dialog.unread request.
func singleBody(c *command, token string) string {
	return "DIALOG_ID=" + escape(string(c.dialog)) +
		"&MESSAGE_ID=" + strconv.FormatInt(int64(c.message), 10) +
		"&auth=" + escape(token)
}

// batchBody is the form body of a batch request with halt=0, so every
// command runs whatever happens to the others.
func batchBody(cmds []*command, token string) string {
	b := make([]byte, 0, 16+len(cmds)*80+len(token))
	b = append(b, "halt=0"...)
	for _, c := range cmds {
		b = append(b, "&cmd%5B"...)
		b = append(b, escape(c.key)...)
		b = append(b, "%5D="...)
		b = append(b, escape(method+"?DIALOG_ID="+string(c.dialog)+"&MESSAGE_ID="+strconv.FormatInt(int64(c.message), 10))...)
	}
	b = append(b, "&auth="...)
	b = append(b, escape(token)...)
	return string(b)
}

// escape percent-encodes s for a form body, as url.QueryEscape does, without
// importing net/url.
func escape(s string) string {
	const hex = "0123456789ABCDEF"
	var b []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			if b != nil {
				b = append(b, c)
			}
			continue
		}
		if b == nil {
			b = append(make([]byte, 0, len(s)+8), s[:i]...)
		}
		b = append(b, '%', hex[c>>4], hex[c&15])
	}
	if b == nil {
		return s
	}
	return string(b)
}
