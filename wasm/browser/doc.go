// Package browser is the module's JavaScript boundary: the fetch transport,
// the auth source that asks page JavaScript for tokens, and the bridge that
// turns JS calls into core calls and core results into settled Promises.
// Only this package imports syscall/js; the core (package unread) never does.
//
// # The bridge contract
//
// The shim (js/markunread.js) creates one bridge object per load() and stores
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
//	options   {portal?: string, perSecond: number, burst: number,
//	           batch: boolean, timeoutMs: number, queueSize: number,
//	           maxAttempts: number, pageSecure: boolean}
//	          (pageSecure: the page's origin is https, a srcdoc or about:
//	          frame's inherited one included, so http portals are refused
//	          even on loopback; plain http is only ever allowed for loopback
//	          hosts)
//	fetch     function(url, init) -> Promise<Response>; the page's fetch
//	auth      null, or {token(): Promise<Credentials>,
//	                    refresh?(): Promise<Credentials>}
//	          (without refresh, a refused token fails the call with the
//	          portal's own code)
//	          where Credentials is {portal: string, accessToken: string};
//	          portal is the base URL, e.g. "https://example.bitrix24.com"
//	newError  function(code, description, status, attempts) -> Error;
//	          the shim's MarkUnreadError (status and attempts are 0 when
//	          there was none); it removes every token the auth source gave
//	          out (and token-like form parameters) from description
//	onSettle  function(progress): called after every call settles with
//	          {dialogId, messageId, ok, code, settled, succeeded, failed,
//	           queued, inFlight}
//	ready     function(api): called once, when the exports are in place
//
// The api object handed to ready:
//
//	markUnread(dialogId, messageId, signal?) -> Promise<true>; it rejects
//	          with an object made by newError and never throws
//	stats()   -> {requests, batches, commands, retries, refreshes, queued,
//	             inFlight, status503, status429, settled, succeeded, failed,
//	             abandoned}
//	          (abandoned: requests aborted whose fetch still had not settled
//	          a grace period later, given up on so their calls settle)
package browser
