// Package browsertest holds the real-browser tests of markunread: Debian's
// chromium, driven with chromedp, loads the demo app and small test pages
// inside the devportal's parent page (the app on a second origin, in an
// iframe, as Bitrix24 hosts it) and checks what a user would see.
//
// It holds only tests; web/chromium starts the browser for them and for
// make bench. `make test-browser` runs the tests with
// MARKUNREAD_BROWSER_TESTS=1, where a missing chromium, dist/markunread.wasm
// or the pinned official SDK (web/browsertest/sdk, `npm ci`) fails the run;
// a plain `go test ./...` skips them with the reason instead.
//
// Layout of a test: the portal (devportal.Portal) listens on 127.0.0.1, the
// app origin on localhost (a different origin and site, so Chromium runs the
// app iframe out of process, as it would for a real portal). The app origin
// serves web/app at /, dist at /dist/, testdata at /t/, the SDK's browser
// bundle at /sdk/, and dist again at /badmime/dist/ with a wrong MIME type
// for .wasm.
//
// The Vite tests put a Vite app (web/browsertest/vite, with the packed package
// installed by `make vite-fixture`) on the app origin through the emulator's
// app proxy instead. TestDemoScreenshot takes the README's picture into
// bin/screenshots/; `make demo-png` copies it to web/demo.png.
package browsertest
