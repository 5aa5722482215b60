# One way to build, test, run and measure; README and .ci/run use these.
GO        ?= go
GOROOT    := $(shell $(GO) env GOROOT)
WASM_LIB  := $(GOROOT)/lib/wasm
WASM_ENV  := GOOS=js GOARCH=wasm
# -s drops the symbol table: it is not needed to run and it is 10% of the file.
WASM_BUILD := $(WASM_ENV) $(GO) build -trimpath -ldflags=-s
# The browser module's build: its clock is the page's, not the standard time
# package, whose import alone costs 31 KB brotli (wasm/internal/time).
BROWSER_TAGS := -tags browserclock
# The packages built with BROWSER_TAGS; their tests run with them too.
BROWSER_PKGS := ./wasm/browser ./wasm/internal/time ./wasm/cmd/markunread
DIST      := dist
BIN       := bin
# A fresh emulator on free loopback ports around a test command; it passes
# MARKUNREAD_PORTAL_URL, MARKUNREAD_APP_URL and MARKUNREAD_TOKEN on, and stops
# (with the command) if make is killed.
WITH_PORTAL := $(BIN)/devportal -follow-parent -portal 127.0.0.1:0 -app localhost:0 -dist $(DIST) -app-dir web/app --

.PHONY: worker worker-build test-worker bench-worker
.PHONY: build run test lint typecheck test-go test-wasm test-js test-browser chromium package size bench tools clean style demo-png vite-fixture

# The files the package ships are listed once, in js/package.json "files";
# the shim's own are those of them that js/ holds (wasm_exec.js is built).
SHIPPED    = $(shell node -p "require('./js/package.json').files.join(' ')")
SHIM_FILES = $(filter-out wasm_exec.js,$(filter %.js %.d.ts,$(SHIPPED)))

# dist/wasm_exec.js is the toolchain's wasm_exec.js, unmodified, inside an ES
# module that keeps it off the page's global object (js/wasm_exec.module.js).
build: tools
	mkdir -p $(DIST)
	$(WASM_BUILD) $(BROWSER_TAGS) -o $(DIST)/markunread.wasm ./wasm/cmd/markunread
	awk -v src=$(WASM_LIB)/wasm_exec.js '/^\/\/ @wasm_exec.js@$$/ { while ((getline line < src) > 0) print line; next } { print }' \
	  js/wasm_exec.module.js > $(DIST)/wasm_exec.js
	cp $(addprefix js/,$(SHIM_FILES)) $(DIST)/
	$(BIN)/footprint -write $(DIST)/markunread.wasm

tools:
	mkdir -p $(BIN)
	$(GO) build -o $(BIN)/devportal ./web/cmd/devportal
	$(GO) build -o $(BIN)/footprint ./tools/footprint

# The built emulator replaces the recipe's shell: make's child is the emulator
# itself, and with -follow-parent it exits when make does, even when make is
# killed (README: The local portal emulator).
run: build
	exec $(BIN)/devportal -follow-parent -dist $(DIST) -app-dir web/app

test: build lint typecheck test-go test-wasm test-js test-browser test-worker

# gofmt, go vet and staticcheck, on the native build, on the wasm one, and on
# the browser module's; tsc over every js/*.js (typecheck); the bounds on
# production code's length (tools/lengths: a Go file in wasm/ 320 lines, a Go
# function 60, a js/*.js file 400).
lint: typecheck
	$(GO) run ./tools/lengths
	@unformatted=$$(gofmt -l .); [ -z "$$unformatted" ] || { echo "gofmt: these files need formatting:"; echo "$$unformatted"; exit 1; }
	$(GO) vet ./...
	$(WASM_ENV) $(GO) vet ./wasm/... ./tools/floor
	$(WASM_ENV) $(GO) vet $(BROWSER_TAGS) $(BROWSER_PKGS)
	mkdir -p $(BIN)
	$(GO) build -o $(BIN)/staticcheck honnef.co/go/tools/cmd/staticcheck
	$(BIN)/staticcheck ./...
	$(WASM_ENV) $(BIN)/staticcheck ./wasm/... ./tools/floor
	$(WASM_ENV) $(BIN)/staticcheck $(BROWSER_TAGS) $(BROWSER_PKGS)

# The compiler over the shim (checkJs: its JSDoc types) and the
# declarations (js/types-check.ts pins what they promise); js/tsconfig.json.
typecheck:
	npm ci --prefix js --no-audit --no-fund --loglevel=warn >/dev/null
	cd js && npx tsc -p tsconfig.json

# Native Go tests; the browser tests run in test-browser, once. The browser
# clock's Duration and Time are held to the standard package's natively.
test-go:
	$(GO) test $$($(GO) list ./... | grep -v /web/browsertest)
	$(GO) test $(BROWSER_TAGS) ./wasm/internal/time

