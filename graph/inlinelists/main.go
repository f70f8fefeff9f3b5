// Command inlinelists rewrites gqlgen's generated executor (the file named by its
// argument) so that lists whose elements can never wait on a resolver are
// marshalled on the calling goroutine.
//
// gqlgen v0.17.98 marshals every list of objects with
// graphql.MarshalSliceConcurrently: one goroutine per element, with no
// configuration to turn it off. The goroutines pay off only when an
// element's fields block (resolvers waiting on a dataloader batch); for
// elements whose whole subtree is plain fields and context-free methods
// (User, for one) they are pure overhead: a goroutine, its stack growth and
// a WaitGroup per element. This pass finds, by a greatest fixpoint over the
// generated functions' calls, the marshal functions of lists whose element
// subtree never reaches a Resolve*Concurrently, and makes them call
// marshalSliceInline (graph/marshal.go), which has the same signature and
// per-element field context and panic recovery. Run by go generate after
// gqlgen (see server.go); the lists of other element types are left as
// gqlgen made them.
package main

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"sort"
	"strings"
)

const (
	concurrentSlice = "MarshalSliceConcurrently"
	inlineSlice     = "marshalSliceInline"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: go run ./graph/inlinelists graph/generated.go")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "inlinelists:", err)
		os.Exit(1)
	}
}

// fn is what the pass needs of one generated method of executionContext.
type fn struct {
	decl     *ast.FuncDecl
	calls    []string // ec.X methods it calls
	blocks   bool     // runs fields on other goroutines (Resolve*Concurrently)
	slice    bool     // marshals a list with MarshalSliceConcurrently
	syncTree bool     // nothing it reaches can block (the fixpoint)
}

func run(path string) error {
	src, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	out, rewritten, err := rewrite(src)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		return err
	}
	fmt.Printf("inlinelists: %d lists of objects marshal inline: %s\n", len(rewritten), strings.Join(rewritten, ", "))
	return nil
}

// rewrite returns src with the sync lists' marshal functions calling
// marshalSliceInline, and those functions' names.
func rewrite(src []byte) ([]byte, []string, error) {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "generated.go", src, parser.ParseComments)
	if err != nil {
		return nil, nil, err
	}
	fns := map[string]*fn{}
	for _, d := range file.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Recv == nil || fd.Body == nil {
			continue
		}
		f := &fn{decl: fd, syncTree: true}
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			name := sel.Sel.Name
			switch {
			case name == concurrentSlice:
				f.slice = true
			case strings.HasPrefix(name, "Resolve") && strings.HasSuffix(name, "Concurrently"):
				f.blocks = true
			}
			if id, ok := sel.X.(*ast.Ident); ok && id.Name == "ec" {
				f.calls = append(f.calls, name)
			}
			return true
		})
		fns[fd.Name.Name] = f
	}
	// Greatest fixpoint: a function is sync unless it blocks itself or
	// calls one that is not. Lists count as sync here because the ones
	// whose elements are sync are the ones rewritten.
	for changed := true; changed; {
		changed = false
		for _, f := range fns {
			if !f.syncTree {
				continue
			}
			if f.blocks {
				f.syncTree, changed = false, true
				continue
			}
			for _, c := range f.calls {
				if g, ok := fns[c]; ok && !g.syncTree {
					f.syncTree, changed = false, true
					break
				}
			}
		}
	}
	var rewritten []string
	for name, f := range fns {
		if !f.slice || !f.syncTree {
			continue
		}
		ast.Inspect(f.decl.Body, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == concurrentSlice {
				call.Fun = &ast.Ident{Name: inlineSlice, NamePos: sel.Pos()}
			}
			return true
		})
		rewritten = append(rewritten, name)
	}
	sort.Strings(rewritten)
	var buf bytes.Buffer
	if err := format.Node(&buf, fset, file); err != nil {
		return nil, nil, err
	}
	return buf.Bytes(), rewritten, nil
}
