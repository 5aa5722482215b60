# One way to build, test, run and measure; README and .ci/run use these.
GO        ?= go
GOROOT    := $(shell $(GO) env GOROOT)
WASM_LIB  := $(GOROOT)/lib/wasm
WASM_ENV  := GOOS=js GOARCH=wasm
# -s drops the symbol table: it is not needed to run and it is 10% of the file.
WASM_BUILD := $(WASM_ENV) $(GO) build -trimpath -ldflags=-s
DIST      := dist
BIN       := bin
# A fresh emulator on free loopback ports around a test command; it passes
# MARKUNREAD_PORTAL_URL, MARKUNREAD_APP_URL and MARKUNREAD_TOKEN on.
WITH_PORTAL := $(BIN)/devportal -portal 127.0.0.1:0 -app localhost:0 -dist $(DIST) -app-dir web/app --

.PHONY: build run test test-go test-wasm test-js size bench tools clean

build: tools
	mkdir -p $(DIST)
	$(WASM_BUILD) -o $(DIST)/markunread.wasm ./wasm/cmd/markunread
	cp $(WASM_LIB)/wasm_exec.js $(DIST)/wasm_exec.js
	cp js/markunread.js js/auth.js js/markunread.d.ts $(DIST)/
	$(BIN)/footprint -write $(DIST)/markunread.wasm

tools:
	mkdir -p $(BIN)
	$(GO) build -o $(BIN)/devportal ./web/cmd/devportal
	$(GO) build -o $(BIN)/footprint ./tools/footprint

run: build
	$(BIN)/devportal -dist $(DIST) -app-dir web/app

test: build test-go test-wasm test-js

test-go:
	$(GO) vet ./...
	$(WASM_ENV) $(GO) vet ./wasm/... ./tools/floor
	$(GO) test ./...

# Go tests built for js/wasm, run by Node against a real emulator.
test-wasm: tools
	$(WITH_PORTAL) env $(WASM_ENV) PATH="$(WASM_LIB):$$PATH" $(GO) test ./wasm/...

test-js: build
	$(WITH_PORTAL) node --test js/test/

# Raw, gzip and brotli size of the module against the floor program (a Go
# wasm that only exports one function), built the same way in the same run.
size: build
	$(WASM_BUILD) -o $(BIN)/floor.wasm ./tools/floor
	$(BIN)/footprint $(DIST)/markunread.wasm $(BIN)/floor.wasm

clean:
	rm -rf $(DIST) $(BIN)
