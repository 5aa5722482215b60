package devportal

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// eventsBody is one Server-Sent Event of GET /devportal/events.
type eventsBody struct {
	Messenger MessengerView `json:"messenger"`
	Stats     Stats         `json:"stats"`
}

// Timing of GET /devportal/events: marks that arrive together (a batch of 50, a bulk
// run of 500) are sent as one event, and counters that move without a mark (a 503, a
// refused token) are sent within a second.
const (
	eventsCoalesce  = 100 * time.Millisecond
	eventsStatsTick = time.Second
)

// serveEvents is GET /devportal/events[?limit=N]: a text/event-stream of "state"
// events, each a whole eventsBody, with at most limit dialogs (default 12, at most 500):
// one at once, then one after each change. The parent page draws its messenger list
// from it.
func (p *Portal) serveEvents(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET, OPTIONS")
		writeJSON(w, http.StatusMethodNotAllowed, &apiError{Code: "METHOD_NOT_ALLOWED", Description: "Use GET"})
		return
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	limit := 12
	if n, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil && n > 0 {
		limit = min(n, 500)
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

	var sent Stats
	send := func() bool {
		changed := p.changes() // before the snapshot: a change after it wakes us again
		body := eventsBody{Messenger: p.Messenger(limit), Stats: p.Stats()}
		sent = body.Stats
		b, _ := json.Marshal(body)
		if _, err := w.Write([]byte("event: state\ndata: " + string(b) + "\n\n")); err != nil {
			return false
		}
		flusher.Flush()
		p.waitChange(r, changed, sent)
		return r.Context().Err() == nil
	}
	for send() {
		select {
		case <-r.Context().Done():
			return
		case <-time.After(eventsCoalesce):
		}
	}
}

// waitChange returns when changed is closed, when the counters differ from sent, or
// when the request ends.
func (p *Portal) waitChange(r *http.Request, changed <-chan struct{}, sent Stats) {
	tick := time.NewTicker(eventsStatsTick)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-changed:
			return
		case <-tick.C:
			if p.Stats() != sent {
				return
			}
		}
	}
}
