package devportal

import (
	_ "embed"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

//go:embed parent.html.tmpl
var parentHTML string

var parentTmpl = template.Must(template.New("parent").Parse(parentHTML))

// frameData is one hosted app iframe.
type frameData struct {
	Name    string // window.name: "DOMAIN|PROTOCOL|APP_SID"
	Action  string // AppURL + page + ?DOMAIN=..&PROTOCOL=0&LANG=en&APP_SID=..
	AppSID  string
	Fields  []field        // the launch form's POST fields
	Init    map[string]any // getInitData answer
	Refresh string         // current refresh token
}

type field struct{ Name, Value string }

type parentData struct {
	AppOrigin string
	Page      string
	Frames    []frameData
}

// serveParent serves the parent page: a portal-like frame hosting the app page (query
// "page", default "/") in one or two iframes ("frames") on the app origin. Each iframe
// gets its own token and APP_SID, is named "DOMAIN|PROTOCOL|APP_SID" and is loaded by an
// auto-submitted form POST, as Bitrix24 does. The page's script answers the app's
// postMessage commands (getInitData, refreshAuth, ...) and polls /devportal/state.
func (p *Portal) serveParent(w http.ResponseWriter, r *http.Request) {
	cfg := p.config()
	page := r.URL.Query().Get("page")
	if page == "" || !strings.HasPrefix(page, "/") || strings.HasPrefix(page, "//") {
		page = "/"
	}
	n := 1
	if r.URL.Query().Get("frames") == "2" {
		n = 2
	}
	appURL, err := url.Parse(cfg.AppURL)
	if err != nil || appURL.Host == "" {
		http.Error(w, "bad AppURL", http.StatusInternalServerError)
		return
	}
	appOrigin := appURL.Scheme + "://" + appURL.Host
	base := strings.TrimSuffix(cfg.AppURL, "/")
	domain := r.Host
	data := parentData{AppOrigin: appOrigin, Page: page}
	for range n {
		tok := p.IssueToken()
		sid := randomHex(16)
		expiresIn := strconv.FormatInt(int64(time.Until(tok.Expires).Round(time.Second)/time.Second), 10)
		// The portal adds its launch parameters to the app's own URL: a query the
		// page already has (e.g. "/?csp=strict") is kept.
		action, _ := url.Parse(base + page)
		q := action.Query()
		q.Set("DOMAIN", domain)
		q.Set("PROTOCOL", "0")
		q.Set("LANG", "en")
		q.Set("APP_SID", sid)
		action.RawQuery = q.Encode()
		expires, _ := strconv.Atoi(expiresIn)
		data.Frames = append(data.Frames, frameData{
			Name:   domain + "|0|" + sid,
			Action: action.String(),
			AppSID: sid,
			Fields: []field{
				{"AUTH_ID", tok.Access},
				{"AUTH_EXPIRES", expiresIn},
				{"REFRESH_ID", tok.Refresh},
				{"member_id", p.memberID},
				{"status", "L"},
				{"PLACEMENT", "DEFAULT"},
				{"PLACEMENT_OPTIONS", "{}"},
			},
			Init: map[string]any{
				"AUTH_ID":           tok.Access,
				"REFRESH_ID":        tok.Refresh,
				"AUTH_EXPIRES":      expires,
				"DOMAIN":            domain,
				"PROTOCOL":          0,
				"PATH":              "/rest",
				"LANG":              "en",
				"MEMBER_ID":         p.memberID,
				"PLACEMENT":         "DEFAULT",
				"PLACEMENT_OPTIONS": map[string]any{},
				"IS_ADMIN":          false,
				"INSTALL":           false,
				"FIRST_RUN":         false,
				"USER_OPTIONS":      map[string]any{},
				"APP_OPTIONS":       map[string]any{},
			},
			Refresh: tok.Refresh,
		})
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = parentTmpl.Execute(w, data)
}
