// Command execrewrite rewrites gqlgen's generated executor (the file named
// by its argument) to drop costs gqlgen v0.17.98 pays on every operation
// and offers no option to turn off:
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
//     field context and panic recovery. The other lists call
//     ec.marshalSlice, which marshals inline too when the operation's
//     selection below the list reaches no such field, read from the table
//     of the executor's objects this command appends (selectionTable).
//   - Plain fields: a field that only reads a struct field still goes
//     through gqlgen's resolver machinery (a field context, the value
//     boxed, closures, a panic guard) for the sake of field middleware;
//     plainFields gives it a direct path for operations that run none.
//   - Incremental delivery: every object starts a graphql.DeferredGroup,
//     which computes the object's full response path and allocates a
//     field set and a map, used only when the operation has a @defer.
//     Every object now calls ec.deferredGroup (graph/marshal.go), which
//     returns gqlgen's group when the operation may defer and an empty one
//     otherwise.
//   - Collecting fields: graphql.CollectFields keeps its result per
//     operation, but builds the key of that cache on every call with a
//     heap-allocated FNV hash of the implementors' names and the
//     selection's address taken through reflect. Every object function
//     calls ec.collectFields (graph/collect.go) instead, which keeps the
//     same result under a key of two addresses and two lengths.
//   - Writing objects: graphql.(*FieldSet).MarshalGQL builds a map of the
//     aliases written and passes a copy of every field through an
//     iterator, each escaping, for every object of the response. Every
//     object function but the root types' (whose field set Exec marshals)
//     returns ec.objectMarshaler instead, which, for an operation taking
//     the direct paths and an object without deferred fields, writes the
//     same bytes from the same fields and values (graph/objects.go).
//   - Objects of scalars: an object type with plain fields holding a
//     String, ID, Int, Timestamp or Boolean gets a render method that, when
//     every field selected is one of those or __typename, renders the
//     whole object into one byte slice instead of a field set and a
//     marshaler per field (objectFunctions).
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
	"maps"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
)

const (
	concurrentSlice = "MarshalSliceConcurrently"
	inlineSlice     = "marshalSliceInline"
	newDeferred     = "NewDeferredGroup"
	leanDeferred    = "deferredGroup" // a method of executionContext
	chooseSlice     = "marshalSlice"  // a method of executionContext
	leanCollect     = "collectFields" // a method of executionContext
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
	fmt.Printf("execrewrite: %d plain fields (%d of objects or lists) marshal directly; %d objects start their deferred group lazily; "+
		"%d collect their fields through ec.collectFields; %d objects write their fields without gqlgen's FieldSet.MarshalGQL; %d render whole when their fields are scalars: %s; "+
		"%d lists of objects marshal inline: %s; %d choose by their selection: %s\n",
		r.plain, r.objects, r.deferred, r.collect, r.objectReturns, len(r.rendered), strings.Join(r.rendered, ", "),
		len(r.inline), strings.Join(r.inline, ", "), len(r.choose), strings.Join(r.choose, ", "))
	return nil
}

// rewritten is what rewrite changed.
type rewritten struct {
	inline   []string // the list marshal functions now calling marshalSliceInline, sorted
	deferred int      // the calls of graphql.NewDeferredGroup now calling ec.deferredGroup
	collect  int      // the calls of graphql.CollectFields now calling ec.collectFields
	choose   []string // the list marshal functions now choosing at run time, sorted
	plain    int      // the plain fields given a direct path
	objects  int      // of which object or list fields

	objectReturns int      // the object functions now returning ec.objectMarshaler
	rendered      []string // the object functions given a render method, sorted
}

