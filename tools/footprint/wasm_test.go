package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// wasmBuilder writes a module section by section, the way the Go linker
// does: sizes padded to five LEB128 bytes.
type wasmBuilder struct{ b []byte }

func newWasmBuilder() *wasmBuilder { return &wasmBuilder{b: append([]byte(nil), wasmMagic...)} }

func (w *wasmBuilder) section(id byte, payload []byte) {
	w.b = append(w.b, id)
	w.b = append(w.b, paddedUleb128(len(payload))...)
	w.b = append(w.b, payload...)
}

func vec(items ...[]byte) []byte {
	b := uleb128(len(items))
	for _, item := range items {
		b = append(b, item...)
	}
	return b
}

func name(s string) []byte { return append(uleb128(len(s)), s...) }

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// testModule has two imported functions and a memory, so the first body
// is function 2, and four bodies named after Go symbols of four kinds.
func testModule(bodies [][]byte, names []string) []byte {
	w := newWasmBuilder()
	w.section(1, vec([]byte{0x60, 0, 0})) // one type: () -> ()
	w.section(sectionImport, vec(
		cat(name("gojs"), name("runtime.wasmExit"), []byte{importFunc, 0}),
		cat(name("gojs"), name("mem"), []byte{importMemory, 1, 1, 2}),
		cat(name("gojs"), name("syscall/js.valueGet"), []byte{importFunc, 0}),
	))
	var code, entries [][]byte
	for i, body := range bodies {
		code = append(code, append(uleb128(len(body)), body...))
		entries = append(entries, cat(uleb128(2+i), name(names[i])))
	}
	w.section(sectionCode, vec(code...))
	w.section(sectionData, vec([]byte{0, 0x41, 0, 0x0b, 3, 'a', 'b', 'c'}))
	sub := vec(entries...)
	w.section(sectionCustom, cat(name("name"), []byte{nameSubsectionFunctions}, uleb128(len(sub)), sub))
	return w.b
}

var testBodies = [][]byte{
	{0, 0x0b},
	bytes.Repeat([]byte{1}, 200), // longer than one LEB128 byte's size
	{0, 0x01, 0x0b},
	{0, 0x01, 0x01, 0x0b},
}

var testNames = []string{
	"runtime.mallocgc",
	"github.com_markunread_markunread_wasm_unread.__Client_.answered.func1",
	"type_.eq._2_time.Timer",
	"memeqbody",
}

func TestParseWasmFindsTheBodiesAfterTheImportedFunctionsAndTheirNames(t *testing.T) {
	m, err := parseWasm(testModule(testBodies, testNames))
	require.NoError(t, err)
	assert.Equal(t, 2, m.importedFuncs)
	require.Len(t, m.bodies, 4)
	assert.Equal(t, cat([]byte{200, 1}, testBodies[1]), m.bodies[1], "a body keeps its size prefix")
	assert.Equal(t, "type_.eq._2_time.Timer", m.names[4])
}

func TestEachBodyIsAttributedToThePackageItsNameBeginsWith(t *testing.T) {
	m, err := parseWasm(testModule(testBodies, testNames))
	require.NoError(t, err)
	namer := newPackageNamer([]string{"runtime", "time", "github.com/markunread/markunread/wasm/unread", "github.com/markunread/markunread/wasm"})
	code := codeByPackage(m, namer)
	assert.Equal(t, map[string]int{
		"runtime": 3, "github.com/markunread/markunread/wasm/unread": 202, "time": 4, groupAssembly: 5,
	}, lens(code))
}

func lens(code map[string][]byte) map[string]int {
	n := map[string]int{}
	for p, b := range code {
		n[p] = len(b)
	}
	return n
}

