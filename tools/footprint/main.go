// Command footprint writes and measures the compressed forms of the wasm
// module.
//
//	footprint -write FILE...        writes FILE.br (brotli, quality 11) and
//	                                FILE.gz (gzip, best) beside each FILE
//	footprint MODULE FLOOR          prints raw, gzip and brotli sizes of both
//	                                and the module's ratio to the floor
//	footprint -packages LIST MODULE FLOOR
//	                                prints both modules' bytes by package, from
//	                                builds that keep the name section (no -s);
//	                                LIST holds their import paths, one a line
//	                                (go list -deps of both)
//	  -without P,Q                  also prints what the code of packages P and
//	                                Q costs in the module's brotli
//	  -top N                        also prints the module's N largest
//	                                functions of -module-path's packages
package main

import (
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/andybalholm/brotli"
)

func main() {
	write := flag.Bool("write", false, "write FILE.br and FILE.gz beside each FILE")
	packages := flag.String("packages", "", "print the bytes by package; the import paths, one a line, are in this file")
	without := flag.String("without", "", "with -packages: the brotli the code of these packages (comma-separated) costs")
	modulePath := flag.String("module-path", "github.com/markunread/markunread", "with -packages: print this module's packages by directory")
	top := flag.Int("top", 0, "with -packages: also print the module's N largest functions of -module-path's packages")
	flag.Parse()
	var err error
	if *packages != "" {
		err = runBreakdown(*packages, *without, *modulePath, *top, flag.Args())
	} else {
		err = run(*write, flag.Args())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "footprint:", err)
		os.Exit(1)
	}
}

func runBreakdown(list, without, modulePath string, top int, files []string) error {
	if len(files) != 2 {
		return fmt.Errorf("want MODULE FLOOR, got %d files", len(files))
	}
	paths, err := os.ReadFile(list)
	if err != nil {
		return err
	}
	namer := newPackageNamer(strings.Split(string(paths), "\n"))
	var modules [2]*wasmModule
	for i, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if modules[i], err = parseWasm(raw); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		if len(modules[i].names) == 0 {
			return fmt.Errorf("%s has no function names: build it without -ldflags=-s", f)
		}
	}
	measureBreakdown(modules[0], modules[1], namer).write(os.Stdout, modulePath)
	if without != "" {
		writeMarginal(os.Stdout, modules[0], namer, strings.Split(without, ","))
	}
	if top > 0 {
		writeTop(os.Stdout, modules[0], namer, top, modulePath)
	}
	return nil
}

func run(write bool, files []string) error {
	if write {
		for _, f := range files {
			raw, err := os.ReadFile(f)
			if err != nil {
				return err
			}
			if err := os.WriteFile(f+".br", compressBrotli(raw), 0o644); err != nil {
				return err
			}
			if err := os.WriteFile(f+".gz", compressGzip(raw), 0o644); err != nil {
				return err
			}
		}
		return nil
	}
	if len(files) != 2 {
		return fmt.Errorf("want MODULE FLOOR, got %d files", len(files))
	}
	var sizes [2][3]int
	for i, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		sizes[i] = [3]int{len(raw), len(compressGzip(raw)), len(compressBrotli(raw))}
	}
	fmt.Printf("%-28s %12s %12s %12s\n", "", "raw", "gzip", "brotli")
	for i, f := range files {
		fmt.Printf("%-28s %12d %12d %12d\n", f, sizes[i][0], sizes[i][1], sizes[i][2])
	}
	fmt.Printf("%-28s %12.3f %12.3f %12.3f\n", "ratio module/floor",
		ratio(sizes[0][0], sizes[1][0]), ratio(sizes[0][1], sizes[1][1]), ratio(sizes[0][2], sizes[1][2]))
	return nil
}

func ratio(a, b int) float64 { return float64(a) / float64(b) }

func compressBrotli(raw []byte) []byte {
	var buf bytes.Buffer
	w := brotli.NewWriterLevel(&buf, brotli.BestCompression)
	w.Write(raw)
	w.Close()
	return buf.Bytes()
}

func compressGzip(raw []byte) []byte {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	w.Write(raw)
	w.Close()
	return buf.Bytes()
}
