package main

import (
	"fmt"
	"io"
)

// withoutPackages is the shipped module with the function bodies of these
// packages cut out of the code section. It no longer runs; it is only
// compressed, to see what those bodies cost in the whole file's brotli,
// where they also compress against the rest (their marginal cost). What
// they leave in the data section (their strings, types and pclntab rows)
// stays, so the marginal cost of a package's code is a lower bound of what
// dropping the package saves.
func withoutPackages(m *wasmModule, n *packageNamer, drop map[string]bool) (b []byte, cut int) {
	var code []byte
	for i, body := range m.bodies {
		if drop[n.packageOf(m.names[m.importedFuncs+i])] {
			cut += len(body)
			continue
		}
		code = append(code, body...)
	}
	b = append([]byte(nil), wasmMagic...)
	for _, s := range m.sections {
		switch {
		case s.id == sectionCustom && s.name == "name":
		case s.id == sectionCode:
			count := s.payload[:len(s.payload)-bodiesLen(m)]
			b = append(b, s.id)
			b = append(b, paddedUleb128(len(count)+len(code))...)
			b = append(b, count...)
			b = append(b, code...)
		default:
			b = append(b, s.header...)
			b = append(b, s.payload...)
		}
	}
	return b, cut
}

// writeMarginal prints the brotli of the shipped module with and without
// the code of these packages.
func writeMarginal(w io.Writer, m *wasmModule, n *packageNamer, packages []string) {
	drop := map[string]bool{}
	for _, p := range packages {
		drop[p] = true
	}
	without, cut := withoutPackages(m, n, drop)
	whole := len(compressBrotli(shipped(m)))
	less := len(compressBrotli(without))
	fmt.Fprintf(w, "without the code of %v: %d raw bytes of code less; brotli %d -> %d, %d less\n",
		packages, cut, whole, less, whole-less)
}

// paddedUleb128 writes v in five LEB128 bytes, as the Go linker writes
// section sizes.
func paddedUleb128(v int) []byte {
	return []byte{byte(v) | 0x80, byte(v>>7) | 0x80, byte(v>>14) | 0x80, byte(v>>21) | 0x80, byte(v >> 28)}
}