// rewrite returns src with the passes the package comment lists applied:
// plain fields given a direct path (plainFields), object functions
// returning ec.objectMarshaler and asking the render methods it appends
// (objectFunctions), every graphql.NewDeferredGroup(ctx) replaced by
// ec.deferredGroup(ctx), the sync lists' marshal functions calling
// marshalSliceInline, and the other lists choosing at run time from the
// execObjects table it appends (selectionTable).
func rewrite(src []byte) ([]byte, rewritten, error) {
	var r rewritten
	src, reads, err := plainFields(src, &r)
	if err != nil {
		return nil, r, err
	}
	src, renders, err := objectFunctions(src, reads, &r)
	if err != nil {
		return nil, r, err
	}
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
			switch {
			case isSelector(sel, "graphql", newDeferred):
				onExecutor(sel, leanDeferred)
				r.deferred++
				return true
			case isSelector(sel, "graphql", "CollectFields") && len(call.Args) == 3 && isSelector(call.Args[0], "ec", "OperationContext"):
				onExecutor(sel, leanCollect)
				call.Args = call.Args[1:] // the executor's own operation context
				r.collect++
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
	table := selectionTable(fns, &r)
	// A table and render methods from an earlier run are replaced.
	file.Decls = slices.DeleteFunc(file.Decls, func(d ast.Decl) bool {
		fd, ok := d.(*ast.FuncDecl)
		if ok && fd.Recv != nil && strings.HasPrefix(fd.Name.Name, renderPrefix+"_") {
			file.Comments = slices.DeleteFunc(file.Comments, func(c *ast.CommentGroup) bool { return c == fd.Doc })
			return true
		}
		if !ok || fd.Recv != nil || fd.Name.Name != "init" || len(fd.Body.List) != 1 {
			return false
		}
		as, ok := fd.Body.List[0].(*ast.AssignStmt)
		if !ok || len(as.Lhs) != 1 || !isIdent(as.Lhs[0], "execObjects") {
			return false
		}
		file.Comments = slices.DeleteFunc(file.Comments, func(c *ast.CommentGroup) bool { return c == fd.Doc })
		return true
	})
	var buf bytes.Buffer
	if err := format.Node(&buf, fset, file); err != nil {
		return nil, r, err
	}
	buf.WriteString(table)
	buf.WriteString(renders)
	out, err := format.Source(buf.Bytes())
	if err != nil {
		return nil, r, err
	}
	return out, r, nil
}

// scalarMarshalers are the gqlgen functions that turn a Go value into a
// scalar and never answer null or an error for a value: a marshal function
// of the executor calling only these (and the null report they never
// trigger) needs no field context.
var scalarMarshalers = map[string]bool{
	"MarshalString": true, "MarshalInt": true, "MarshalInt32": true, "MarshalInt64": true,
	"MarshalBoolean": true, "MarshalFloat": true, "MarshalID": true,
	"AddInvalidNullFromMarshaler": true,
}

// plainFields gives every plain field a direct path: a field method of the
// form
//
//	func (ec *executionContext) _T_f(ctx context.Context, field graphql.CollectedField, obj *T) (ret graphql.Marshaler) {
//		return graphql.ResolveField(ctx, ec.OperationContext, field,
//			func(ctx context.Context, field graphql.CollectedField) (*graphql.FieldContext, error) { return ec.fieldContext_T_f(ctx, field) },
//			func(ctx context.Context) (any, error) { return obj.F, nil }, nil,
//			func(ctx context.Context, selections ast.SelectionSet, v V) graphql.Marshaler { return ec.M(ctx, selections, v) }, …)
//	}
//
// (a struct field read, or a getter obj.M() taking no context: gqlgen
// calls a method with a context as a resolver, on a goroutine of its own;
// and no directive) first does, when M marshals a scalar (scalarMarshal),
//
//	if ec.plainFields() {
//		return ec.M(ctx, field.Selections, obj.F)
//	}
//
// and otherwise (an object or a list, whose own fields need this field's
// context for their paths)
//
//	if ec.plainFields() {
//		fc, err := ec.fieldContext_T_f(ctx, field)
//		if err != nil {
//			return graphql.Null
//		}
//		return ec.M(graphql.WithFieldContext(ctx, fc), field.Selections, obj.F)
//	}
//
// skipping what gqlgen spends on each field for its middleware: the boxing
// of the value, the closures and the panic guard (about eight allocations
// for a scalar, four for an object), when the operation runs no field
// middleware (ec.plainFields, graph/marshal.go). A panic below such a
// field is still recovered, by the nearest resolver or list element above
// it. It edits the source text, so the rest of the file keeps gqlgen's
// layout; a rewritten method is recognised (for the plain reads it
// returns, see plainRead) but not rewritten again, so running it again
// changes nothing.
func plainFields(src []byte, r *rewritten) ([]byte, map[string]plainRead, error) {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "generated.go", src, 0)
	if err != nil {
		return nil, nil, err
	}
	methods := map[string]*ast.FuncDecl{}
	for _, d := range file.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv != nil && fd.Body != nil {
			methods[fd.Name.Name] = fd
		}
	}
	type insert struct {
		at   int
		text string
	}
	var inserts []insert
	reads := map[string]plainRead{}
	for _, fd := range methods {
		field, fieldContext, marshal, done, ok := plainField(fd)
		m := methods[marshal]
		if !ok || m == nil || !strings.HasPrefix(marshal, "marshal") {
			continue
		}
		if scalarMarshal(m) {
			if app := scalarAppend(m); app != "" {
				reads[fd.Name.Name] = plainRead{field: field, append: app}
			}
		}
		if done {
			continue
		}
		text := fmt.Sprintf("\n\tif ec.plainFields() {\n\t\treturn ec.%s(ctx, field.Selections, obj.%s)\n\t}", marshal, field)
		if !scalarMarshal(m) {
			// An object or a list: its fields' paths (in errors, in
			// their own field contexts) go through this field's context.
			if fieldContext == "" || methods[fieldContext] == nil {
				continue
			}
			text = fmt.Sprintf("\n\tif ec.plainFields() {\n\t\tfc, err := ec.%s(ctx, field)\n\t\tif err != nil {\n\t\t\treturn graphql.Null\n\t\t}\n"+
				"\t\treturn ec.%s(graphql.WithFieldContext(ctx, fc), field.Selections, obj.%s)\n\t}", fieldContext, marshal, field)
			r.objects++
		}
		inserts = append(inserts, insert{at: fset.Position(fd.Body.Lbrace).Offset + 1, text: text})
	}
	sort.Slice(inserts, func(i, j int) bool { return inserts[i].at > inserts[j].at })
	out := bytes.Clone(src)
	for _, in := range inserts {
		out = append(out[:in.at], append([]byte(in.text), out[in.at:]...)...)
	}
	if out, err = format.Source(out); err != nil {
		return nil, nil, err
	}
	r.plain = len(inserts)
	return out, reads, nil
}

