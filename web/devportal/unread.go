package devportal

import (
	"regexp"
	"strings"
)

// dialogIDPattern is what the server accepts as DIALOG_ID (case-insensitive).
var dialogIDPattern = regexp.MustCompile(`(?i)^([0-9]+|(chat|sg|crm)[0-9]+)$`)

// dialogUnread is im.dialog.unread: DIALOG_ID is checked first (400 DIALOG_ID_EMPTY),
// then MESSAGE_ID by PHP intval (> 0, else 400 MESSAGE_ID_ERROR). On success it records
// unread[lower(DIALOG_ID)] = min(existing, MESSAGE_ID), updates the messenger's dialog and answers true. Caller holds mu.
func (p *Portal) dialogUnread(prm params) (any, *apiError) {
	dialog := prm.get("DIALOG_ID")
	if !dialogIDPattern.MatchString(dialog) {
		return nil, errDialogID
	}
	id := phpIntval(prm.get("MESSAGE_ID"))
	if id <= 0 {
		return nil, errMessageID
	}
	key := strings.ToLower(dialog)
	if cur, ok := p.unread[key]; !ok || id < cur {
		p.unread[key] = id
	}
	p.markDialog(key, id)
	return true, nil
}
