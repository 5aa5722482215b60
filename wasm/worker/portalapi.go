package worker

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/markunread/markunread/wasm/unread"
)

// restBase is the portal's base URL from an install's client_endpoint
// ("https://x.bitrix24.com/rest/" -> "https://x.bitrix24.com"), checked as the module
// checks a portal (https, or plain http on loopback) and against Settings.PortalHosts.
func restBase(clientEndpoint string, hosts []string) (string, *APIError) {
	base := strings.TrimSuffix(strings.TrimSuffix(clientEndpoint, "/"), "/rest")
	checked, err := unread.CheckPortal(base, false)
	if err != nil {
		return "", apiErr(400, CodeBadRequest, "auth[client_endpoint]: "+err.Description)
	}
	if len(hosts) > 0 {
		host := strings.ToLower(checked[strings.Index(checked, "://")+3:])
		if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.HasSuffix(host, "]") {
			host = host[:i]
		}
		ok := false
		for _, h := range hosts {
			if host == strings.TrimPrefix(h, ".") || strings.HasSuffix(host, "."+strings.TrimPrefix(h, ".")) {
				ok = true
			}
		}
		if !ok {
			return "", apiErr(403, CodeBadRequest, "the portal "+host+" is not among the Worker's PORTAL_HOSTS")
		}
	}
	return checked, nil
}

// How often, and how far apart, profile is asked again while the portal's bucket is full.
const (
	profileAttempts = 4
	profileWait     = time.Second
)

// profileUser asks the portal whose access token this is: the method profile answers
// for any token of the app (docs/bitrix24.md#f-profile). It returns the user's ID, or
// TOKEN_REFUSED when the portal does not accept the token.
func profileUser(out Outbound, stop <-chan struct{}, base, accessToken string) (int, *APIError) {
	p, e := askProfile(out, stop, base, accessToken)
	return p.ID, e
}

// portalUser is what profile says of a token's user.
type portalUser struct {
	ID    int
	Admin bool // the portal's ADMIN: an administrator of the portal
}

// askProfile is profileUser with the user's ADMIN flag.
func askProfile(out Outbound, stop <-chan struct{}, base, accessToken string) (portalUser, *APIError) {
	if accessToken == "" {
		return portalUser{}, apiErr(401, CodeTokenRefused, "accessToken is missing")
	}
	status, answer, e := postProfile(out, stop, base, accessToken)
	if e != nil {
		return portalUser{}, e
	}
	var body struct {
		Result struct {
			ID    json.RawMessage `json:"ID"`
			Admin bool            `json:"ADMIN"`
		} `json:"result"`
		Error string `json:"error"`
	}
	if json.Unmarshal([]byte(answer), &body) != nil {
		return portalUser{}, apiErr(502, CodePortalFailed, "the portal's answer to profile is not JSON (HTTP "+itoa(status)+")")
	}
	if status == 401 || status == 403 || body.Error != "" && status >= 400 && status < 500 {
		return portalUser{}, apiErr(403, CodeTokenRefused, "the portal did not accept the access token ("+body.Error+")")
	}
	id, _ := strconv.Unquote(string(body.Result.ID))
	if id == "" {
		id = string(body.Result.ID)
	}
	user, err := strconv.Atoi(id)
	if status != 200 || err != nil || user <= 0 {
		return portalUser{}, apiErr(502, CodePortalFailed, "the portal's answer to profile has no user ID (HTTP "+itoa(status)+")")
	}
	return portalUser{ID: user, Admin: body.Result.Admin}, nil
}

// postProfile sends profile. A full bucket (503) is waited out a few times: other work
// of the app may have spent it (docs/bitrix24.md#f-rate-bucket).
func postProfile(out Outbound, stop <-chan struct{}, base, accessToken string) (int, string, *APIError) {
	for attempt := 0; ; attempt++ {
		status, answer, err := out.Post(stop, base+"/rest/profile", "application/x-www-form-urlencoded",
			"auth="+url.QueryEscape(accessToken))
		if err != nil {
			return 0, "", apiErr(502, CodePortalFailed, "the portal did not answer")
		}
		if status != 503 || attempt == profileAttempts-1 {
			return status, answer, nil
		}
		time.Sleep(profileWait)
	}
}

// tokenPair is a user's tokens.
type tokenPair struct {
	Access  string `json:"access"`
	Refresh string `json:"refresh"`
}

// refreshTokens exchanges a refresh token at the OAuth server with the app's client id
// and secret (docs/bitrix24.md#f-oauth-refresh). The parameters go in a form body, not
// the query the docs show, so the secret is never in a URL.
func refreshTokens(out Outbound, stop <-chan struct{}, s Settings, refresh string) (tokenPair, error) {
	if s.ClientID == "" || s.ClientSecret == "" {
		return tokenPair{}, apiErr(500, CodeNotConfigured, "the Worker has no CLIENT_ID or CLIENT_SECRET")
	}
	form := url.Values{}
	form.Set("grant_type", "refresh_token")
	form.Set("client_id", s.ClientID)
	form.Set("client_secret", s.ClientSecret)
	form.Set("refresh_token", refresh)
	base := s.OAuthURL
	if base == "" {
		base = DefaultOAuthURL
	}
	status, answer, err := out.Post(stop, strings.TrimSuffix(base, "/")+"/oauth/token/", "application/x-www-form-urlencoded", form.Encode())
	if err != nil {
		return tokenPair{}, apiErr(502, CodePortalFailed, "the OAuth server did not answer")
	}
	var body struct {
		Access  string `json:"access_token"`
		Refresh string `json:"refresh_token"`
		Error   string `json:"error"`
	}
	if json.Unmarshal([]byte(answer), &body) != nil || status != 200 || body.Access == "" || body.Refresh == "" {
		code := body.Error
		if code == "" {
			code = "HTTP " + itoa(status)
		}
		return tokenPair{}, apiErr(502, unread.CodeRefreshFailed, "the OAuth server refused the refresh ("+code+")")
	}
	return tokenPair{body.Access, body.Refresh}, nil
}

func itoa(n int) string { return strconv.Itoa(n) }

// jsonProblem is a JSON decoding error in a few words, without the input.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case asError(err, &se):
		return "syntax error at byte " + strconv.FormatInt(se.Offset, 10)
	case asError(err, &te):
		return "field " + te.Field + " must be " + te.Type.String()
	}
	return "unreadable"
}
