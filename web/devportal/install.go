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

// What an app's server needs from a portal besides REST calls: the install, update and
// uninstall events the portal sends to the app's handler (docs/bitrix24.md#f-event-install,
// #f-event-update, #f-event-uninstall), the OAuth server's token endpoint that refreshes a pair with the
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
	version                int    // the installed version: 1 at install, one more at each update
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

// appEventBody is what POST /devportal/install, /devportal/update and /devportal/uninstall
// answer: what was sent and what the app's handler answered.
type appEventBody struct {
	Event            string `json:"event"`
	Handler          string `json:"handler"`
	Status           int    `json:"status"` // the handler's HTTP status; 0 when it did not answer
	Error            string `json:"error,omitempty"`
	ApplicationToken string `json:"applicationToken"`
	MemberID         string `json:"memberId"`
}

// serveAppEvent is POST /devportal/install, /devportal/update or /devportal/uninstall,
// with an optional "handler" (the event handler's URL; default Config.EventHandler) and,
// for install and update, "user" (who installs or updates, default DefaultUser).
//   - install makes a new application_token and sends ONAPPINSTALL (version 1) with a
//     fresh pair of that user (docs/bitrix24.md#f-event-install);
//   - update, for an installed app, makes a new application_token and sends ONAPPUPDATE
//     with VERSION one above PREVIOUS_VERSION and a fresh pair of that user
//     (#f-event-update); without an install it answers 409 and sends nothing;
//   - uninstall sends ONAPPUNINSTALL with no tokens, then revokes every token issued so
//     far, as the portal removes the app's access (#f-event-uninstall).
//
// The event is a form POST, sent whatever the handler answers.
func (p *Portal) serveAppEvent(w http.ResponseWriter, r *http.Request) {
	prm := parseParams(r)
	kind := strings.TrimPrefix(r.URL.Path, "/devportal/")
	cfg := p.config()
	origin := "http://" + r.Host
	p.mu.Lock()
	handler := prm.get("handler")
	if handler == "" {
		handler = p.app.handler
	}
	if handler == "" {
		handler = strings.TrimSuffix(cfg.AppURL, "/") + "/events"
	}
	if kind == "update" && p.app.token == "" {
		p.mu.Unlock()
		writeJSON(w, http.StatusConflict, &apiError{Code: "NOT_INSTALLED", Description: "The app is not installed: nothing to update"})
		return
	}
	form := p.appEventForm(kind, prm)
	form.Set("ts", strconv.FormatInt(time.Now().Unix(), 10))
	form.Set("auth[domain]", r.Host)
	form.Set("auth[server_endpoint]", origin+"/rest/")
	form.Set("auth[client_endpoint]", origin+"/rest/")
	form.Set("auth[member_id]", p.memberID)
	form.Set("auth[application_token]", p.app.token)
	out := appEventBody{Event: form.Get("event"), Handler: handler, ApplicationToken: p.app.token, MemberID: p.memberID}
	if kind == "uninstall" {
		p.app.token = ""
		p.tokens.revokeAll()
	}
	p.mu.Unlock()
	out.Status, out.Error = sendAppEvent(r.Context(), handler, form)
	writeJSON(w, http.StatusOK, out)
}

// appEventForm is the event's own part of the form, the app's install moved on by it.
// Caller holds mu.
func (p *Portal) appEventForm(kind string, prm params) url.Values {
	form := url.Values{}
	form.Set("data[LANGUAGE_ID]", "en")
	if kind == "uninstall" {
		form.Set("event", "ONAPPUNINSTALL")
		form.Set("data[CLEAN]", "1")
		return form
	}
	p.app.token = randomHex(16)
	if kind == "install" {
		p.app.version = 1
		form.Set("event", "ONAPPINSTALL")
		form.Set("data[ACTIVE]", "Y")
		form.Set("data[INSTALLED]", "Y")
	} else {
		form.Set("event", "ONAPPUPDATE")
		form.Set("data[PREVIOUS_VERSION]", strconv.Itoa(p.app.version))
		p.app.version++
	}
	form.Set("data[VERSION]", strconv.Itoa(p.app.version))
	user := int(phpIntval(prm.get("user")))
	if user <= 0 {
		user = DefaultUser
	}
	t := p.tokens.issueAs(user, p.cfg.TokenLifetime)
	form.Set("auth[access_token]", t.Access)
	form.Set("auth[refresh_token]", t.Refresh)
	form.Set("auth[expires_in]", strconv.FormatInt(int64(p.cfg.TokenLifetime/time.Second), 10))
	form.Set("auth[scope]", "im,basic")
	form.Set("auth[status]", "L")
	form.Set("auth[user_id]", strconv.Itoa(user))
	return form
}

// sendAppEvent posts an event's form to the app's handler and returns the HTTP status
// it answered (0 and why, when it did not).
func sendAppEvent(ctx context.Context, handler string, form url.Values) (int, string) {
	ctx, cancel := context.WithTimeout(ctx, eventTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, handler, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, err.Error()
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	res.Body.Close()
	return res.StatusCode, ""
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
