package unread

import (
	"strconv"

	"github.com/markunread/markunread/wasm/internal/time"
)

// Transport performs one REST request: a form-urlencoded POST of body to
// url. It returns an error only when no answer arrived (a network failure,
// or stop was closed, which must end the request); an answer with any
// status is a Response. A Transport must return soon after stop closes,
// even when the page's fetch ignores its AbortSignal.
type Transport interface {
	Post(stop <-chan struct{}, url, body string) (Response, error)
}

// SharedBudget is the portal's bucket as every client of the app in this
// browser sees it: other clients of the page, other frames and tabs. The
// portal counts requests per portal and address, so they all spend one
// budget (docs/bitrix24.md#f-rate-bucket). Reserve returns when one more
// request to portal may leave under plan, having counted it, or with an
// error when stop closes first; Full says the portal answered
// QUERY_LIMIT_EXCEEDED. Hold says the portal answered
// OPERATION_TIME_LIMIT: method is blocked until untilMs (Unix time in
// milliseconds; a time.Time in an interface's methods would keep Time's
// formatting in the module, about 17 KB); every other client of the portal
// hears of it through its Client.Held, so they do not each meet the block
// (docs/bitrix24.md#f-otl-per-method). Room says what the client learned of
// the portal's other apps (Share, Belief); every other client of the
// portal hears of it through its Client.HeardRoom, so they do not each pay 503s
// to learn it. Reserve's plan carries the rate the client assumes is its
// own (the room), so the clients together stay within it. Reserve also
// counts the app's requests to portal (AppCount), so that what one client
// learns of the others counts the app's other clients' requests as the
// app's (Share).
type SharedBudget interface {
	Reserve(portal string, plan Plan, stop <-chan struct{}) (AppCount, error)
	Full(portal string)
	Hold(portal, method string, untilMs int64)
	Room(portal string, b Belief)
}

// AppCount is a shared budget's count of the app's requests to a portal
// when it granted one: Granted before it, Refused the 503s it was told of
// (Full) by then; both only grow while the budget lives. The zero value
// (Counted false) is a budget that does not count.
type AppCount struct {
	Granted, Refused int
	Counted          bool
}

// Belief is what a client learned of the portal's other apps (Share): they
// spend OthersPerSec requests per second of the bucket (0: none), learned
// at AtMs (Unix ms), a belief that holds HoldMs before it fades (0: the
// hearer's own measure). Times are numbers: a time.Time in an interface's
// methods would keep Time's formatting in the module.
type Belief struct {
	OthersPerSec float64
	AtMs, HoldMs int64
}

// PlanStore remembers a portal's plan between page loads.
type PlanStore interface {
	Recall(portal string) (Plan, bool)
	Remember(portal string, plan Plan)
}

// Config sets up a Client. Zero fields take their defaults (Defaults).
type Config struct {
	Transport Transport
	Auth      Auth
	Shared    SharedBudget // nil: the client's own bucket is the only one
	Plans     PlanStore    // nil: the plan is learned anew each load
	Portal    string       // base URL that overrides the auth source's portal
	// PageSecure: the page is a secure context, so a plain http portal is
	// refused even on loopback.
	PageSecure bool

	// Rate and Burst are the portal's bucket. Both zero: learn the plan
	// (standard until the portal says otherwise, see Plan).
	Rate  float64
	Burst int
	// BatchSize is the most commands one request carries (the portal's
	// limit is 50); 1 sends one request per call, unmerged.
	BatchSize   int
	MaxInFlight int           // requests under way at once
	Linger      time.Duration // how long a call waits to join a part-filled request under way

	Timeout        time.Duration // a call's whole life, queue and retries included
	RequestTimeout time.Duration // one request's life; the portal ends its own at 60 s
	RefreshTimeout time.Duration // one token fetch or refresh
	QueueSize      int           // interactive calls waiting or under way at once
	BulkQueueSize  int           // bulk calls waiting or under way at once
	MaxAttempts    int           // requests made for one call at most (waits for the portal's limits do not count)

	// OnSettle, when set, hears of every call as it settles.
	OnSettle func(Progress)
	// OnLog, when set, hears of what the client does that a caller cannot
	// see: retries, refreshes, waits for the portal's limits. It never
	// carries a token.
	OnLog func(LogEvent)
}

