package unread

// Stats counts what a client has done. Queued and InFlight are calls now;
// the rest are totals since the client started.
type Stats struct {
	Requests  int // requests sent, batches included
	Batches   int // batch requests sent
	Commands  int // im.dialog.unread commands sent, in batches or not; a retried call counts again
	Retries   int // calls sent again after an attempt that did not settle them
	Refreshes int // token refreshes started, early ones included
	Queued    int // calls waiting to be sent
	InFlight  int // calls in a request under way
	Status503 int // answers QUERY_LIMIT_EXCEEDED: the portal's bucket was full
	Status429 int // answers OPERATION_TIME_LIMIT: a method's operating time ran out
	Abandoned int // requests given up on without an answer (a timeout or a fetch that ignored its abort)
	Settled   int // calls settled
	Succeeded int
	Failed    int
}

// StatField is one counter of Stats as page JavaScript sees it.
type StatField struct {
	Name  string
	Value int
}

// Fields lists the counters under their JavaScript names, in order. It is
// the one list of them: the bridge, the shim, the type declarations and
// the README are checked against it.
func (s Stats) Fields() []StatField {
	return []StatField{
		{"requests", s.Requests}, {"batches", s.Batches}, {"commands", s.Commands},
		{"retries", s.Retries}, {"refreshes", s.Refreshes}, {"queued", s.Queued},
		{"inFlight", s.InFlight}, {"status503", s.Status503}, {"status429", s.Status429},
		{"abandoned", s.Abandoned}, {"settled", s.Settled}, {"succeeded", s.Succeeded},
		{"failed", s.Failed},
	}
}

// Progress tells of one call that has just settled.
type Progress struct {
	Dialog  DialogID // empty for a call whose arguments were refused
	Message MessageID
	Bulk    bool
	Err     *Error // nil when the mark was accepted
	Stats   Stats
	call    *call
}

// Stats returns the client's counters now.
func (c *Client) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.statsLocked()
}

func (c *Client) statsLocked() Stats {
	s := c.stats
	s.Refreshes = c.session.refreshes()
	return s
}

// report tells OnSettle and the bulk jobs of calls that settled, after
// the lock is released: OnSettle is page code.
func (c *Client) report(ps ...*Progress) {
	for _, p := range ps {
		if p == nil {
			continue
		}
		if c.cfg.OnSettle != nil {
			c.cfg.OnSettle(*p)
		}
		if j := p.call.job; j != nil {
			j.settled(p.call.index, p.Err)
		}
	}
}
