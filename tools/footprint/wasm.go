package main

import (
	"bytes"
	"errors"
	"fmt"
)

// The WebAssembly binary format's section ids and import kinds that the
// breakdown reads (WebAssembly Core Specification, 5.5 Modules).
const (
	sectionCustom = 0
	sectionImport = 2
	sectionCode   = 10
	sectionData   = 11

	importFunc   = 0
	importTable  = 1
	importMemory = 2
	importGlobal = 3

	nameSubsectionFunctions = 1
)

// wasmModule is what the breakdown needs of a module: each section's size,
// each defined function's body (with its size prefix, so the bodies and the
// code section's count add up to the section), and the function names of
// the "name" custom section, which the Go linker writes unless -s is given.
type wasmModule struct {
	sections      []wasmSection
	importedFuncs int
	bodies        [][]byte
	names         map[int]string // function index (imports first) → name
}

type wasmSection struct {
	id      byte
	name    string // a custom section's name
	header  []byte // the id and the size prefix, as written (Go pads sizes to 5 bytes)
	payload []byte
}

var wasmMagic = []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}

func parseWasm(b []byte) (*wasmModule, error) {
	if !bytes.HasPrefix(b, wasmMagic) {
		return nil, errors.New("not a WebAssembly 1.0 module")
	}
	m := &wasmModule{names: map[int]string{}}
	r := &wasmReader{b: b, at: len(wasmMagic)}
	for r.at < len(b) {
		start := r.at
		id := r.byte()
		size := r.uint()
		header := b[start:r.at]
		payload := r.bytes(size)
		if r.err != nil {
			return nil, fmt.Errorf("section at %d: %w", start, r.err)
		}
		s := wasmSection{id: id, header: header, payload: payload}
		var err error
		switch id {
		case sectionCustom:
			err = m.readCustom(&s)
		case sectionImport:
			err = m.readImports(payload)
		case sectionCode:
			err = m.readBodies(payload)
		}
		if err != nil {
			return nil, fmt.Errorf("section %d at %d: %w", id, start, err)
		}
		m.sections = append(m.sections, s)
	}
	return m, nil
}

func (m *wasmModule) readImports(payload []byte) error {
	r := &wasmReader{b: payload}
	for n := r.uint(); n > 0 && r.err == nil; n-- {
		r.name() // module
		r.name() // field
		switch kind := r.byte(); kind {
		case importFunc:
			r.uint() // type index
			m.importedFuncs++
		case importTable:
			r.byte() // reference type
			r.limits()
		case importMemory:
			r.limits()
		case importGlobal:
			r.byte() // value type
			r.byte() // mutability
		default:
			return fmt.Errorf("import kind %d", kind)
		}
	}
	return r.err
}

func (m *wasmModule) readBodies(payload []byte) error {
	r := &wasmReader{b: payload}
	for n := r.uint(); n > 0 && r.err == nil; n-- {
		start := r.at
		r.bytes(r.uint())
		if r.err == nil {
			m.bodies = append(m.bodies, payload[start:r.at])
		}
	}
	return r.err
}

func (m *wasmModule) readCustom(s *wasmSection) error {
	r := &wasmReader{b: s.payload}
	s.name = r.name()
	if r.err != nil || s.name != "name" {
		return r.err
	}
	for r.at < len(r.b) && r.err == nil {
		id := r.byte()
		sub := &wasmReader{b: r.bytes(r.uint())}
		if id != nameSubsectionFunctions {
			continue
		}
		for n := sub.uint(); n > 0 && sub.err == nil; n-- {
			index := sub.uint()
			m.names[index] = sub.name()
		}
		if sub.err != nil {
			return fmt.Errorf("function names: %w", sub.err)
		}
	}
	return r.err
}

// section returns the first section with this id, or nil.
func (m *wasmModule) section(id byte) *wasmSection {
	for i := range m.sections {
		if m.sections[i].id == id {
			return &m.sections[i]
		}
	}
	return nil
}

// wasmReader reads LEB128 numbers and byte strings; the first error sticks
// and every later read returns zero values.
type wasmReader struct {
	b   []byte
	at  int
	err error
}

var errTruncated = errors.New("truncated")

func (r *wasmReader) byte() byte {
	if r.err != nil || r.at >= len(r.b) {
		r.fail(errTruncated)
		return 0
	}
	c := r.b[r.at]
	r.at++
	return c
}

func (r *wasmReader) uint() int {
	var v uint64
	for shift := 0; shift < 35; shift += 7 {
		c := r.byte()
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return int(v)
		}
	}
	r.fail(errors.New("LEB128 number longer than 32 bits"))
	return 0
}

func (r *wasmReader) bytes(n int) []byte {
	if r.err != nil || n > len(r.b)-r.at {
		r.fail(errTruncated)
		return nil
	}
	b := r.b[r.at : r.at+n]
	r.at += n
	return b
}

func (r *wasmReader) name() string { return string(r.bytes(r.uint())) }

// limits reads a table's or memory's limits: a flag, the minimum, and the
// maximum when the flag's low bit says there is one.
func (r *wasmReader) limits() {
	hasMax := r.byte()&1 != 0
	r.uint()
	if hasMax {
		r.uint()
	}
}

func (r *wasmReader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}
