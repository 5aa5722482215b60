package worker

import (
	"crypto/subtle"
	"encoding/json"
	"net/url"
)

// ONAPPUPDATE: the portal installed a new version of the app (docs/bitrix24.md#f-event-update).
//
// The portal's docs say the event brings a new application_token, which the app keeps
// from then on in place of the one from ONAPPINSTALL (#f-event-token). So the event
// cannot be checked as the others are, by the token it carries: that token is the new
// one. What the Worker does:
//   - an event carrying the token already kept is taken (200) and changes nothing;
//   - an event carrying another token changes the kept one only when it also carries
//     an access token that the installed portal itself accepts (profile at the kept
//     base URL, never at the event's client_endpoint) for a user the portal names an
//     administrator (ADMIN): a portal administrator could remove the app anyway, while
//     any other user of the portal who opened the app has an access token too, and must
//     not be able to put a token of their own in place and then send a forged
//     ONAPPUNINSTALL;
//   - anything else is refused with 403 WRONG_APP_TOKEN and changes nothing.
//
// The cost of this choice: an update made by a user who may install apps without
// being an administrator is refused, and the Worker keeps the old token, so the
// portal's later events are refused until the app is installed again.

// appUpdated handles ONAPPUPDATE for the install in (nil: not installed).
func (o *Object) appUpdated(form url.Values, in *Install, seal *Sealer) (int, any) {
	if in == nil {
		return fail(apiErr(404, CodeNotInstalled, "the app is not installed on this portal"))
	}
	token := form.Get("auth[application_token]")
	kept, err := seal.Open("install/"+in.MemberID, in.AppToken)
	if err != nil || form.Get("auth[member_id]") != in.MemberID {
		return fail(apiErr(403, CodeWrongToken, "the event's application_token is not this install's"))
	}
	if subtle.ConstantTimeCompare([]byte(kept), []byte(token)) == 1 {
		return 200, map[string]any{"ok": true, "tokenChanged": false}
	}
	if e := o.mayChangeAppToken(form, in); e != nil {
		return fail(e)
	}
	sealed, err := seal.Seal("install/"+in.MemberID, token)
	if err != nil {
		return internal(err)
	}
	in.AppToken = sealed
	b, _ := json.Marshal(in)
	if err := o.Store.Put(map[string]string{keyInstall: string(b)}); err != nil {
		return internal(err)
	}
	return 200, map[string]any{"ok": true, "tokenChanged": true}
}

// mayChangeAppToken says why an ONAPPUPDATE with a new application_token may not
// replace the kept one, or nil when it may (see above).
func (o *Object) mayChangeAppToken(form url.Values, in *Install) *APIError {
	refused := func(why string) *APIError {
		return apiErr(403, CodeWrongToken, "the event's application_token is not this install's, and "+why)
	}
	if ce := form.Get("auth[client_endpoint]"); ce != "" {
		if base, e := restBase(ce, o.Settings.PortalHosts); e != nil || base != in.Base {
			return refused("the event names another portal")
		}
	}
	access := form.Get("auth[access_token]")
	if access == "" {
		return refused("it carries no access token to show an update by the portal's administrator")
	}
	o.spendOne()
	user, e := askProfile(o.Out, nil, in.Base, access)
	switch {
	case e != nil && e.Code == CodeTokenRefused:
		return refused("the portal did not accept its access token")
	case e != nil:
		return e
	case !user.Admin:
		return refused("its access token is not a portal administrator's")
	}
	return nil
}