// plainRead is a plain field (the method giving it a direct path) whose
// value is a scalar that renderObjects can render: obj.field (a struct
// field or a context-free getter call) appended by append, a format with
// one %s for the value.
type plainRead struct {
	field  string
	append string
}

// plainField matches the form plainFields rewrites, before or after
// (done) the rewrite, and returns the struct field read, the field
// context function (when the form names one) and the marshal function
// called.
func plainField(fd *ast.FuncDecl) (field, fieldContext, marshal string, done, ok bool) {
	params := fd.Type.Params.List
	body := fd.Body.List
	if len(body) == 2 { // rewritten already: the direct path, then gqlgen's
		is, isIf := body[0].(*ast.IfStmt)
		if !isIf || is.Init != nil || is.Else != nil {
			return "", "", "", false, false
		}
		if c, isCall := is.Cond.(*ast.CallExpr); !isCall || len(c.Args) != 0 || !isSelector(c.Fun, "ec", "plainFields") {
			return "", "", "", false, false
		}
		body, done = body[1:], true
	}
	if len(body) != 1 || len(params) != 3 || len(params[0].Names) != 1 || params[0].Names[0].Name != "ctx" ||
		len(params[1].Names) != 1 || params[1].Names[0].Name != "field" || len(params[2].Names) != 1 || params[2].Names[0].Name != "obj" {
		return "", "", "", false, false
	}
	ret, ok := body[0].(*ast.ReturnStmt)
	if !ok || len(ret.Results) != 1 {
		return "", "", "", false, false
	}
	call, ok := ret.Results[0].(*ast.CallExpr)
	if !ok || !isSelector(call.Fun, "graphql", "ResolveField") || len(call.Args) != 9 {
		return "", "", "", false, false
	}
	if id, ok := call.Args[5].(*ast.Ident); !ok || id.Name != "nil" { // a directive chain
		return "", "", "", false, false
	}
	// The field context: return ec.fieldContext_T_f(ctx, field)
	if res, ok := onlyReturn(call.Args[3]); ok && len(res) == 1 {
		if c, ok := res[0].(*ast.CallExpr); ok && len(c.Args) == 2 && isIdent(c.Args[0], "ctx") && isIdent(c.Args[1], "field") {
			if s, ok := c.Fun.(*ast.SelectorExpr); ok && isIdent(s.X, "ec") {
				fieldContext = s.Sel.Name
			}
		}
	}
	// The resolver: return obj.F, nil
	res, ok := onlyReturn(call.Args[4])
	if !ok || len(res) != 2 {
		return "", "", "", false, false
	}
	read := res[0]
	call0, isCall := read.(*ast.CallExpr) // a getter: obj.M()
	if isCall {
		if len(call0.Args) != 0 {
			return "", "", "", false, false
		}
		read = call0.Fun
	}
	sel, ok := read.(*ast.SelectorExpr)
	if !ok || !isIdent(sel.X, "obj") || !isIdent(res[1], "nil") {
		return "", "", "", false, false
	}
	field = sel.Sel.Name
	if isCall {
		field += "()"
	}
	// The marshaller: return ec.M(ctx, selections, v)
	res, ok = onlyReturn(call.Args[6])
	if !ok || len(res) != 1 {
		return "", "", "", false, false
	}
	m, ok := res[0].(*ast.CallExpr)
	if !ok || len(m.Args) != 3 || !isIdent(m.Args[0], "ctx") || !isIdent(m.Args[1], "selections") || !isIdent(m.Args[2], "v") {
		return "", "", "", false, false
	}
	ms, ok := m.Fun.(*ast.SelectorExpr)
	if !ok || !isIdent(ms.X, "ec") {
		return "", "", "", false, false
	}
	return field, fieldContext, ms.Sel.Name, done, true
}

