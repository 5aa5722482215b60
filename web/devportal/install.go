package devportal

import (
	"context"
	"crypto/subtle"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// What an app's server needs from a portal besides REST calls: the install and uninstall
// events the portal sends to the app's handler (docs/bitrix24.md#f-event-install,
// #f-event-uninstall), the OAuth server's token endpoint that refreshes a pair with the
// app's client id and secret (#f-oauth-refresh), and profile, the method that tells whose
// token it is (#f-profile).
//
// The OAuth server is another host on the real service (its server_endpoint); here it is
// /oauth/token/ on the portal's own origin, and events name that origin's /rest/ as
// server_endpoint.

// appInstall is the app's install on the portal. Caller holds mu for every field.
type appInstall struct {
	clientID, clientSecret string
	handler                string // where events go; empty: AppURL + "events"
	token                  string // application_token of the current install; "" when not installed
}

func (a *appInstall) init(cfg Config) {
	a.clientID, a.clientSecret, a.handler = cfg.ClientID, cfg.ClientSecret, cfg.EventHandler
	if a.clientID == "" {
		a.clientID = DefaultClientID
	}
	if a.clientSecret == "" {
		a.clientSecret = randomHex(20)
	}
}

// App returns the app's OAuth client id and secret, and the application_token of its
// current install ("" when it is not installed).
func (p *Portal) App() (clientID, clientSecret, applicationToken string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.app.clientID, p.app.clientSecret, p.app.token
}

// MemberID is the portal's member_id, as the launch form and events carry it.
func (p *Portal) MemberID() string { return p.memberID }

// eventTimeout bounds how long the portal waits for the app's handler.
const eventTimeout = 30 * time.Second

// appEventBody is what POST /devportal/install and /devportal/uninstall answer: what was
// sent and what the app's handler answered.
type appEventBody struct {
	Event            string `json:"event"`
	Handler          string `json:"handler"`
	Status           int    `json:"status"` // the handler's HTTP status; 0 when it did not answer
	Error            string `json:"error,omitempty"`
	ApplicationToken string `json:"applicationToken"`
	MemberID         string `json:"memberId"`
}

// serveAppEvent is POST /devportal/install or /devportal/uninstall, with an optional
// "handler" (the event handler's URL; default Config.EventHandler) and, for install,
// "user" (who installs, default DefaultUser). Install makes a new application_token and
// sends ONAPPINSTALL with a fresh pair of that user; uninstall sends ONAPPUNINSTALL with
// no tokens, then revokes every token issued so far, as the portal removes the app's
// access (docs/bitrix24.md#f-event-uninstall). The event is a form POST, sent whatever
// the handler answers.
func (p *Portal) serveAppEvent(w http.ResponseWriter, r *http.Request) {
	prm := parseParams(r)
	install := r.URL.Path == "/devportal/install"
	cfg := p.config()
	origin := "http://" + r.Host
	form := url.Values{}
	p.mu.Lock()
	handler := prm.get("handler")
	if handler == "" {
		handler = p.app.handler
	}
	if handler == "" {
		handler = strings.TrimSuffix(cfg.AppURL, "/") + "/events"
	}
	event := "ONAPPUNINSTALL"
	if install {
		event = "ONAPPINSTALL"
		p.app.token = randomHex(16)
		user := int(phpIntval(prm.get("user")))
		if user <= 0 {
			user = DefaultUser
		}
		t := p.tokens.issueAs(user, p.cfg.TokenLifetime)
		form.Set("data[VERSION]", "1")
		form.Set("data[ACTIVE]", "Y")
		form.Set("data[INSTALLED]", "Y")
		form.Set("data[LANGUAGE_ID]", "en")
		form.Set("auth[access_token]", t.Access)
		form.Set("auth[refresh_token]", t.Refresh)
		form.Set("auth[expires_in]", strconv.FormatInt(int64(p.cfg.TokenLifetime/time.Second), 10))
		form.Set("auth[scope]", "im,basic")
		form.Set("auth[status]", "L")
		form.Set("auth[user_id]", strconv.Itoa(user))
	} else {
		form.Set("data[LANGUAGE_ID]", "en")
		form.Set("data[CLEAN]", "1")
	}
	form.Set("event", event)
	form.Set("ts", strconv.FormatInt(time.Now().Unix(), 10))
	form.Set("auth[domain]", r.Host)
	form.Set("auth[server_endpoint]", origin+"/rest/")
	form.Set("auth[client_endpoint]", origin+"/rest/")
	form.Set("auth[member_id]", p.memberID)
	form.Set("auth[application_token]", p.app.token)
	out := appEventBody{Event: event, Handler: handler, ApplicationToken: p.app.token, MemberID: p.memberID}
	if !install {
		p.app.token = ""
		p.tokens.revokeAll()
	}
	p.mu.Unlock()

	ctx, cancel := context.WithTimeout(r.Context(), eventTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, handler, strings.NewReader(form.Encode()))
	if err == nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		var res *http.Response
		if res, err = http.DefaultClient.Do(req); err == nil {
			out.Status = res.StatusCode
			res.Body.Close()
		}
	}
	if err != nil {
		out.Error = err.Error()
	}
	writeJSON(w, http.StatusOK, out)
}

