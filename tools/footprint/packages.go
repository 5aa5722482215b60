package main

import (
	"regexp"
	"sort"
	"strings"
)

// Groups for the code that no package path names.
const (
	groupAssembly = "(assembly and linker)" // runtime and internal/bytealg assembly, entry points, the build id
	groupTypeEq   = "(type equality)"       // type:.eq functions of unnamed types
	groupUnnamed  = "(unnamed)"             // a body the name section has no name for
)

// linkerSanitized is how the Go linker turns a symbol name into a name
// section entry (cmd/link/internal/wasm: nameRegexp): every character
// other than a word character or a dot becomes an underscore, so
// "internal/godebug.(*Setting).Value" is "internal_godebug.__Setting_.Value".
var linkerSanitized = regexp.MustCompile(`[^\w.]`)

// packageNamer attributes a function's name section entry to the package
// whose symbol prefix it carries. Underscores cannot be told apart from
// slashes once sanitised, so the import paths are given (go list -deps)
// and the longest path whose sanitised form and a dot begin the name wins.
type packageNamer struct {
	prefixes []packagePrefix // longest first
}

type packagePrefix struct {
	prefix string // sanitised path and the dot
	path   string
}

// newPackageNamer knows these import paths; a command's package is "main"
// in its symbols, and main is always known.
func newPackageNamer(paths []string) *packageNamer {
	n := &packageNamer{}
	seen := map[string]bool{}
	for _, p := range append(paths, "main") {
		if p = strings.TrimSpace(p); p == "" || seen[p] {
			continue
		}
		seen[p] = true
		n.prefixes = append(n.prefixes, packagePrefix{linkerSanitized.ReplaceAllString(p, "_") + ".", p})
	}
	sort.Slice(n.prefixes, func(i, j int) bool { return len(n.prefixes[i].prefix) > len(n.prefixes[j].prefix) })
	return n
}

// arrayOf matches the sanitised "[N]" in front of an array type's name.
var arrayOf = regexp.MustCompile(`^_[0-9]+_`)

// packageOf returns the import path a function's code belongs to. The
// equality function of a named type ("type:.eq.time.Timer", of an array
// "type:.eq.[2]runtime.Frame" too) belongs to the type's package. A Go
// symbol of a package that is not listed (the runtime defines time.now and
// runtime/debug.SetTraceback for packages the program may not import) is
// given the path its prefix spells, underscores read as slashes. A name
// without a dot is assembly or the linker's.
func (n *packageNamer) packageOf(name string) string {
	if name == "" {
		return groupUnnamed
	}
	if rest, ok := strings.CutPrefix(name, "type_.eq."); ok {
		if p, ok := n.match(arrayOf.ReplaceAllString(rest, "")); ok {
			return p
		}
		return groupTypeEq
	}
	if p, ok := n.match(name); ok {
		return p
	}
	if prefix, _, ok := strings.Cut(name, "."); ok && goPackagePrefix.MatchString(prefix) {
		return strings.ReplaceAll(prefix, "_", "/")
	}
	return groupAssembly
}

// goPackagePrefix is a sanitised import path without dots (standard
// library paths have none): words joined by underscores.
var goPackagePrefix = regexp.MustCompile(`^[a-z0-9]+(_[a-z0-9]+)*$`)

func (n *packageNamer) match(name string) (string, bool) {
	for _, p := range n.prefixes {
		if strings.HasPrefix(name, p.prefix) {
			return p.path, true
		}
	}
	return "", false
}

// codeByPackage gathers each package's function bodies, in module order.
func codeByPackage(m *wasmModule, n *packageNamer) map[string][]byte {
	code := map[string][]byte{}
	for i, body := range m.bodies {
		p := n.packageOf(m.names[m.importedFuncs+i])
		code[p] = append(code[p], body...)
	}
	return code
}
