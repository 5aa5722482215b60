package devportal

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"
)

// Control endpoints (JSON, CORS open), for people and tests:
//
//	GET  /devportal/state          {"unread":{...},"stats":{...}}
//	GET  /devportal/events         Server-Sent Events: the messenger list and stats, live
//	POST /devportal/reset          optional JSON config overrides; resets state
//	                               ({"otherApp": "1/s"}: another app on the bucket, see OtherApp)
//	POST /devportal/block          {"method": "im.dialog.unread", "ms": 65000}: that method
//	                               answers OPERATION_TIME_LIMIT for ms from now (no reset)
//	POST /devportal/token          optional lifetimeMs, user; issues {access, refresh, expires, expiresIn, user}
//	POST /devportal/install        sends ONAPPINSTALL to the app's event handler (install.go)
//	POST /devportal/update         sends ONAPPUPDATE with a new application_token (409: not installed)
//	POST /devportal/uninstall      sends ONAPPUNINSTALL and revokes the app's tokens
//	POST /devportal/oauth/refresh  refresh=...; a refresh token works once (then 400 invalid_grant)
//
// Bodies may be JSON or form-urlencoded; parameter names are case-insensitive.

// resetRequest is the body of POST /devportal/reset. Absent fields keep the value the
// portal was created with (New's Config), so a reset with no body restores the start-up
// configuration.
type resetRequest struct {
	Rate              *float64 `json:"rate"`
	Burst             *int     `json:"burst"`
	Prefill           *float64 `json:"prefill"`
	OtherApp          *string  `json:"otherApp"` // ParseOtherApp's grammar: "1.5/s", "10/5s"; "" = none
	OperatingBudgetMs *int64   `json:"operatingBudgetMs"`
	OperatingWindowMs *int64   `json:"operatingWindowMs"`
	CommandCostMs     *int64   `json:"commandCostMs"`
	TokenLifetimeMs   *int64   `json:"tokenLifetimeMs"`
	Faults            *Faults  `json:"faults"`

	License      *string          `json:"license"`      // app.info LICENSE, e.g. "ru_ent250" (5/250 unless rate/burst given)
	SelfHosted   *bool            `json:"selfHosted"`   // no operating fields, no operating-time limit
	MovedTo      *string          `json:"movedTo"`      // "" = not moved
	LatencyMs    *int64           `json:"latencyMs"`    // delay of every REST answer
	RequestCapMs *int64           `json:"requestCapMs"` // 0 = default 60 s
	CORSOn503    *bool            `json:"corsOn503"`    // false: 503 QUERY_LIMIT_EXCEEDED without CORS headers
	BlockMs      map[string]int64 `json:"blockMs"`      // method -> ms it answers OPERATION_TIME_LIMIT from the reset
}

func (rr resetRequest) apply(c Config) (Config, error) {
	ms := func(v int64) time.Duration { return time.Duration(v) * time.Millisecond }
	if rr.OtherApp != nil {
		o, err := ParseOtherApp(*rr.OtherApp)
		if err != nil {
			return c, err
		}
		c.OtherApp = o
	}
	if rr.Rate != nil {
		c.Rate = *rr.Rate
	}
	if rr.Burst != nil {
		c.Burst = *rr.Burst
	}
	if rr.Prefill != nil {
		c.Prefill = *rr.Prefill
	}
	if rr.OperatingBudgetMs != nil {
		c.OperatingBudget = ms(*rr.OperatingBudgetMs)
	}
	if rr.OperatingWindowMs != nil {
		c.OperatingWindow = ms(*rr.OperatingWindowMs)
	}
	if rr.CommandCostMs != nil {
		c.CommandCost = ms(*rr.CommandCostMs)
	}
	if rr.TokenLifetimeMs != nil {
		c.TokenLifetime = ms(*rr.TokenLifetimeMs)
	}
	if rr.Faults != nil {
		c.Faults = *rr.Faults
	}
	if rr.License != nil {
		c.License = *rr.License
	}
	if rr.SelfHosted != nil {
		c.SelfHosted = *rr.SelfHosted
	}
	if rr.MovedTo != nil {
		c.MovedTo = *rr.MovedTo
	}
	if rr.LatencyMs != nil {
		c.Latency = ms(*rr.LatencyMs)
	}
	if rr.RequestCapMs != nil {
		c.RequestCap = ms(*rr.RequestCapMs)
	}
	if rr.CORSOn503 != nil {
		c.NoCORSOn503 = !*rr.CORSOn503
	}
	if rr.BlockMs != nil {
		c.Blocks = make(map[string]time.Duration, len(rr.BlockMs))
		for m, v := range rr.BlockMs {
			c.Blocks[m] = ms(v)
		}
	}
	return c, nil
}

