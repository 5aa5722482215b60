package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// heavyPackages are the packages the browser module leaves out, each for
// what it would cost every page that loads it (design.md; make size shows
// each one's weight): reflection-heavy formatting and encoding, and the
// standard time package (its import alone: internal/godebug's start-up
// chain, 31 KB brotli), strings (it brings unicode's tables), context.
var heavyPackages = []string{
	"fmt", "encoding/json", "net/url", "net/http", "reflect", "context",
	"time", "internal/godebug", "strings", "unicode",
}

func TestTheBrowserModuleLeavesOutTheHeavyPackages(t *testing.T) {
	if testing.Short() {
		t.Skip("lists the module's packages for js/wasm")
	}
	cmd := exec.Command("go", "list", "-tags", "browserclock", "-deps", "../../wasm/cmd/markunread")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := map[string]bool{}
	for _, p := range strings.Fields(string(out)) {
		deps[p] = true
	}
	if !deps["github.com/markunread/markunread/wasm/unread"] {
		t.Fatalf("the module's packages do not include the core: %s", out)
	}
	for _, p := range heavyPackages {
		if deps[p] {
			t.Errorf("the browser module imports %s (go list -deps -tags browserclock ./wasm/cmd/markunread)", p)
		}
	}
}