// scalarMarshal reports whether fd is a marshal function that calls only
// scalarMarshalers.
func scalarMarshal(fd *ast.FuncDecl) bool {
	if fd == nil || !strings.HasPrefix(fd.Name.Name, "marshal") {
		return false
	}
	ok := true
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		if call, isCall := n.(*ast.CallExpr); isCall {
			sel, isSel := call.Fun.(*ast.SelectorExpr)
			if !isSel || !isIdent(sel.X, "graphql") || !scalarMarshalers[sel.Sel.Name] {
				ok = false
			}
		}
		return ok
	})
	return ok
}

// onlyReturn is the results of a function literal whose body is one return.
func onlyReturn(e ast.Expr) ([]ast.Expr, bool) {
	lit, ok := e.(*ast.FuncLit)
	if !ok || len(lit.Body.List) != 1 {
		return nil, false
	}
	ret, ok := lit.Body.List[0].(*ast.ReturnStmt)
	if !ok {
		return nil, false
	}
	return ret.Results, true
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

// collectCall returns the implementors argument of an object function's
// field collection: gqlgen's graphql.CollectFields(ec.OperationContext,
// sel, implementors), or ec.collectFields(sel, implementors) as rewrite
// leaves it.
func collectCall(e ast.Expr) (implementors ast.Expr, ok bool) {
	call, ok := e.(*ast.CallExpr)
	switch {
	case !ok:
		return nil, false
	case isSelector(call.Fun, "graphql", "CollectFields") && len(call.Args) == 3:
		return call.Args[2], true
	case isSelector(call.Fun, "ec", leanCollect) && len(call.Args) == 2:
		return call.Args[1], true
	}
	return nil, false
}

// onExecutor makes the call of a package function sel (graphql.F) a call
// of the executor's method (ec.method).
func onExecutor(sel *ast.SelectorExpr, method string) {
	sel.X, sel.Sel = &ast.Ident{Name: "ec", NamePos: sel.X.Pos()}, &ast.Ident{Name: method, NamePos: sel.Sel.Pos()}
}

func isSelector(e ast.Expr, x, name string) bool {
	sel, ok := e.(*ast.SelectorExpr)
	return ok && isIdent(sel.X, x) && sel.Sel.Name == name
}

// selectionTable makes the lists that remain concurrent (their element
// type has a field that may block) choose at run time: when the
// operation's selection below the list reaches no such field, their
// elements marshal inline too. It rewrites each such list's
// MarshalSliceConcurrently to ec.marshalSlice with the name of the element
// type's object function, and returns the source of execObjects: for each
// object function, its type's implementors and, per field, whether it may
// block (gqlgen resolves it concurrently) and which object functions its
// value is marshalled by; for an interface or union, the object functions
// it forwards to (graph/marshal.go reads it).
func selectionTable(fns map[string]*fn, r *rewritten) string {
	// objectsFrom: the object (or interface) functions a function reaches
	// through marshal functions, without entering them.
	isObject := func(name string) bool {
		f, ok := fns[name]
		return ok && strings.HasPrefix(name, "_") && f.decl.Type.Params.NumFields() == 3 &&
			len(f.decl.Type.Params.List) >= 2 && len(f.decl.Type.Params.List[1].Names) == 1 &&
			f.decl.Type.Params.List[1].Names[0].Name == "sel"
	}
	var objectsFrom func(name string, seen map[string]bool, out map[string]bool)
	objectsFrom = func(name string, seen map[string]bool, out map[string]bool) {
		f, ok := fns[name]
		if !ok || seen[name] {
			return
		}
		seen[name] = true
		for _, c := range f.calls {
			switch {
			case isObject(c):
				out[c] = true
			case strings.HasPrefix(c, "marshal"):
				objectsFrom(c, seen, out)
			}
		}
	}
	// quoted is the keys of m as sorted Go string literals.
	quoted := func(m map[string]bool) string {
		var l []string
		for _, k := range slices.Sorted(maps.Keys(m)) {
			l = append(l, strconv.Quote(k))
		}
		return strings.Join(l, ", ")
	}
	var names []string
	for name := range fns {
		if isObject(name) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("\n// init fills execObjects (graph/marshal.go), which describes, for\n" +
		"// ec.selectionBlocks, each object function's fields: whether one may\n" +
		"// block and which object functions marshal its value (written by\n" +
		"// graph/execrewrite).\nfunc init() {\nexecObjects = map[string]execObject{\n")
	for _, name := range names {
		decl := fns[name].decl
		implementors := ""
		fields := map[string]string{}
		ast.Inspect(decl.Body, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				if impl, ok := collectCall(n); ok {
					if id, ok := impl.(*ast.Ident); ok {
						implementors = id.Name
					}
				}
			case *ast.CaseClause:
				if len(n.List) != 1 {
					return true
				}
				lit, ok := n.List[0].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return true
				}
				field := lit.Value
				blocks := false
				children := map[string]bool{}
				ast.Inspect(n, func(m ast.Node) bool {
					call, ok := m.(*ast.CallExpr)
					if !ok {
						return true
					}
					sel, ok := call.Fun.(*ast.SelectorExpr)
					if !ok {
						return true
					}
					if strings.Contains(sel.Sel.Name, "Concurrently") {
						blocks = true
					}
					if isIdent(sel.X, "ec") && strings.HasPrefix(sel.Sel.Name, "_") {
						objectsFrom(sel.Sel.Name, map[string]bool{}, children)
					}
					return true
				})
				if blocks {
					fields[field] = "{blocks: true}"
				} else {
					fields[field] = "{children: []string{" + quoted(children) + "}}"
				}
				return false
			}
			return true
		})
		if implementors == "" { // an interface or a union
			forwards := map[string]bool{}
			for _, c := range fns[name].calls {
				if isObject(c) {
					forwards[c] = true
				}
			}
			fmt.Fprintf(&b, "\t%q: {forwards: []string{%s}},\n", name, quoted(forwards))
			continue
		}
		fmt.Fprintf(&b, "\t%q: {implementors: %s, fields: map[string]execField{\n", name, implementors)
		for _, k := range slices.Sorted(maps.Keys(fields)) {
			fmt.Fprintf(&b, "\t\t%s: %s,\n", k, fields[k])
		}
		b.WriteString("\t}},\n")
	}
	b.WriteString("}\n}\n")
	// The lists that stay concurrent and have one element type.
	for name, f := range fns {
		if !f.slice || f.syncTree {
			continue
		}
		elems := map[string]bool{}
		objectsFrom(name, map[string]bool{}, elems)
		if len(elems) != 1 {
			continue
		}
		elem := slices.Collect(maps.Keys(elems))[0]
		rewrote := false
		ast.Inspect(f.decl.Body, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || !isSelector(call.Fun, "graphql", concurrentSlice) || len(call.Args) != 5 {
				return true
			}
			call.Fun = &ast.SelectorExpr{X: &ast.Ident{Name: "ec"}, Sel: &ast.Ident{Name: chooseSlice}}
			call.Args = append([]ast.Expr{call.Args[0], &ast.Ident{Name: "sel"}, &ast.BasicLit{Kind: token.STRING, Value: strconv.Quote(elem)}}, call.Args[1:]...)
			rewrote = true
			return true
		})
		if rewrote {
			r.choose = append(r.choose, name)
		}
	}
	sort.Strings(r.choose)
	return b.String()
}
