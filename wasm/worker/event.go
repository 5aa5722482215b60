package worker

import (
	"crypto/subtle"
	"encoding/json"
	"net/url"
	"strings"
)

// event handles a portal event (docs/bitrix24.md#f-event-install, #f-event-uninstall,
// #f-event-token). The first ONAPPINSTALL of a portal keeps its member_id,
// application_token and endpoints, once the portal accepts the event's access token
// (when it carries one). Every later event must carry the same application_token,
// compared in constant time; one that does not changes nothing and gets 403.
// ONAPPUNINSTALL deletes everything kept for the portal, the alarm included.
// ONAPPUPDATE may bring a new application_token (update.go).
func (o *Object) event(body []byte) (int, any) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return fail(apiErr(400, CodeBadRequest, "an event is a form body"))
	}
	token := form.Get("auth[application_token]")
	if token == "" {
		return fail(apiErr(403, CodeWrongToken, "the event has no auth[application_token]"))
	}
	seal, e := o.sealer()
	if e != nil {
		return fail(e)
	}
	in, err := o.install()
	if err != nil {
		return internal(err)
	}
	if strings.EqualFold(form.Get("event"), "ONAPPUPDATE") { // it brings a new token (update.go)
		return o.appUpdated(form, in, seal)
	}
	if in != nil && !in.sentBy(seal, form.Get("auth[member_id]"), token) {
		return fail(apiErr(403, CodeWrongToken, "the event's application_token is not this install's"))
	}
	switch strings.ToUpper(form.Get("event")) {
	case "ONAPPINSTALL":
		if in != nil {
			return 200, map[string]any{"ok": true, "installed": true}
		}
		return o.installFrom(form, seal)
	case "ONAPPUNINSTALL":
		if in == nil {
			return fail(apiErr(404, CodeNotInstalled, "the app is not installed on this portal"))
		}
		return o.uninstall()
	}
	if in == nil {
		return fail(apiErr(404, CodeNotInstalled, "the app is not installed on this portal"))
	}
	return 200, map[string]any{"ok": true}
}

// sentBy reports whether an event of member carrying token comes from this install:
// the same member_id and application_token, the token compared in constant time.
func (in *Install) sentBy(seal *Sealer, member, token string) bool {
	kept, err := seal.Open("install/"+in.MemberID, in.AppToken)
	return err == nil && in.MemberID == member && subtle.ConstantTimeCompare([]byte(kept), []byte(token)) == 1
}

// installFrom keeps the install an ONAPPINSTALL event describes, its
// application_token sealed, once the portal accepts the event's access token.
func (o *Object) installFrom(form url.Values, seal *Sealer) (int, any) {
	member, token := form.Get("auth[member_id]"), form.Get("auth[application_token]")
	base, e := restBase(form.Get("auth[client_endpoint]"), o.Settings.PortalHosts)
	if e != nil {
		return fail(e)
	}
	if access := form.Get("auth[access_token]"); access != "" {
		if _, e := profileUser(o.Out, nil, base, access); e != nil {
			return fail(e)
		}
	}
	sealed, err := seal.Seal("install/"+member, token)
	if err != nil {
		return internal(err)
	}
	in := &Install{MemberID: member, Domain: form.Get("auth[domain]"), Base: base,
		ServerEndpoint: form.Get("auth[server_endpoint]"), AppToken: sealed, Installed: o.now().UnixMilli()}
	b, _ := json.Marshal(in)
	if err := o.Store.Put(map[string]string{keyInstall: string(b)}); err != nil {
		return internal(err)
	}
	return 200, map[string]any{"ok": true, "installed": true}
}

// uninstall deletes everything kept for the portal, the alarm included.
func (o *Object) uninstall() (int, any) {
	if err := o.Store.DeleteAlarm(); err != nil {
		return internal(err)
	}
	if err := o.Store.DeleteAll(); err != nil {
		return internal(err)
	}
	return 200, map[string]any{"ok": true, "installed": false}
}