// oauthTokenBody is the OAuth server's answer to a grant (docs/bitrix24.md#f-oauth-refresh).
type oauthTokenBody struct {
	AccessToken    string `json:"access_token"`
	ClientEndpoint string `json:"client_endpoint"`
	Domain         string `json:"domain"`
	ExpiresIn      int64  `json:"expires_in"`
	MemberID       string `json:"member_id"`
	RefreshToken   string `json:"refresh_token"`
	Scope          string `json:"scope"`
	ServerEndpoint string `json:"server_endpoint"`
	Status         string `json:"status"`
}

var (
	errOAuthRequest = &apiError{http.StatusBadRequest, "invalid_request", "An incorrectly formatted authorization request was provided"}
	errOAuthClient  = &apiError{http.StatusUnauthorized, "invalid_client", "Invalid client data was provided"}
)

// serveOAuthToken is the OAuth server's /oauth/token/: grant_type=refresh_token with
// client_id, client_secret and refresh_token, in the query (as the docs show it) or a
// form body. A wrong client id or secret is invalid_client, an unknown or used refresh
// token invalid_grant; the new pair acts as the same user. Other grants are
// invalid_request: the app's server never gets an authorization code here.
func (p *Portal) serveOAuthToken(w http.ResponseWriter, r *http.Request) {
	prm := parseParams(r)
	if prm.get("grant_type") != "refresh_token" || prm.get("refresh_token") == "" {
		writeJSON(w, errOAuthRequest.Status, errOAuthRequest)
		return
	}
	id, secret, _ := p.App()
	if !constantTimeEqual(prm.get("client_id"), id) || !constantTimeEqual(prm.get("client_secret"), secret) {
		writeJSON(w, errOAuthClient.Status, errOAuthClient)
		return
	}
	t, err := p.Refresh(prm.get("refresh_token"))
	if err != nil {
		writeJSON(w, errInvalidGrantJSON.Status, errInvalidGrantJSON)
		return
	}
	origin := "http://" + r.Host
	writeJSON(w, http.StatusOK, oauthTokenBody{
		AccessToken:    t.Access,
		ClientEndpoint: origin + "/rest/",
		Domain:         r.Host,
		ExpiresIn:      int64(p.config().TokenLifetime / time.Second),
		MemberID:       p.memberID,
		RefreshToken:   t.Refresh,
		Scope:          "app",
		ServerEndpoint: origin + "/rest/",
		Status:         "L",
	})
}

// profile is the method every token may call (docs/bitrix24.md#f-profile): who the
// token's user is. Caller holds mu; auth was checked.
func (p *Portal) profile(prm params) (any, *apiError) {
	user := p.tokens.user[prm.get("auth")]
	return orderedMap{
		{"ID", strconv.Itoa(user)},
		{"ADMIN", user == DefaultUser},
		{"NAME", people[user%len(people)]},
		{"LAST_NAME", ""},
		{"PERSONAL_GENDER", ""},
		{"TIME_ZONE", ""},
	}, nil
}

// constantTimeEqual compares secrets without telling by its timing how much matched.
func constantTimeEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