# Go tests built for js/wasm, run by Node against a real emulator; the
# browser package's as the module is built, on the page's clock (the core's
# run on the standard one, under testing/synctest).
test-wasm: tools
	$(WITH_PORTAL) env $(WASM_ENV) PATH="$(WASM_LIB):$$PATH" $(GO) test $$($(WASM_ENV) $(GO) list ./wasm/... | grep -v /wasm/browser)
	$(WITH_PORTAL) env $(WASM_ENV) PATH="$(WASM_LIB):$$PATH" $(GO) test $(BROWSER_TAGS) $(BROWSER_PKGS)

# Every fuzz target of the core (wasm/unread), natively, one after the other,
# FUZZTIME each. Their seed corpora (wasm/unread/testdata/fuzz) also run in
# plain go test; what fuzzing finds lands there too, as a failing input.
FUZZTIME ?= 30s
.PHONY: fuzz
fuzz:
	@for f in $$($(GO) test -list '^Fuzz' ./wasm/unread | grep '^Fuzz'); do \
	  echo "fuzz: $$f for $(FUZZTIME)"; \
	  $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) ./wasm/unread || exit 1; \
	done

# node:test's mock timers are still "experimental" in Node 20: the warning says
# nothing about this project, so it is not printed. The files run one after
# the other: several reset the one emulator (its plan, a prefilled bucket).
test-js: package-module
	MARKUNREAD_PACKAGE=$(CURDIR)/$(BIN)/markunread-$(VERSION).tgz $(WITH_PORTAL) node --disable-warning=ExperimentalWarning --test --test-concurrency=1 js/test/

# Every npm package into bin/: the module's (markunread-VERSION.tgz) and the
# emulator's, a launcher and one binary package per platform.
VERSION = $(shell node -p "require('./js/package.json').version")
# npm's os-cpu names; make test packs HOST_PLATFORM's only.
DEVPORTAL_PLATFORMS ?= linux-x64 linux-arm64 darwin-x64 darwin-arm64 win32-x64
HOST_PLATFORM := $(shell node -p "process.platform + '-' + process.arch")
package: package-module package-devportal $(DEVPORTAL_PLATFORMS:%=package-devportal-%)

# The module's package, from dist/: bin/markunread-VERSION.tgz.
package-module: build
	cp js/package.json README.md LICENSE $(DIST)/
	cd $(DIST) && npm pack --loglevel=warn --pack-destination $(CURDIR)/$(BIN) >/dev/null
	@echo "$(BIN)/markunread-$(VERSION).tgz"

# The emulator for npm (web/npm), so an app's folder runs it without Go:
# markunread-devportal, a launcher that lists one package per platform as
# optionalDependencies, of which npm installs the one whose os and cpu match
# (as esbuild ships its binaries). It carries the demo app; the module comes
# from the markunread package. Each is staged in bin/npm/ and packed into bin/.
# make test packs the launcher and this machine's platform only.
NPM_STAGE := $(BIN)/npm
.PHONY: package-module package-devportal

package-devportal:
	rm -rf $(NPM_STAGE)/markunread-devportal && mkdir -p $(NPM_STAGE)/markunread-devportal
	sed 's/@VERSION@/$(VERSION)/g' web/npm/markunread-devportal/package.json > $(NPM_STAGE)/markunread-devportal/package.json
	cp -R web/npm/markunread-devportal/bin web/npm/markunread-devportal/README.md LICENSE $(NPM_STAGE)/markunread-devportal/
	cp -R web/app $(NPM_STAGE)/markunread-devportal/app
	cd $(NPM_STAGE)/markunread-devportal && npm pack --loglevel=warn --pack-destination $(CURDIR)/$(BIN) >/dev/null
	@echo "$(BIN)/markunread-devportal-$(VERSION).tgz"

# A platform is npm's os-cpu (linux-x64, win32-x64); Go names them linux/amd64,
# windows/amd64. Static (no cgo), so one build runs on any libc.
package-devportal-%:
	@set -e; p=$*; os=$${p%-*}; cpu=$${p#*-}; stage=$(NPM_STAGE)/markunread-devportal-$$p; \
	case $$os in win32) goos=windows; exe=.exe;; *) goos=$$os; exe=;; esac; \
	case $$cpu in x64) goarch=amd64;; *) goarch=$$cpu;; esac; \
	rm -rf $$stage && mkdir -p $$stage/bin; \
	sed -e 's/@VERSION@/$(VERSION)/g' -e "s/@PLATFORM@/$$p/g" -e "s/@OS@/$$os/g" -e "s/@CPU@/$$cpu/g" web/npm/platform/package.json > $$stage/package.json; \
	cp LICENSE $$stage/; \
	echo "GOOS=$$goos GOARCH=$$goarch $(GO) build -o $$stage/bin/devportal$$exe ./web/cmd/devportal"; \
	CGO_ENABLED=0 GOOS=$$goos GOARCH=$$goarch $(GO) build -trimpath -ldflags='-s -w' -o $$stage/bin/devportal$$exe ./web/cmd/devportal; \
	cd $$stage && npm pack --loglevel=warn --pack-destination $(CURDIR)/$(BIN) >/dev/null; \
	echo "$(BIN)/markunread-devportal-$$p-$(VERSION).tgz"

