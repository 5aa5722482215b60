// Package unread is the module's core: everything that decides what happens
// to a markUnread call, written in plain Go so it builds and tests natively.
// The portal facts it relies on are in docs/bitrix24.md; comments cite them
// by their anchors.
//
// One idea per file:
//
//   - args.go: the portal's checks of the arguments, in its order;
//   - config.go: the ports (Transport, SharedBudget, PlanStore), Config,
//     and Options, the one list of page options with defaults and bounds;
//   - client.go: admission, the two lanes (interactive, bulk), and the
//     accounting that settles every call exactly once;
//   - schedule.go: the dispatcher, which takes calls into requests when the
//     Pacer allows;
//   - outcome.go: what each call comes to after an answer (settled or sent
//     again), for a request that never left, or when it times out;
//   - pacer.go: when a request may leave and how much it carries (the
//     bucket, slow start's ramp, gathering, plan crossing); learned.go:
//     what it learns from each answer; operating.go: its side of the
//     operating-time limit; hold.go: other clients' word of that limit;
//   - share.go: the room other apps on the portal's bucket leave the
//     client, and the part it keeps free for their lumps, learned from its
//     answers; room.go: what it tells of that and hears from the app's
//     other clients;
//   - plan.go: the portal's plan, recalled, learned from app.info, demoted;
//   - retry.go: what a call does after a verdict that did not settle it;
//   - request.go: the request itself (body, send), answer.go: reading it
//     into one verdict per command, json.go: the answer's text as
//     JSON.parse reads it;
//   - session.go: tokens, one refresh at a time, early refresh;
//   - portal.go: where a token may be sent; stats.go, log.go: what the
//     client tells of itself; bucket.go, stop.go: small tools.
//
// Words: a call "settles" when its outcome is final (Stats.Settled,
// OnSettle); a command's "verdict" says what follows an answer; the
// portal's bucket is "full" (503 QUERY_LIMIT_EXCEEDED), a method is
// "blocked" (429 OPERATION_TIME_LIMIT); backoff has "spread", the bucket
// "headroom" for travel time; the "others" are other apps behind the same
// address, and the client's "room" is the drain they leave it.
//
// The package talks to the outside through small interfaces (Transport,
// Auth, SharedBudget, PlanStore); package browser implements them with
// syscall/js. It imports no reflection-heavy package (fmt, encoding/json,
// net/url): each costs hundreds of KB in every page that loads the module.
package unread
