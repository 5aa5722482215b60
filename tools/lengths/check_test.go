package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// goFile is a Go file of n lines in all whose one function, run, is body lines long.
func goFile(n, body int) string {
	var b strings.Builder
	b.WriteString("package p\n\nfunc run() {\n")
	for i := 0; i < body-2; i++ {
		b.WriteString("\t_ = 0\n")
	}
	b.WriteString("}\n")
	for lines := body + 2; lines < n; lines++ {
		b.WriteString("\n")
	}
	return b.String()
}

func jsFile(n int) string { return strings.Repeat("x();\n", n) }

func writeTree(t *testing.T, files map[string]string) string {
	root := t.TempDir()
	for rel, src := range files {
		path := filepath.Join(root, filepath.FromSlash(rel))
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(src), 0o644))
	}
	return root
}

func TestFilesAndFunctionsWithinTheBoundsPass(t *testing.T) {
	root := writeTree(t, map[string]string{
		"wasm/p/p.go": goFile(320, 60),
		"js/shim.js":  jsFile(400),
	})
	over, err := check(root)
	require.NoError(t, err)
	assert.Empty(t, over)
}

func TestEachFileAndFunctionOverItsBoundIsNamed(t *testing.T) {
	root := writeTree(t, map[string]string{
		"wasm/p/long.go":               goFile(321, 10),
		"wasm/p/q/longfn.go":           goFile(100, 61),
		"wasm/p/method.go":             strings.Replace(goFile(70, 61), "func run()", "type T struct{}\n\nfunc (t *T) run()", 1),
		"js/shim.js":                   jsFile(401),
		"js/small.js":                  jsFile(10),
		"wasm/p/ok.go":                 goFile(20, 5),
		"wasm/p/long_test.go":          goFile(900, 800), // tests are not bounded
		"js/test/long.test.js":         jsFile(900),
		"js/wasm_exec.module.js":       jsFile(900), // the toolchain's
		"wasm/p/testdata/x.go":         goFile(900, 800),
		"wasm/cmd/w/node_modules/m.go": goFile(900, 800),
		"web/long.go":                  goFile(900, 800), // outside wasm/
	})
	over, err := check(root)
	require.NoError(t, err)
	assert.Equal(t, []string{
		"wasm/p/long.go: 321 lines, over 320",
		"wasm/p/method.go:5: (*T).run is 61 lines, over 60",
		"wasm/p/q/longfn.go:3: run is 61 lines, over 60",
		"js/shim.js: 401 lines, over 400",
	}, over)
}

func TestAFileThatDoesNotParseIsAnError(t *testing.T) {
	root := writeTree(t, map[string]string{"wasm/p/p.go": "package p\nfunc {"})
	_, err := check(root)
	assert.ErrorContains(t, err, "wasm/p/p.go")
}