# Real-browser tests (web/browsertest): Debian's chromium driven by chromedp,
# with the official SDK pinned in web/browsertest/sdk. Missing pieces fail here.
test-browser: build chromium vite-fixture package-devportal package-devportal-$(HOST_PLATFORM)
	npm ci --prefix web/browsertest/sdk --no-audit --no-fund --loglevel=warn >/dev/null
	MARKUNREAD_BROWSER_TESTS=1 $(GO) test -count=1 ./web/browsertest/

# The Vite app the browser tests build (web/browsertest/vite): its pinned
# Vite, and the package as make package packs it, installed as a user would.
vite-fixture: package-module
	npm ci --prefix web/browsertest/vite --no-audit --no-fund --loglevel=warn >/dev/null
	npm install --prefix web/browsertest/vite --no-save --no-audit --no-fund --loglevel=warn $(CURDIR)/$(BIN)/markunread-$(VERSION).tgz >/dev/null

# The README's picture: the browser test that drives the demo takes it into
# bin/screenshots/ (test artefacts stay out of dist/), and this copies it.
demo-png: build chromium
	MARKUNREAD_BROWSER_TESTS=1 $(GO) test -count=1 -run '^TestDemoScreenshot$$' ./web/browsertest/
	cp $(BIN)/screenshots/demo.png web/demo.png

chromium:
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium) || \
	  { echo "make chromium: Debian's chromium is not installed and apt-get could not install it (run as root: apt-get install -y chromium)" >&2; exit 1; }
	@command -v chromium >/dev/null || { echo "make chromium: chromium is still not on PATH" >&2; exit 1; }

# Raw, gzip and brotli size of the module against the floor program (a Go
# wasm that only exports one function), built the same way in the same run;
# then both by package: builds that keep the name section (no -s, nothing
# else differs) say which package each function's code belongs to.
# SIZE_FLAGS='-without time,internal/godebug' adds what those packages'
# code costs in the module's brotli; SIZE_FLAGS='-top 40' lists the
# module's 40 largest functions of this repository's packages.
size: build
	$(WASM_BUILD) -o $(BIN)/floor.wasm ./tools/floor
	$(BIN)/footprint $(DIST)/markunread.wasm $(BIN)/floor.wasm
	@echo "packages in the module beyond the floor's:"
	@$(WASM_ENV) $(GO) list -deps ./tools/floor | sort > $(BIN)/floor.deps
	@$(WASM_ENV) $(GO) list $(BROWSER_TAGS) -deps ./wasm/cmd/markunread | sort | comm -13 $(BIN)/floor.deps - | tr '\n' ' '; echo
	@$(WASM_ENV) $(GO) list $(BROWSER_TAGS) -deps ./tools/floor ./wasm/cmd/markunread | sort -u > $(BIN)/size.deps
	$(WASM_ENV) $(GO) build -trimpath $(BROWSER_TAGS) -o $(BIN)/markunread.names.wasm ./wasm/cmd/markunread
	$(WASM_ENV) $(GO) build -trimpath -o $(BIN)/floor.names.wasm ./tools/floor
	$(BIN)/footprint -packages $(BIN)/size.deps $(SIZE_FLAGS) $(BIN)/markunread.names.wasm $(BIN)/floor.names.wasm

# Figures, not pass/fail, in headless Chromium against the in-process
# emulator: limits, start-up against the floor, round trip, and the
# workloads next to their references, the official SDK's batches among them
# (tools/bench). BENCH_FLAGS picks parts, e.g. BENCH_FLAGS='-only 1,3'.
bench: build chromium
	npm ci --prefix web/browsertest/sdk --no-audit --no-fund
	$(WASM_BUILD) -o $(BIN)/floor.wasm ./tools/floor
	$(BIN)/footprint -write $(BIN)/floor.wasm
	$(GO) run ./tools/bench -dist $(DIST) -floor $(BIN)/floor.wasm $(BENCH_FLAGS)
	$(MAKE) --no-print-directory bench-worker

