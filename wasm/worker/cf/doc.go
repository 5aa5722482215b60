// Package cf adapts package worker to the Cloudflare Workers runtime: a Durable
// Object's storage as a worker.Store, the global fetch as worker.Outbound, the ASSETS
// binding as worker.Assets, the PORTAL namespace as worker.Objects, and the Worker's
// secrets as worker.Settings. It builds only for js/wasm, run by syumai/workers' glue,
// which gives each request's Go instance its runtime context (env, and ctx: the
// object's state inside a Durable Object) as globalThis.context.
package cf
