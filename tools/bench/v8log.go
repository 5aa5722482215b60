package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"time"
)

// compiled matches a line V8 prints for each wasm function it compiles
// under --trace-wasm-compilation-times, e.g.
// "Compiled function 0x…#940 using TurboFan, took 278312 μs and …".
var compiled = regexp.MustCompile(`Compiled function \S+ using (\w+), took (\d+(?:\.\d+)?) (μs|ms)`)

// tierTotal is what one compiler tier spent: functions compiled and time.
type tierTotal struct {
	functions int
	took      time.Duration
}

// compileTimes sums, per tier, the compile times in V8's log r.
func compileTimes(r io.Reader) (map[string]tierTotal, error) {
	out := map[string]tierTotal{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		m := compiled.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		n, err := strconv.ParseFloat(m[2], 64)
		if err != nil {
			return nil, err
		}
		unit := time.Microsecond
		if m[3] == "ms" {
			unit = time.Millisecond
		}
		t := out[m[1]]
		t.functions++
		t.took += time.Duration(n * float64(unit))
		out[m[1]] = t
	}
	return out, sc.Err()
}

// printCompileTimes prints what the wasm compilers spent over the run, from
// Chromium's output in path.
func printCompileTimes(w io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	tiers, err := compileTimes(f)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\n== wasm compiling over the whole run, from V8's log (%s)\n", path)
	if len(tiers) == 0 {
		fmt.Fprintln(w, "nothing logged: run with -js-flags=--trace-wasm-compilation-times")
		return nil
	}
	for _, tier := range []string{"Liftoff", "TurboFan"} {
		t := tiers[tier]
		fmt.Fprintf(w, "%s: %d functions compiled, %.2f s\n", tier, t.functions, t.took.Seconds())
	}
	return nil
}