# Bitrix24's look for the demo app and the emulator's page: the design tokens
# of @bitrix24/b24style (a Tailwind plugin, pinned in web/style) compiled into
# two plain CSS files. They are committed, so build, run and test need no npm
# for them; this regenerates them after a change under web/style/.
style:
	npm ci --prefix web/style --no-audit --no-fund --loglevel=warn >/dev/null
	cd web/style && for page in app:../app/b24.css portal:../devportal/portal.css; do \
	  src=$${page%%:*}.css; out=$${page#*:}; \
	  BROWSERSLIST_IGNORE_OLD_DATA=1 npx tailwindcss -c tailwind.config.cjs -i $$src -o $$out.tmp 2>$$out.log || { cat $$out.log; exit 1; }; \
	  { echo "/* Generated by make style from web/style/$$src with @bitrix24/b24style; do not edit. */"; cat $$out.tmp; } > $$out; \
	  rm -f $$out.tmp $$out.log; \
	done

clean:
	rm -rf $(DIST) $(BIN)

# The app's server, a Go Worker (wasm/worker, wasm/cmd/markunread-worker), built
# into bin/worker/: build/ (the Go wasm and syumai/workers' glue), assets/ (web/app
# and the module at /dist/), entry.mjs, wrangler.jsonc and workerd's config.
# workerd comes pinned from npm (wasm/cmd/markunread-worker/package.json).
WORKER_SRC := wasm/cmd/markunread-worker
WORKER     := $(BIN)/worker
worker-build: build
	npm ci --prefix $(WORKER_SRC) --no-audit --no-fund --loglevel=warn >/dev/null
	rm -rf $(WORKER) && mkdir -p $(WORKER)/build $(WORKER)/assets/dist
	$(GO) tool workers-assets-gen -mode=go -o $(WORKER)/build
	$(WASM_BUILD) -o $(WORKER)/build/app.wasm ./$(WORKER_SRC)
	cp -R web/app/. $(WORKER)/assets/
	cp $(DIST)/*.js $(DIST)/*.d.ts $(DIST)/markunread.wasm $(DIST)/markunread.wasm.br $(WORKER)/assets/dist/
	cp $(WORKER_SRC)/entry.mjs $(WORKER_SRC)/workerd.capnp.in $(WORKER)/
	id=$$(cat $(WORKER)/assets/dist/* | sha256sum | cut -c1-16); \
	  sed "s/@BUILD_ID@/$$id/" $(WORKER_SRC)/wrangler.jsonc > $(WORKER)/wrangler.jsonc; echo $$id > $(WORKER)/BUILD_ID
	$(GO) build -o $(BIN)/worker-local ./tools/worker

# Builds the Worker, starts it under workerd and the emulator beside it, installs
# the app on the emulated portal, and prints the portal page to open and the app's URL.
worker: worker-build
	exec $(BIN)/worker-local -dir $(WORKER) -workerd $(WORKER_SRC)/node_modules/.bin/workerd

# The Worker's logic natively (in test-go), and here the Worker itself under workerd
# against the emulator, and the demo's reminder through it in Chromium.
WITH_WORKER := MARKUNREAD_WORKER_DIR=$(CURDIR)/$(WORKER) MARKUNREAD_WORKERD=$(CURDIR)/$(WORKER_SRC)/node_modules/.bin/workerd
test-worker: worker-build chromium
	$(WITH_WORKER) $(GO) test -count=1 ./wasm/worker/workerd/
	$(WITH_WORKER) MARKUNREAD_BROWSER_TESTS=1 $(GO) test -count=1 -run '^TestDemoReminderIsMarkedByTheWorker' ./web/browsertest/

# The Worker's figures (tools/workerbench): its wasm and cold start against a
# hello Worker on the same glue, built the same way in the same run, and the
# scale rows under workerd against the emulator (W5 with a page in Chromium).
# WORKERBENCH_FLAGS picks rows, e.g. WORKERBENCH_FLAGS='-only W5'.
bench-worker: worker-build chromium
	rm -rf $(BIN)/worker-hello $(BIN)/workerbench && mkdir -p $(BIN)/workerbench
	cp -R $(WORKER) $(BIN)/worker-hello && rm -rf $(BIN)/worker-hello/state
	$(WASM_BUILD) -o $(BIN)/worker-hello/build/app.wasm ./tools/workerbench/hello
	cp $(WORKER)/build/app.wasm $(BIN)/workerbench/worker.wasm
	cp $(BIN)/worker-hello/build/app.wasm $(BIN)/workerbench/hello.wasm
	$(BIN)/footprint -write $(BIN)/workerbench/worker.wasm $(BIN)/workerbench/hello.wasm
	$(GO) run ./tools/workerbench -dir $(WORKER) -hello $(BIN)/worker-hello -sizes $(BIN)/workerbench \
	  -workerd $(WORKER_SRC)/node_modules/.bin/workerd $(WORKERBENCH_FLAGS)
