// Package workerd runs the built Worker (make worker-build's bin/worker) under
// Cloudflare's workerd, locally, for make worker and for the tests that drive the
// Worker against the emulator. It builds natively only.
package workerd