// Option is one setting page JavaScript may give, with its default and the
// bounds outside which it is refused. Options is the one list of them: the
// shim, the README and the type declarations are checked against it.
type Option struct {
	Name     string // as load() takes it
	Default  float64
	Min, Max float64
	Integer  bool
	set      func(*Config, float64)
	get      func(*Config) float64
}

// Options lists every numeric option, in the order the README gives them.
var Options = []Option{
	{"limits.perSecond", 2, 0.01, 1000, false,
		func(c *Config, v float64) { c.Rate = v }, func(c *Config) float64 { return c.Rate }},
	{"limits.burst", 50, 1, 10000, true,
		func(c *Config, v float64) { c.Burst = int(v) }, func(c *Config) float64 { return float64(c.Burst) }},
	{"timeoutMs", 120000, 1, 86400000, false,
		func(c *Config, v float64) { c.Timeout = millis(v) }, func(c *Config) float64 { return ms(c.Timeout) }},
	{"queueSize", 10000, 1, 1000000, true,
		func(c *Config, v float64) { c.QueueSize = int(v) }, func(c *Config) float64 { return float64(c.QueueSize) }},
	{"bulkQueueSize", 100000, 1, 10000000, true,
		func(c *Config, v float64) { c.BulkQueueSize = int(v) }, func(c *Config) float64 { return float64(c.BulkQueueSize) }},
	{"maxAttempts", 6, 1, 100, true,
		func(c *Config, v float64) { c.MaxAttempts = int(v) }, func(c *Config) float64 { return float64(c.MaxAttempts) }},
}

// Set gives the option name the value v, or refuses a value outside its
// bounds with an error that names both.
func (cfg *Config) Set(name string, v float64) *Error {
	for _, o := range Options {
		if o.Name != name {
			continue
		}
		if !(v >= o.Min && v <= o.Max) || o.Integer && v != float64(int64(v)) {
			kind := "a number"
			if o.Integer {
				kind = "an integer"
			}
			plain := func(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
			return newError(CodeBadOption, "options."+name+" must be "+kind+" from "+plain(o.Min)+" to "+plain(o.Max)+", not "+formatNumber(v))
		}
		o.set(cfg, v)
		return nil
	}
	return newError(CodeBadOption, "unknown option "+quote(name))
}

// Defaults of the settings that are not page options.
const (
	maxBatch = 50 // the portal's limit of commands in one batch (docs/bitrix24.md#f-batch-length)

	defaultMaxInFlight = 50
	defaultLinger      = 100 * time.Millisecond
	// The portal ends a request after 60 s (docs/bitrix24.md#f-req-60s):
	// waiting longer cannot bring an answer, and a shorter bound would cut
	// requests the portal is still working on.
	defaultRequestTimeout = 60 * time.Second
	defaultRefreshTimeout = 10 * time.Second
)

func (cfg *Config) setDefaults() {
	for _, o := range Options {
		if o.get(cfg) <= 0 {
			o.set(cfg, o.Default) // limits: the standard plan, where learning starts
		}
	}
	if cfg.BatchSize <= 0 || cfg.BatchSize > maxBatch {
		cfg.BatchSize = maxBatch
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = defaultMaxInFlight
	}
	if cfg.Linger <= 0 {
		cfg.Linger = defaultLinger
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = defaultRequestTimeout
	}
	cfg.RequestTimeout = min(cfg.RequestTimeout, cfg.Timeout)
	if cfg.RefreshTimeout <= 0 {
		cfg.RefreshTimeout = defaultRefreshTimeout
	}
}

func millis(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }
func ms(d time.Duration) float64     { return float64(d) / float64(time.Millisecond) }
