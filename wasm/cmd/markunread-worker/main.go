// Command markunread-worker is the app's server on Cloudflare Workers (package
// wasm/worker): built with GOOS=js GOARCH=wasm and run by syumai/workers' glue inside
// entry.mjs, which also holds the Durable Object class. make worker builds it and runs
// it under workerd against the emulator; wrangler.jsonc deploys it.
package main

func main() { serve() }
