// Package worker is the app's server, a Cloudflare Worker: its logic in plain Go, so it
// builds and tests natively. Package worker/cf adapts it to the Workers runtime
// (syscall/js, syumai/workers); wasm/cmd/markunread-worker wires the two.
//
// Two roles, one binary:
//
//   - the front (front.go): every request from outside. It answers the portal's launch
//     and install POSTs with the app page, serves the module's files (assets.go), and
//     hands events and job requests to the portal's object;
//   - the portal's object (object.go), a Durable Object per portal, named by its
//     member_id: the install (event.go: ONAPPINSTALL, ONAPPUNINSTALL), the jobs of
//     every user of that portal (pageapi.go: create, list, cancel), and the alarm that
//     runs them (run.go) with the core (wasm/unread) under one bucket for the whole
//     portal (budget.go): each user through a core client of their own (userclient.go),
//     each job's pairs kept as they settle (jobrun.go).
//
// One idea per file: platform.go, the ports (Store, Outbound, Assets, Objects) and
// Settings; seal.go, tokens at rest; portalapi.go, the calls to the portal and its OAuth
// server; jobs.go, a job, its checks and its storage; apierror.go, the answers a page
// gets when it is refused.
//
// Words: a "pair" is one mark (dialog id, message id); a job is "due" when its time has
// come; a user's "tokens" are the access and refresh token the page handed over, kept
// sealed and deleted when that user has no job left to run.
package worker
