package devportal

import (
	"hash/fnv"
	"sort"
	"strconv"
	"strings"
)

// The messenger behind im.dialog.unread, as a person sees it: dialogs with messages,
// each with an unread counter.
//
// A dialog exists from the first mark that names it (the real portal answers true for
// any well-formed dialog id, with no access check, so every accepted mark has a dialog
// here). Its messages are numbered 1..Messages, a count derived from the dialog id, so
// the same dialog always has the same messages. (On a real portal message ids are
// numbered portal-wide; per-dialog numbers keep the counters easy to follow.)
//
// Marking from message N makes N and every later message unread, and the lower N wins
// (marking from 12 covers marking from 15). The counter is the number of unread
// messages: Messages-N+1, or 0 when N is past the last message, which the portal
// still answers with true.
type dialog struct {
	id         string // lower-case DIALOG_ID
	messages   int64
	unreadFrom int64  // first unread message; 0 when the dialog is read
	touched    uint64 // the portal's mark sequence at the dialog's last accepted mark
	markedBy   int    // the user whose token made the last accepted mark
}

func newDialog(id string) *dialog {
	return &dialog{id: id, messages: 10 + int64(hash(id)%90)}
}

// mark records a mark from message n (n > 0) by user.
func (d *dialog) mark(n int64, seq uint64, user int) {
	d.markedBy = user
	if d.unreadFrom == 0 || n < d.unreadFrom {
		d.unreadFrom = n
	}
	d.touched = seq
}

// unread is the dialog's counter: how many of its messages are unread.
func (d *dialog) unread() int64 {
	if d.unreadFrom == 0 || d.unreadFrom > d.messages {
		return 0
	}
	return d.messages - d.unreadFrom + 1
}

// DialogView is one row of the messenger list.
type DialogView struct {
	ID          string `json:"id"`          // the DIALOG_ID, lower-case
	Name        string `json:"name"`        // what the list shows as the dialog's title
	LastMessage string `json:"lastMessage"` // the text of its last message
	Messages    int64  `json:"messages"`    // its messages are 1..Messages
	UnreadFrom  int64  `json:"unreadFrom"`  // the first unread message (the lowest mark)
	Unread      int64  `json:"unread"`      // the counter: unread messages
	MarkedBy    int    `json:"markedBy"`    // the user whose token made the last mark
}

// MessengerView is the messenger list: the dialogs marked most recently first, at most
// the limit asked for, and totals over all of them.
type MessengerView struct {
	Dialogs        []DialogView `json:"dialogs"`
	Total          int          `json:"total"`          // dialogs with a mark, listed or not
	UnreadMessages int64        `json:"unreadMessages"` // the sum of every dialog's counter
}

// Messenger returns the messenger list with at most limit dialogs (limit <= 0: all),
// most recently marked first.
func (p *Portal) Messenger(limit int) MessengerView {
	p.mu.Lock()
	defer p.mu.Unlock()
	all := make([]*dialog, 0, len(p.dialogs))
	v := MessengerView{Dialogs: []DialogView{}, Total: len(p.dialogs)}
	for _, d := range p.dialogs {
		all = append(all, d)
		v.UnreadMessages += d.unread()
	}
	sort.Slice(all, func(i, j int) bool { return all[i].touched > all[j].touched })
	if limit > 0 && len(all) > limit {
		all = all[:limit]
	}
	for _, d := range all {
		v.Dialogs = append(v.Dialogs, DialogView{
			ID:          d.id,
			Name:        dialogName(d.id),
			LastMessage: lastMessages[hash(d.id+"/text")%uint32(len(lastMessages))],
			Messages:    d.messages,
			UnreadFrom:  d.unreadFrom,
			Unread:      d.unread(),
			MarkedBy:    d.markedBy,
		})
	}
	return v
}

// markDialog records an accepted mark in the messenger and tells the watchers. Caller
// holds mu.
func (p *Portal) markDialog(id string, n int64, user int) {
	d := p.dialogs[id]
	if d == nil {
		d = newDialog(id)
		p.dialogs[id] = d
	}
	p.markSeq++
	d.mark(n, p.markSeq, user)
	p.changedLocked()
}

// changedLocked wakes everyone waiting on changes(). Caller holds mu.
func (p *Portal) changedLocked() {
	if p.changed != nil {
		close(p.changed)
	}
	p.changed = make(chan struct{})
}

// changes returns a channel that is closed at the next change of the recorded marks
// (a mark or a reset).
func (p *Portal) changes() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.changed == nil {
		p.changed = make(chan struct{})
	}
	return p.changed
}

// dialogName is the title a messenger shows for a dialog id: chatN and sgN are group
// chats, crmN a CRM entity's chat, a bare number a private dialog with that user.
func dialogName(id string) string {
	num := strings.TrimLeft(id, "abcdefghijklmnopqrstuvwxyz")
	kind := id[:len(id)-len(num)]
	n, _ := strconv.ParseUint(num, 10, 64)
	switch kind {
	case "chat":
		return chatTopics[n%uint64(len(chatTopics))] + " #" + num
	case "sg":
		return "Workgroup #" + num
	case "crm":
		return "CRM deal #" + num
	}
	return people[n%uint64(len(people))] + " (user " + num + ")"
}

var chatTopics = []string{"General", "Sales team", "Support", "Marketing", "Release", "Design review", "Office", "Onboarding"}

var people = []string{"Anna Smirnova", "John Miller", "Maria Garcia", "Ivan Petrov", "Li Wei", "Sara Cohen", "Tom Becker"}

var lastMessages = []string{
	"See you at the stand-up",
	"The invoice is attached",
	"Can you check the numbers?",
	"Deployed to staging",
	"Thanks, that works!",
	"Moving the call to 3 pm",
	"New lead from the website form",
	"Please review the draft",
	"Customer asked for a demo",
	"Lunch?",
}

func hash(s string) uint32 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(s))
	return h.Sum32()
}
