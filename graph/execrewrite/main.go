// Command execrewrite rewrites gqlgen's generated executor (the file named
// by its argument) to drop two costs gqlgen v0.17.98 pays on every
// operation and offers no option to turn off:
//
//   - Lists of objects: gqlgen marshals every one with
//     graphql.MarshalSliceConcurrently, a goroutine per element. The
//     goroutines pay off only when an element's fields block (resolvers
//     waiting on a dataloader batch); for elements whose whole subtree is
//     plain fields and context-free methods (User, for one) they are pure
//     overhead: a goroutine, its stack growth and a WaitGroup per element.
//     A greatest fixpoint over the generated functions' calls finds the
//     marshal functions of lists whose element subtree never reaches a
//     Resolve*Concurrently, and makes them call marshalSliceInline
//     (graph/marshal.go), which has the same signature and per-element
//     field context and panic recovery.
//   - Incremental delivery: every object starts a graphql.DeferredGroup,
//     which computes the object's full response path and allocates a
//     field set and a map, used only when the operation has a @defer.
//     Every object now calls ec.deferredGroup (graph/marshal.go), which
//     returns gqlgen's group when the operation may defer and an empty one
//     otherwise.
//
// Run by go generate after gqlgen (see server.go).
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
	newDeferred     = "NewDeferredGroup"
	leanDeferred    = "deferredGroup" // a method of executionContext
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: go run ./graph/execrewrite graph/generated.go")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "execrewrite:", err)
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
	out, r, err := rewrite(src)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		return err
	}
	fmt.Printf("execrewrite: %d objects start their deferred group lazily; %d lists of objects marshal inline: %s\n",
		r.deferred, len(r.inline), strings.Join(r.inline, ", "))
	return nil
}

// rewritten is what rewrite changed.
type rewritten struct {
	inline   []string // the list marshal functions now calling marshalSliceInline, sorted
	deferred int      // the calls of graphql.NewDeferredGroup now calling ec.deferredGroup
}

// rewrite returns src with the sync lists' marshal functions calling
// marshalSliceInline and every graphql.NewDeferredGroup(ctx) replaced by
// ec.deferredGroup(ctx).
func rewrite(src []byte) ([]byte, rewritten, error) {
	var r rewritten
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "generated.go", src, parser.ParseComments)
	if err != nil {
		return nil, r, err
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
			if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "graphql" && name == newDeferred {
				sel.X, sel.Sel = &ast.Ident{Name: "ec", NamePos: pkg.Pos()}, &ast.Ident{Name: leanDeferred, NamePos: sel.Sel.Pos()}
				r.deferred++
				return true
			}
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
		r.inline = append(r.inline, name)
	}
	sort.Strings(r.inline)
	var buf bytes.Buffer
	if err := format.Node(&buf, fset, file); err != nil {
		return nil, r, err
	}
	return buf.Bytes(), r, nil
}
