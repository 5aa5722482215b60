package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// functionSize is one function's body in the module: its name as the name
// section spells it, its package, and its raw bytes (with the size prefix).
type functionSize struct {
	name, pkg string
	raw       int
}

// topFunctions is the n largest function bodies of the module, largest
// first, counting only the packages that pass keep; ties go by name.
// Closures and generic instances are their own functions, and so their
// own rows: a function that many instances or closures repeat shows as
// many rows of one prefix.
func topFunctions(m *wasmModule, n *packageNamer, count int, keep func(pkg string) bool) []functionSize {
	var all []functionSize
	for i, body := range m.bodies {
		name := m.names[m.importedFuncs+i]
		if p := n.packageOf(name); keep(p) {
			all = append(all, functionSize{name, p, len(body)})
		}
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].raw != all[j].raw {
			return all[i].raw > all[j].raw
		}
		return all[i].name < all[j].name
	})
	return all[:min(count, len(all))]
}

// writeTop prints the module's largest functions of the packages under
// modulePath (all of them if it is empty), with their share of those
// packages' code.
func writeTop(w io.Writer, m *wasmModule, n *packageNamer, count int, modulePath string) {
	keep := func(p string) bool { return modulePath == "" || strings.HasPrefix(p, modulePath+"/") }
	total, funcs := 0, 0
	for _, f := range topFunctions(m, n, len(m.bodies), keep) {
		total += f.raw
		funcs++
	}
	fmt.Fprintf(w, "largest functions of %s (%d functions, %d raw bytes of code):\n", orAll(modulePath), funcs, total)
	for _, f := range topFunctions(m, n, count, keep) {
		fmt.Fprintf(w, "%9d %5.1f%%  %s\n", f.raw, 100*float64(f.raw)/float64(max(total, 1)), f.name)
	}
}

func orAll(modulePath string) string {
	if modulePath == "" {
		return "the module"
	}
	return modulePath
}
