// Package devportal is a local emulator of a Bitrix24 portal, faithful to the facts in
// docs/bitrix24.md (each fact has an ID there; comments here cite them): the REST endpoint
// (im.dialog.unread, app.info and batch) with its leaky bucket, operating-time limit,
// tokens and error answers; the parent page that hosts the app in an iframe on another
// origin and speaks the portal side of the postMessage protocol; control endpoints for
// tests; and optional injected faults.
//
// The model, in short:
//   - a moved portal (Config.MovedTo) answers every /rest/ request with a 302 and nothing
//     else (docs/bitrix24.md#f-moved-302);
//   - every other /rest/ request passes the portal's leaky bucket (see leakyBucket), then
//     the method lookup (404), auth (param "auth"), the operating-time limit, then the
//     method (docs/bitrix24.md#f-check-order);
//   - a batch is one request in the bucket and carries up to 50 commands, each checked on
//     its own like a single call;
//   - im.dialog.unread records state[lower(DIALOG_ID)] = min(existing, MESSAGE_ID), and the
//     messenger's counter of that dialog follows (see dialog);
//   - a fault-injected request never records anything, so "true" always means recorded;
//   - with Config.Latency the answer is computed on arrival and written later.
package devportal

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"sync"
	"time"
)

// Config configures a Portal. Zero fields mean the defaults noted beside them.
type Config struct {
	Rate            float64       // bucket drain per second, default 2 (5 on an enterprise License)
	Burst           int           // bucket size, default 50 (250 on an enterprise License)
	Prefill         float64       // bucket counter at start (another app already used it)
	OtherApp        OtherApp      // another app spending the same bucket from the start on; none by default
	OperatingBudget time.Duration // per-method execution-time budget in OperatingWindow, default 480s
	OperatingWindow time.Duration // default 10m, in 10 baskets
	CommandCost     time.Duration // simulated execution time per command; 0 => real measured time
	TokenLifetime   time.Duration // default 3600s
	AppURL          string        // where the parent page's iframes post, default "http://localhost:8081/"
	Faults          Faults        // off by default

	// License is what app.info answers as LICENSE, "<lang>_<type>", default "en_pro". A
	// type starting with "ent" (ent250 ... ent10000) makes the default bucket 5/250
	// (docs/bitrix24.md#f-rate-plan).
	License string
	// SelfHosted makes a self-hosted portal: no operating/operating_reset_at in answers, no
	// operating-time limit, app.info LICENSE "<lang>_selfhosted"
	// (docs/bitrix24.md#f-otl-cloud-only).
	SelfHosted bool
	// MovedTo, when set, is the portal's new base URL: every /rest/ request answers 302
	// with Location MovedTo + the request's path and query.
	MovedTo string
	// Latency delays every /rest/ answer; the bucket counts the request when it arrives.
	Latency time.Duration
	// RequestCap is the longest a /rest/ request may take, default 60s
	// (docs/bitrix24.md#f-req-60s): an answer that would come later is cut at the cap with
	// HTTP 504 and an HTML page, without CORS headers.
	RequestCap time.Duration
	// NoCORSOn503 drops the CORS headers from 503 QUERY_LIMIT_EXCEEDED answers
	// (docs/bitrix24.md#f-cors-503).
	NoCORSOn503 bool
	// ClientID and ClientSecret are the app's OAuth credentials, which the OAuth server's
	// token endpoint checks (install.go); defaults DefaultClientID and a random secret.
	ClientID, ClientSecret string
	// EventHandler is where the portal sends the app's events (ONAPPINSTALL,
	// ONAPPUNINSTALL), default AppURL + "events".
	EventHandler string

	// Blocks makes a method answer OPERATION_TIME_LIMIT for the given time from New or
	// Reset, whatever its operating time (a test aid; "batch" may be blocked too, though a
	// real portal never blocks it).
	Blocks map[string]time.Duration
}

// Faults injects failures into /rest/ requests. With Rate > 0 each request is faulted with
// that probability, drawn from a math/rand source seeded with Seed (deterministic for a
// given order of requests); the kind is drawn uniformly from Kinds (default: all kinds,
// see FaultKinds).
type Faults struct {
	Rate  float64  `json:"rate"`
	Seed  int64    `json:"seed"`
	Kinds []string `json:"kinds"`
}

// Defaults.
const (
	DefaultRate            = 2
	DefaultBurst           = 50
	DefaultOperatingBudget = 480 * time.Second
	DefaultOperatingWindow = 10 * time.Minute
	DefaultTokenLifetime   = 3600 * time.Second
	DefaultAppURL          = "http://localhost:8081/"
	DefaultLicense         = "en_pro"
	DefaultRequestCap      = 60 * time.Second

	DefaultClientID = "local.markunread.devportal"
	DefaultUser     = 1 // the user the parent page's tokens act as, an admin

	EnterpriseRate  = 5
	EnterpriseBurst = 250
)

// IsEnterpriseLicense reports whether an app.info LICENSE ("ru_ent250") is an Enterprise
// plan, which gets the 5/250 bucket: its type starts with "ent". The docs name only
// ent250 ... ent10000 "Enterprise"; ent and entholding* are counted in by this emulator.
func IsEnterpriseLicense(license string) bool {
	_, typ, _ := strings.Cut(license, "_")
	return strings.HasPrefix(typ, "ent")
}

