package browsertest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
)

// What a test records of the servers and the page: the URLs each server was asked
// for, the REST requests (their tokens and dialogs), the app origin's response
// headers, and the page's console.

// urlLog records the URL of every request.
type urlLog struct {
	mu   sync.Mutex
	urls []string
}

func (l *urlLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		l.urls = append(l.urls, r.URL.String())
		l.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

func (l *urlLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.urls)
}

// restLog records which token each /rest/ request carried and which dialogs
// it marked (a batch's commands included).
type restLog struct {
	mu   sync.Mutex
	reqs []restReq
}

type restReq struct {
	Method  string // im.dialog.unread or batch
	Auth    string
	Dialogs []string
}

func (l *restLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/rest/") || r.Method == http.MethodOptions {
			h.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		req := restReq{Method: strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/rest/"), ".json"), Auth: form.Get("auth")}
		for k, vs := range form {
			switch {
			case strings.EqualFold(k, "DIALOG_ID"):
				req.Dialogs = append(req.Dialogs, vs...)
			case strings.HasPrefix(k, "cmd["):
				for _, v := range vs {
					_, q, _ := strings.Cut(v, "?")
					cq, _ := url.ParseQuery(q)
					req.Dialogs = append(req.Dialogs, cq.Get("DIALOG_ID"))
				}
			}
		}
		l.mu.Lock()
		l.reqs = append(l.reqs, req)
		l.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

func (l *restLog) all() []restReq {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.reqs)
}

// tokensByDialog maps each marked dialog to the tokens that marked it.
func (l *restLog) tokensByDialog() map[string][]string {
	m := map[string][]string{}
	for _, r := range l.all() {
		for _, d := range r.Dialogs {
			if !slices.Contains(m[d], r.Auth) {
				m[d] = append(m[d], r.Auth)
			}
		}
	}
	return m
}

// respLog records the response headers of the app origin by request path.
type respLog struct {
	mu sync.Mutex
	m  map[string][]http.Header
}

func (l *respLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		l.mu.Lock()
		if l.m == nil {
			l.m = map[string][]http.Header{}
		}
		l.m[r.URL.Path] = append(l.m[r.URL.Path], w.Header().Clone())
		l.mu.Unlock()
	})
}

func (l *respLog) headers(path string) []http.Header {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.m[path])
}

// consoleLog collects what a target wrote to its console: console API calls,
// uncaught exceptions and browser log entries (CSP violations among them).
type consoleLog struct {
	mu      sync.Mutex
	entries []consoleEntry
}

type consoleEntry struct {
	Kind   string // "console", "exception" or "log"
	Level  string // log/warning/error/... for console; verbose/info/warning/error for log
	Source string // log entries: "security", "network", "javascript", ...
	Text   string
}

func (e consoleEntry) String() string {
	return e.Kind + "/" + e.Level + "/" + e.Source + ": " + e.Text
}

func (c *consoleLog) add(ev any) {
	var e consoleEntry
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		var parts []string
		for _, a := range ev.Args {
			if a.Type == runtime.RemoteObjectTypeString {
				var s string
				if err := jsonUnquote(a.Value, &s); err == nil {
					parts = append(parts, s)
					continue
				}
			}
			if a.Description != "" {
				parts = append(parts, a.Description)
			} else {
				parts = append(parts, string(a.Value))
			}
		}
		e = consoleEntry{Kind: "console", Level: string(ev.Type), Text: strings.Join(parts, " ")}
	case *runtime.EventExceptionThrown:
		text := ev.ExceptionDetails.Text
		if ex := ev.ExceptionDetails.Exception; ex != nil {
			text += " " + ex.Description
		}
		e = consoleEntry{Kind: "exception", Level: "error", Text: text}
	case *log.EventEntryAdded:
		e = consoleEntry{Kind: "log", Level: string(ev.Entry.Level), Source: string(ev.Entry.Source), Text: ev.Entry.Text}
	default:
		return
	}
	c.mu.Lock()
	c.entries = append(c.entries, e)
	c.mu.Unlock()
}

func (c *consoleLog) all() []consoleEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.entries)
}

func (c *consoleLog) matching(f func(consoleEntry) bool) []consoleEntry {
	var out []consoleEntry
	for _, e := range c.all() {
		if f(e) {
			out = append(out, e)
		}
	}
	return out
}

func jsonUnquote(raw []byte, s *string) error {
	if len(raw) < 2 || raw[0] != '"' {
		return errors.New("not a JSON string")
	}
	return json.Unmarshal(raw, s)
}