type stateBody struct {
	Unread map[string]int64 `json:"unread"`
	Stats  Stats            `json:"stats"`
}

type tokenBody struct {
	Access    string    `json:"access"`
	Refresh   string    `json:"refresh"`
	Expires   time.Time `json:"expires"`
	ExpiresIn int64     `json:"expiresIn"` // seconds
	User      int       `json:"user"`
}

func newTokenBody(t Token) tokenBody {
	return tokenBody{t.Access, t.Refresh, t.Expires, int64(time.Until(t.Expires).Round(time.Second) / time.Second), t.User}
}

func (p *Portal) serveControl(w http.ResponseWriter, r *http.Request) {
	setControlCORS(w.Header())
	if r.Method == http.MethodOptions {
		w.WriteHeader(http.StatusOK)
		return
	}
	switch r.URL.Path {
	case "/devportal/state":
		writeJSON(w, http.StatusOK, stateBody{p.Unread(), p.Stats()})
	case "/devportal/events":
		p.serveEvents(w, r)
	case "/devportal/reset":
		if !isPost(w, r) {
			return
		}
		var rr resetRequest
		if r.ContentLength != 0 {
			if err := json.NewDecoder(r.Body).Decode(&rr); err != nil && !errors.Is(err, io.EOF) {
				writeJSON(w, http.StatusBadRequest, &apiError{Code: "BAD_REQUEST", Description: err.Error()})
				return
			}
		}
		cfg, err := rr.apply(p.initial)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, &apiError{Code: "BAD_REQUEST", Description: err.Error()})
			return
		}
		p.Reset(cfg)
		writeJSON(w, http.StatusOK, stateBody{p.Unread(), p.Stats()})
	case "/devportal/block":
		if !isPost(w, r) {
			return
		}
		var b struct {
			Method string `json:"method"`
			Ms     int64  `json:"ms"`
		}
		if err := json.NewDecoder(r.Body).Decode(&b); err != nil || b.Method == "" {
			writeJSON(w, http.StatusBadRequest, &apiError{Code: "BAD_REQUEST", Description: "want {\"method\": ..., \"ms\": ...}"})
			return
		}
		p.Block(b.Method, time.Duration(b.Ms)*time.Millisecond)
		writeJSON(w, http.StatusOK, stateBody{p.Unread(), p.Stats()})
	case "/devportal/token":
		if !isPost(w, r) {
			return
		}
		prm := parseParams(r)
		lifetime := time.Duration(phpIntval(prm.get("lifetimeMs"))) * time.Millisecond
		writeJSON(w, http.StatusOK, newTokenBody(p.issueTokenFor(int(phpIntval(prm.get("user"))), lifetime)))
	case "/devportal/oauth/refresh":
		if !isPost(w, r) {
			return
		}
		t, err := p.Refresh(parseParams(r).get("refresh"))
		if err != nil {
			writeJSON(w, errInvalidGrantJSON.Status, errInvalidGrantJSON)
			return
		}
		writeJSON(w, http.StatusOK, newTokenBody(t))
	case "/devportal/install", "/devportal/update", "/devportal/uninstall":
		if !isPost(w, r) {
			return
		}
		p.serveAppEvent(w, r)
	default:
		writeJSON(w, http.StatusNotFound, &apiError{Code: "NOT_FOUND", Description: "No such control endpoint"})
	}
}

func isPost(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodPost {
		return true
	}
	w.Header().Set("Allow", "POST, OPTIONS")
	writeJSON(w, http.StatusMethodNotAllowed, &apiError{Code: "METHOD_NOT_ALLOWED", Description: "Use POST"})
	return false
}

// setControlCORS opens the control endpoints to pages on any origin, JSON bodies included.
func setControlCORS(h http.Header) {
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Headers", "origin, content-type, accept")
	h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
}
