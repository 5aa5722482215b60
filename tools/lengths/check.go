package main

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// check returns one line for each file and function under root over its bound,
// by path (slash-separated, relative to root), then line.
func check(root string) ([]string, error) {
	var over []string
	goFiles, err := productionGo(root)
	if err != nil {
		return nil, err
	}
	for _, rel := range goFiles {
		o, err := checkGo(root, rel)
		if err != nil {
			return nil, err
		}
		over = append(over, o...)
	}
	jsFiles, err := filepath.Glob(filepath.Join(root, "js", "*.js"))
	if err != nil {
		return nil, err
	}
	sort.Strings(jsFiles)
	for _, path := range jsFiles {
		if strings.HasPrefix(filepath.Base(path), "wasm_exec") {
			continue // the toolchain's loader, wrapped
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		if n := lineCount(src); n > maxJSFileLines {
			over = append(over, fmt.Sprintf("js/%s: %d lines, over %d", filepath.Base(path), n, maxJSFileLines))
		}
	}
	return over, nil
}

// productionGo lists the .go files under root/wasm that are not tests, nor under
// testdata or node_modules.
func productionGo(root string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(filepath.Join(root, "wasm"), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); name == "testdata" || name == "node_modules" {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			rel, err := filepath.Rel(root, path)
			if err != nil {
				return err
			}
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	return files, err
}

// checkGo measures one Go file and each of its functions and methods.
func checkGo(root, rel string) ([]string, error) {
	src, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
	if err != nil {
		return nil, err
	}
	var over []string
	if n := lineCount(src); n > maxGoFileLines {
		over = append(over, fmt.Sprintf("%s: %d lines, over %d", rel, n, maxGoFileLines))
	}
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, rel, src, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	for _, decl := range file.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok {
			continue
		}
		start, end := fset.Position(fn.Pos()).Line, fset.Position(fn.End()).Line
		if n := end - start + 1; n > maxGoFuncLines {
			over = append(over, fmt.Sprintf("%s:%d: %s is %d lines, over %d", rel, start, funcName(fn), n, maxGoFuncLines))
		}
	}
	return over, nil
}

// funcName is a function's name, a method's with its receiver's type: (*Object).run.
func funcName(fn *ast.FuncDecl) string {
	if fn.Recv == nil || len(fn.Recv.List) == 0 {
		return fn.Name.Name
	}
	t := fn.Recv.List[0].Type
	star := ""
	if s, ok := t.(*ast.StarExpr); ok {
		star, t = "*", s.X
	}
	switch g := t.(type) { // a generic receiver: T[K]
	case *ast.IndexExpr:
		t = g.X
	case *ast.IndexListExpr:
		t = g.X
	}
	if id, ok := t.(*ast.Ident); ok {
		return "(" + star + id.Name + ")." + fn.Name.Name
	}
	return fn.Name.Name
}

// lineCount counts lines as wc -l does, and a last line without its newline too.
func lineCount(src []byte) int {
	n := bytes.Count(src, []byte("\n"))
	if len(src) > 0 && src[len(src)-1] != '\n' {
		n++
	}
	return n
}
