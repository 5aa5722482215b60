package worker

import (
	"strings"
	"time"
)

// Store is a Durable Object's storage as the portal's object uses it: string keys and
// string values, and one alarm. Every write is durable once it returns.
type Store interface {
	Get(key string) (value string, ok bool, err error)
	Put(entries map[string]string) error
	Delete(keys ...string) error
	// List returns every entry whose key starts with prefix.
	List(prefix string) (map[string]string, error)
	DeleteAll() error
	// Alarm returns the alarm's time; ok is false when none is set.
	Alarm() (at time.Time, ok bool, err error)
	SetAlarm(at time.Time) error
	DeleteAlarm() error
}

// Outbound is the Worker's only way out: one POST of body to url. It returns the
// answer's status and body, or an error when no answer came (stop closed first, or the
// network failed). Whoever calls it has checked the host (see Install.restBase,
// Settings.OAuthURL): the Worker never becomes a relay.
type Outbound interface {
	Post(stop <-chan struct{}, url, contentType, body string) (status int, answer string, err error)
}

// Asset is one static file as the asset store gave it.
type Asset struct {
	Status int // 200 when found
	Body   []byte
}

// Assets are the app's static files (the page, the module's files).
type Assets interface {
	Get(path string) (Asset, error)
}

// Objects reaches the Durable Object of the portal with member_id: an internal POST of
// body to path, answered with a status and a body.
type Objects interface {
	Call(memberID, path string, body []byte) (status int, answer []byte, err error)
}

// Settings are the Worker's secrets and variables.
type Settings struct {
	ClientID     string // the app's OAuth client id (Worker secret CLIENT_ID)
	ClientSecret string // and secret (CLIENT_SECRET); neither ever reaches a page
	TokenKey     string // key material for tokens at rest (TOKEN_KEY), at least 32 characters
	// OAuthURL is the OAuth server's base URL (OAUTH_URL), default DefaultOAuthURL. Its
	// /oauth/token/ refreshes tokens.
	OAuthURL string
	// PortalHosts, when set (PORTAL_HOSTS, comma-separated), are the host suffixes an
	// install may name as its portal, e.g. ".bitrix24.com"; empty: any https host.
	PortalHosts []string
	// BuildID names this build of the assets (BUILD_ID); a URL that carries ?v=BuildID
	// is cached for a year.
	BuildID string
}

// DefaultOAuthURL is Bitrix24's OAuth server (docs/bitrix24.md#f-oauth-refresh).
const DefaultOAuthURL = "https://oauth.bitrix.info"

// ParseHosts splits a PORTAL_HOSTS value.
func ParseHosts(s string) []string {
	var hosts []string
	for h := range strings.SplitSeq(s, ",") {
		if h = strings.TrimSpace(strings.ToLower(h)); h != "" {
			hosts = append(hosts, h)
		}
	}
	return hosts
}

// Clock is the time, injected so tests decide it.
type Clock func() time.Time
