package main

import (
	"fmt"
	"io"
	"runtime"
	"sort"
	"strings"
	"sync"
)

// Rows for the bytes outside the code section.
const (
	rowData   = "(data section: strings, types, pclntab)"
	rowOthers = "(other sections)"
	rowTotal  = "total raw, as shipped (no name section)"
)

// footprintRow is one line of the breakdown: raw bytes and brotli alone
// (those bytes compressed by themselves, quality 11) in the module and in
// the floor. Brotli alone is an estimate: in the shipped file a package's
// code also compresses against the rest, so the real total is smaller than
// the rows' sum, and the breakdown prints both.
type footprintRow struct {
	name              string
	raw, floorRaw     int
	brotli, floorBrot int
}

// breakdown is the module's and the floor's bytes by package: packages,
// largest first, then the rows that are not code and the raw total.
type breakdown struct {
	rows  []footprintRow
	total footprintRow
}

// measureBreakdown attributes both modules' code to packages. Both must
// carry the name section (built without -s); -s drops nothing else, so the
// other sections are those of the shipped file.
func measureBreakdown(module, floor *wasmModule, n *packageNamer) *breakdown {
	parts := [2]map[string][]byte{codeByPackage(module, n), codeByPackage(floor, n)}
	for i, m := range []*wasmModule{module, floor} {
		parts[i][rowData] = sectionBytes(m, sectionData)
		parts[i][rowOthers] = otherSections(m)
	}
	sizes := compressAll(parts)
	names := map[string]bool{}
	for i := range parts {
		for p := range parts[i] {
			names[p] = true
		}
	}
	b := &breakdown{total: footprintRow{name: rowTotal, raw: len(shipped(module)), floorRaw: len(shipped(floor))}}
	for p := range names {
		b.rows = append(b.rows, footprintRow{p, len(parts[0][p]), len(parts[1][p]), sizes[0][p], sizes[1][p]})
	}
	sort.Slice(b.rows, func(i, j int) bool { return b.rows[i].before(b.rows[j]) })
	return b
}

// before orders packages by their size in the module, then in the floor,
// and puts the rows that are not packages last.
func (r footprintRow) before(o footprintRow) bool {
	if rank(r.name) != rank(o.name) {
		return rank(r.name) < rank(o.name)
	}
	if r.raw != o.raw {
		return r.raw > o.raw
	}
	if r.floorRaw != o.floorRaw {
		return r.floorRaw > o.floorRaw
	}
	return r.name < o.name
}

func rank(name string) int {
	switch name {
	case rowData:
		return 1
	case rowOthers:
		return 2
	}
	return 0
}

// compressAll compresses every part of both modules by itself, on every
// processor: brotli at quality 11 takes seconds per megabyte.
func compressAll(parts [2]map[string][]byte) [2]map[string]int {
	sizes := [2]map[string]int{{}, {}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	slots := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i := range parts {
		for name, b := range parts[i] {
			wg.Add(1)
			go func() {
				defer wg.Done()
				slots <- struct{}{}
				n := len(compressBrotli(b))
				<-slots
				mu.Lock()
				sizes[i][name] = n
				mu.Unlock()
			}()
		}
	}
	wg.Wait()
	return sizes
}

func sectionBytes(m *wasmModule, id byte) []byte {
	if s := m.section(id); s != nil {
		return s.payload
	}
	return nil
}

// otherSections is the magic number, every section but code, data and the
// name section, the headers of code and data, and the code section's
// count: what the code rows and the data row leave of the shipped file.
func otherSections(m *wasmModule) []byte {
	b := append([]byte(nil), wasmMagic...)
	for _, s := range m.sections {
		switch {
		case s.id == sectionCode:
			b = append(b, s.header...)
			b = append(b, s.payload[:len(s.payload)-bodiesLen(m)]...)
		case s.id == sectionData:
			b = append(b, s.header...)
		case s.id == sectionCustom && s.name == "name":
		default:
			b = append(b, s.header...)
			b = append(b, s.payload...)
		}
	}
	return b
}

// shipped is the module without its name section: what -s builds.
func shipped(m *wasmModule) []byte {
	b := append([]byte(nil), wasmMagic...)
	for _, s := range m.sections {
		if s.id != sectionCustom || s.name != "name" {
			b = append(b, s.header...)
			b = append(b, s.payload...)
		}
	}
	return b
}

func bodiesLen(m *wasmModule) int {
	n := 0
	for _, body := range m.bodies {
		n += len(body)
	}
	return n
}

func uleb128(v int) []byte {
	var b []byte
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

// write prints the table. Paths inside this module are shortened to their
// directory.
func (b *breakdown) write(w io.Writer, modulePath string) {
	line := "%-44s %9d %9d %9d | %9d %9d %9d\n"
	fmt.Fprintf(w, "%-44s %9s %9s %9s | %9s %9s %9s\n", "code by package (name section)",
		"raw", "floor", "over", "brotli*", "floor", "over")
	var sum footprintRow
	for _, r := range b.rows {
		name := r.name
		if modulePath != "" {
			name = strings.Replace(name, modulePath+"/", "./", 1)
		}
		fmt.Fprintf(w, line, name, r.raw, r.floorRaw, r.raw-r.floorRaw, r.brotli, r.floorBrot, r.brotli-r.floorBrot)
		sum.brotli += r.brotli
		sum.floorBrot += r.floorBrot
	}
	t := b.total
	fmt.Fprintf(w, line, t.name, t.raw, t.floorRaw, t.raw-t.floorRaw, sum.brotli, sum.floorBrot, sum.brotli-sum.floorBrot)
	fmt.Fprintln(w, "* brotli alone: each row's bytes compressed by themselves (quality 11); the whole file")
	fmt.Fprintln(w, "  compresses better than the rows' sum, as the rows also compress against each other.")
}
