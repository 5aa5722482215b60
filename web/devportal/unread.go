package devportal

import (
	"regexp"
	"strings"
)

// dialogIDPattern is Common::isDialogId's /^([0-9]{1,}|(chat|sg|crm)[0-9]{1,})$/i; PCRE's
// "$" also matches before a final newline (docs/bitrix24.md#f-unread-dialog-id).
var dialogIDPattern = regexp.MustCompile(`(?i)^([0-9]+|(chat|sg|crm)[0-9]+)\n?\z`)

// isDialogID is Common::isDialogId for a request value: PHP-truthy ("" and "0" are not)
// and matching dialogIDPattern.
func isDialogID(s string) bool {
	return s != "" && s != "0" && dialogIDPattern.MatchString(s)
}

// dialogUnread is CIMRestService::dialogUnread (docs/bitrix24.md#f-unread-order):
// MESSAGE_ID first (PHP intval > 0, else 400 MESSAGE_ID_ERROR), then DIALOG_ID (else 400
// DIALOG_ID_EMPTY); no access check (docs/bitrix24.md#f-unread-no-access-check). It
// records unread[lower(DIALOG_ID)] = min(existing, MESSAGE_ID), updates the messenger's dialog
// and answers true. Caller
// holds mu.
func (p *Portal) dialogUnread(prm params) (any, *apiError) {
	id := phpIntval(prm.get("MESSAGE_ID"))
	if id <= 0 {
		return nil, errMessageID
	}
	dialog := prm.get("DIALOG_ID")
	if !isDialogID(dialog) {
		return nil, errDialogID
	}
	key := strings.ToLower(strings.TrimSuffix(dialog, "\n"))
	if cur, ok := p.unread[key]; !ok || id < cur {
		p.unread[key] = id
	}
	user := p.batchUser
	if user == 0 {
		user = p.tokens.user[prm.get("auth")]
	}
	p.markDialog(key, id, user)
	return true, nil
}
