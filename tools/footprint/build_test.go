package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The floor program (tools/floor), built for js/wasm as make size builds
// it: with the name section, and with -s as shipped.
func buildFloor(t *testing.T, ldflags string) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "floor.wasm")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags="+ldflags, "-o", out, "../floor")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, string(b))
	wasm, err := os.ReadFile(out)
	require.NoError(t, err)
	return wasm
}

func TestARealGoWasmIsAttributedToItsPackages(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the floor program for js/wasm")
	}
	named, err := parseWasm(buildFloor(t, ""))
	require.NoError(t, err)
	stripped := buildFloor(t, "-s")

	// -s drops only the name section: the rest is what ships, but for the
	// build id, which is as long.
	assert.Len(t, shipped(named), len(stripped))
	s, err := parseWasm(stripped)
	require.NoError(t, err)
	assert.Equal(t, s.section(sectionCode).payload, named.section(sectionCode).payload)
	assert.Equal(t, s.section(sectionData).payload, named.section(sectionData).payload)

	cmd := exec.Command("go", "list", "-deps", "../floor")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	deps, err := cmd.Output()
	require.NoError(t, err)
	namer := newPackageNamer(strings.Split(string(deps), "\n"))
	require.Len(t, named.names, len(named.bodies), "every body has a name")
	for i := range named.bodies {
		name := named.names[named.importedFuncs+i]
		if p := namer.packageOf(name); p == groupAssembly {
			assert.NotContains(t, name, ".", "a Go symbol left without a package")
		}
	}
	code := codeByPackage(named, namer)
	assert.Greater(t, len(code["runtime"]), len(named.section(sectionCode).payload)/2, "the floor is mostly the runtime")
	assert.NotEmpty(t, code["syscall/js"])
	assert.NotEmpty(t, code["main"])
	assert.Contains(t, code, groupAssembly)
}