func TestPackageOfSymbolNames(t *testing.T) {
	namer := newPackageNamer([]string{"sync", "sync/atomic", "internal/godebug", "internal/godebugs", "strings", "syscall", "syscall/js"})
	for name, want := range map[string]string{
		"sync.__Mutex_.Lock":                     "sync",
		"sync_atomic.__Int32_.Add":               "sync/atomic",
		"internal_godebug.__Setting_.Value":      "internal/godebug",
		"internal_godebugs.init":                 "internal/godebugs",
		"syscall_js.Value.Call":                  "syscall/js",
		"syscall.Getenv":                         "syscall",
		"strings.genSplit":                       "strings",
		"type_.eq.sync_atomic.Pointer_sync.x_":   "sync/atomic",
		"type_.eq._16_sync_atomic.Pointer_sync_": "sync/atomic",
		"type_.eq._2_interface____":              groupTypeEq,
		"main.main":                              "main",
		"wasm_export_run":                        groupAssembly,
		"runtime_debug.SetTraceback":             "runtime/debug",
		"wasm_pc_f_loop":                         groupAssembly,
		"":                                       groupUnnamed,
	} {
		assert.Equal(t, want, namer.packageOf(name), name)
	}
}

func TestTheRowsAddUpToTheShippedFile(t *testing.T) {
	b := testModule(testBodies, testNames)
	m, err := parseWasm(b)
	require.NoError(t, err)
	namer := newPackageNamer([]string{"runtime", "time"})
	d := measureBreakdown(m, m, namer)
	sum := 0
	for _, r := range d.rows {
		sum += r.raw
	}
	nameSection := m.sections[len(m.sections)-1]
	assert.Equal(t, len(b)-len(nameSection.header)-len(nameSection.payload), sum)
	assert.Equal(t, sum, d.total.raw)
	assert.Equal(t, shipped(m), b[:d.total.raw], "the name section is last, and only it is left out")
}

func TestWithoutPackagesCutsOnlyTheirBodies(t *testing.T) {
	b := testModule(testBodies, testNames)
	m, err := parseWasm(b)
	require.NoError(t, err)
	namer := newPackageNamer([]string{"runtime", "time", "github.com/markunread/markunread/wasm/unread"})
	without, cut := withoutPackages(m, namer, map[string]bool{"github.com/markunread/markunread/wasm/unread": true})
	assert.Equal(t, 202, cut)
	assert.Equal(t, len(shipped(m))-202, len(without))
	assert.False(t, bytes.Contains(without, testBodies[1][:100]))
}

func TestParseWasmRejectsWhatIsNotAModule(t *testing.T) {
	_, err := parseWasm([]byte("\x7fELF"))
	assert.ErrorContains(t, err, "not a WebAssembly")
	b := testModule(testBodies, testNames)
	for _, cut := range []int{9, 20, len(b) - 3} {
		_, err := parseWasm(b[:cut])
		assert.Error(t, err, "cut at %d", cut)
		if err != nil {
			assert.True(t, strings.Contains(err.Error(), "truncated"), err.Error())
		}
	}
}

func TestTopListsTheLargestFunctionsOfTheModulesPackagesFirst(t *testing.T) {
	m, err := parseWasm(testModule(testBodies, testNames))
	require.NoError(t, err)
	namer := newPackageNamer([]string{"runtime", "time", "github.com/markunread/markunread/wasm/unread"})
	var all bytes.Buffer
	writeTop(&all, m, namer, 2, "")
	assert.Equal(t, "largest functions of the module (4 functions, 214 raw bytes of code):\n"+
		"      202  94.4%  github.com_markunread_markunread_wasm_unread.__Client_.answered.func1\n"+
		"        5   2.3%  memeqbody\n", all.String())

	var ours bytes.Buffer
	writeTop(&ours, m, namer, 5, "github.com/markunread/markunread")
	assert.Equal(t, "largest functions of github.com/markunread/markunread (1 functions, 202 raw bytes of code):\n"+
		"      202 100.0%  github.com_markunread_markunread_wasm_unread.__Client_.answered.func1\n", ours.String())
}
