package unread

import "github.com/markunread/markunread/wasm/internal/time"

// What the client tells of the room other apps leave it (onLog, the app's
// other clients) and what it hears of it from them; the room itself is
// Share's.

// logShare tells onLog what the client now believes of the others (how:
// empty when it learned it itself, or who told it).
func (c *Client) logShare(n shareNews, how string) {
	text := "no sign of other apps on the portal's bucket"
	if n.others > 0 {
		text = "other apps spend about " + formatNumber(roundTo(n.others, 100)) + " requests per second of the portal's bucket"
	}
	if how != "" {
		text += " (" + how + ")"
	}
	c.log(LogEvent{Kind: LogShare, Code: CodeQueryLimit, Text: text + ": this client assumes " + formatNumber(roundTo(n.room, 100)) + " per second"})
}

func roundTo(f float64, per float64) float64 { return float64(int64(f*per+0.5)) / per }

// roomHeard is another client's word of the others, heard before the
// client knew its portal.
type roomHeard struct {
	portal string
	belief Belief
}

// HeardRoom hears, through the SharedBudget, what another client of the
// app learned of the portal's other apps. This client paces by it when it
// is newer than its own.
func (c *Client) HeardRoom(portal string, b Belief) {
	c.mu.Lock()
	defer c.poke()
	defer c.mu.Unlock()
	if c.base == "" {
		if c.heard == nil || b.AtMs > c.heard.belief.AtMs {
			c.heard = &roomHeard{portal, b}
		}
		return
	}
	c.heardRoomLocked(portal, b)
}

func (c *Client) heardRoomLocked(portal string, b Belief) {
	if portal != c.base {
		return
	}
	if n, ok := c.pacer.HeardShare(time.Now(), b); ok {
		c.logShare(n, "heard from another client of the app")
	}
}
