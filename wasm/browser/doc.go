// Package browser is the module's JavaScript boundary: the fetch transport,
// the auth source that asks page JavaScript for tokens, and the bridge that
// turns JS calls into core calls and core results into settled Promises.
// Only this package imports syscall/js (and wasm/internal/time, for the
// page's clock); the core (package unread) never does.
//
// Its files: bridge.go (Serve: the bridge read, the api built, close),
// calls.go (markUnread and markMany, and a call's AbortSignal), promise.go (a
// call's Promise and the shim's error), events.go (progress, log events, the
// counters), fetch.go (the transport), auth.go (the page's tokens),
// budget.go (the budget shared with the page's other clients), jsvalue.go
// (guarded calls into page code, promises awaited, arguments read).
//
// # The bridge contract
//
// The shim (js/load.js) creates one bridge object per load() and stores
// it under a fresh key on the Go program's private global object (what
// js.Global() is here: dist/wasm_exec.js runs the toolchain's wasm_exec.js
// against a private global that reads through to the page's), then starts
// the Go program with go.env.MARKUNREAD_BRIDGE set to that key. main reads
// the key, takes the object, and the shim deletes it again: the module
// depends on no global that the shim did not create (apart from JS built-ins
// such as Promise, Object and Uint8Array), and the page's global object
// never holds the bridge.
//
// The bridge, its options, its auth object and every Credentials object are
// null-prototype objects, so Get never sees a polluted Object.prototype.
//
// Fields the shim sets before go.run:
//
//	options   {pageSecure: boolean, batch: boolean, portal?: string, and
//	           any of the numeric options the page gave, under the names of
//	           unread.Options ("limits.perSecond", "limits.burst",
//	           "timeoutMs", "queueSize", "bulkQueueSize", "maxAttempts")}
//	          (pageSecure: the page's origin is https, a srcdoc or about:
//	          frame's inherited one included, so http portals are refused
//	          even on loopback; plain http is only ever allowed for loopback
//	          hosts. Limits left out are learned from the portal.)
//	fetch     function(url, init) -> Promise<Response>; the page's fetch
//	auth      {token(): Promise<Credentials>, refresh?(): Promise<Credentials>}
//	          (without refresh, a refused token fails the call with the
//	          portal's own code), where Credentials is {portal: string,
//	          accessToken: string, expiresIn?: number}; portal is the base
//	          URL, e.g. "https://example.bitrix24.com", expiresIn the
//	          token's life in seconds
//	plans     optional {recall(portal) -> {perSecond, burst} | null,
//	                    remember(portal, perSecond, burst)}: the portal's
//	          plan kept between page loads
//	budget    optional function(portal) -> {reserve(perSecond, burst) ->
//	          Promise, full(), hold(method, untilMs), watch(listener) ->
//	          unwatch, room?(others, atMs, holdMs), watchRoom?(listener) ->
//	          unwatch}: the request budget the app's clients, frames and
//	          tabs share for that portal; perSecond is the room the client
//	          assumes is its own; reserve's promise may resolve with
//	          {granted, refused}, the app's requests to the portal before
//	          this one and the 503s told; others is what the client learned
//	          the portal's other apps spend (requests per second, 0: none),
//	          holdMs how long that holds before it fades, and watchRoom's
//	          listener(others, atMs, holdMs) hears what the app's other
//	          clients learned, at once with the latest known (sharedBudget
//	          in budget.go)
//	newError  function(code, description, status, attempts) -> Error;
//	          the shim's MarkUnreadError (status and attempts are 0 when
//	          there was none); it removes every token the auth source gave
//	          out (and token-like form parameters) from description
//	onSettle  function(dialogId, messageId, ok, code, bulk, settled,
//	          succeeded, failed, queued, inFlight): called after every call
//	          settles, once hearProgress was called (dialogId and messageId
//	          are null for refused arguments, code null on success)
//	onLog     optional function(event): {kind, message, code?, waitMs?,
//	          commands?} (unread.LogEvent), never carrying a token
//	ready     function(api): called once, when the exports are in place
//	refuse    function(code, description): called instead of ready when
//	          the options cannot be used (BAD_OPTION, INVALID_PORTAL); the
//	          Go program then ends
//
// The api object handed to ready (a null-prototype object):
//
//	markUnread(dialogId, messageId, signal?) -> Promise<true>; it rejects
//	          with an object made by newError and never throws
//	markMany(dialogIds, messageIds, signal?, onEach?) -> Promise<Array<true |
//	          Error>>: one bulk job; onEach(index, ok) as each pair settles.
//	          Each list is an array, or the shim's packed text of one (one
//	          crossing for the whole list): elements "s"+string or
//	          "n"+finite number, separated by NUL
//	hearProgress() the page listens for progress events: from now on,
//	          onSettle is called
//	stats()   -> the counters of unread.Stats.Fields, by their JavaScript
//	          names (abandoned: requests given up on without an answer)
//	close(closed?) settles what is pending with CLIENT_CLOSED, calls
//	          closed(stats) with the final counters, releases these
//	          functions and lets the Go program end
package browser