func (c Config) withDefaults() Config {
	if c.License == "" {
		c.License = DefaultLicense
	}
	ent := IsEnterpriseLicense(c.License)
	if c.Rate <= 0 {
		c.Rate = DefaultRate
		if ent {
			c.Rate = EnterpriseRate
		}
	}
	if c.Burst <= 0 {
		c.Burst = DefaultBurst
		if ent {
			c.Burst = EnterpriseBurst
		}
	}
	if c.RequestCap <= 0 {
		c.RequestCap = DefaultRequestCap
	}
	if c.OperatingBudget <= 0 {
		c.OperatingBudget = DefaultOperatingBudget
	}
	if c.OperatingWindow <= 0 {
		c.OperatingWindow = DefaultOperatingWindow
	}
	if c.TokenLifetime <= 0 {
		c.TokenLifetime = DefaultTokenLifetime
	}
	if c.AppURL == "" {
		c.AppURL = DefaultAppURL
	}
	return c
}

// Stats counts what the portal saw since start or the last Reset.
type Stats struct {
	Requests     int `json:"requests"`     // every /rest/ request that reached the handler (not OPTIONS)
	Batches      int `json:"batches"`      // batch requests that passed bucket and auth
	Commands     int `json:"commands"`     // commands past auth: 1 per single call, 1 per batch command run (not those past the 50th)
	AppInfo      int `json:"appInfo"`      // of the commands, app.info calls: the module counts them as requests, not commands
	Status503    int `json:"status503"`    // HTTP 503 answers (bucket and burst503 faults)
	Status429    int `json:"status429"`    // HTTP 429 answers
	Status401    int `json:"status401"`    // HTTP 401 answers
	Redirects    int `json:"redirects"`    // HTTP 302 answers of a moved portal
	MaxPerSecond int `json:"maxPerSecond"` // most /rest/ requests that arrived within any 1-second window
	AuthInURL    int `json:"authInURL"`    // requests whose URL query carried "auth" (any case)
	Faults       int `json:"faults"`       // requests answered by an injected fault

	// Config.OtherApp's requests, none of them in the counters above.
	OtherRequests int `json:"otherRequests"` // requests it sent, refused ones and retries included
	Other503      int `json:"other503"`      // of which refused by the bucket (bursts only; each goes again later)
	OtherWaited   int `json:"otherWaited"`   // requests that waited for room past their instant
}

// Token is an access/refresh pair.
type Token struct {
	Access  string    `json:"access"`
	Refresh string    `json:"refresh"`
	Expires time.Time `json:"expires"`
	User    int       `json:"user"` // the user the token acts as (profile's ID)
}

// Portal is the emulated portal. It is safe for concurrent use.
type Portal struct {
	mu       sync.Mutex
	initial  Config // as given to New; /devportal/reset overrides fields on top of it
	cfg      Config // effective (defaults applied)
	bucket   leakyBucket
	other    otherAppState // plays Config.OtherApp into bucket
	arrivals []time.Time   // /rest/ arrivals in the last second, for MaxPerSecond
	op       map[string]*operatingLog
	blocks   map[string]time.Time // method -> blocked until
	unread   map[string]int64
	dialogs  map[string]*dialog // the messenger behind unread (messenger.go)
	markSeq  uint64             // accepted marks so far: orders the messenger list
	changed  chan struct{}      // closed at the next mark or reset
	stats    Stats
	tokens   tokenStore
	faults   faultState
	memberID string
	app      appInstall // the app's install on this portal (install.go)
	// batchUser is the user of the batch being run, whose commands run as them; 0
	// outside a batch.
	batchUser int
}

// New returns a portal with cfg (zero fields mean defaults).
func New(cfg Config) *Portal {
	p := &Portal{initial: cfg, memberID: randomHex(16)}
	p.tokens.init()
	p.app.init(cfg)
	p.resetLocked(cfg)
	return p
}

// Reset clears the recorded state, the counters, the bucket, the operating-time logs and
// the fault state, and applies cfg. Issued tokens stay valid (a page already loaded keeps
// working); a new TokenLifetime applies to tokens issued from now on.
func (p *Portal) Reset(cfg Config) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.resetLocked(cfg)
}

func (p *Portal) resetLocked(cfg Config) {
	p.cfg = cfg.withDefaults()
	now := time.Now()
	p.bucket = newLeakyBucket(p.cfg.Rate, p.cfg.Burst, p.cfg.Prefill, now)
	p.other = newOtherAppState(p.cfg.OtherApp, p.cfg.Rate, now)
	p.arrivals = nil
	p.op = map[string]*operatingLog{}
	p.blocks = map[string]time.Time{}
	for m, d := range p.cfg.Blocks {
		p.blocks[strings.ToLower(m)] = time.Now().Add(d)
	}
	p.unread = map[string]int64{}
	p.dialogs = map[string]*dialog{}
	p.changedLocked()
	p.stats = Stats{}
	p.faults = newFaultState(p.cfg.Faults)
}

// Stats returns a snapshot of the counters, the other app's up to now.
func (p *Portal) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.other.advance(&p.bucket, time.Now(), &p.stats)
	return p.stats
}

// Unread returns a copy of the recorded state: dialog id (lower-case) -> first unread
// message id.
func (p *Portal) Unread() map[string]int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	m := make(map[string]int64, len(p.unread))
	for k, v := range p.unread {
		m[k] = v
	}
	return m
}

// config returns the effective configuration.
func (p *Portal) config() Config {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cfg
}

// noteArrival updates MaxPerSecond with a /rest/ request arriving at now. Caller holds mu.
func (p *Portal) noteArrival(now time.Time) {
	cut := 0
	for cut < len(p.arrivals) && now.Sub(p.arrivals[cut]) >= time.Second {
		cut++
	}
	p.arrivals = append(p.arrivals[cut:], now)
	if n := len(p.arrivals); n > p.stats.MaxPerSecond {
		p.stats.MaxPerSecond = n
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
