// Package unread is the module's core: everything that decides what happens
// to a markUnread call, written in plain Go so it builds and tests natively.
//
// A call is checked with the server's own rules (ParseDialogID,
// ParseMessageID), queued in a Client, and sent under a leaky Bucket that
// mirrors the portal's limiter. Calls that wait together go as one batch
// request, marks of the same dialog merge into one command, failures are
// retried when retrying is safe, and an expired token is refreshed once for
// everybody. Every call ends exactly once: nil, or an *Error with a code.
//
// The package talks to the outside through two interfaces, Transport (one
// REST request) and Auth (a token and its refresh); package browser
// implements both with syscall/js. It imports no reflection-heavy package
// (fmt, encoding/json, net/url): each costs hundreds of KB in every page
// that loads the module.
package unread
