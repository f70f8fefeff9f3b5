package main

import (
	"bytes"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"sort"
)

const objectReturn = "objectMarshaler" // a method of executionContext (graph/objects.go)

// objectFunctions rewrites gqlgen's object functions, of the form
//
//	func (ec *executionContext) _T(ctx context.Context, sel ast.SelectionSet, obj *T) graphql.Marshaler {
//		fields := graphql.CollectFields(ec.OperationContext, sel, tImplementors)
//		out := graphql.NewFieldSet(fields)
//		deferred := graphql.NewDeferredGroup(ctx)
//		…
//		return out
//	}
//
// (the root types, which take no obj and whose field set Exec marshals,
// are not of it): each returns ec.objectMarshaler(fields, out,
// len(deferred.Defers) > 0) instead of out, which writes the same bytes
// without what gqlgen's FieldSet.MarshalGQL spends per object
// (graph/objects.go). It edits the source text, as plainFields does; a
// rewritten function returns out no more, so a second run changes nothing.
func objectFunctions(src []byte, r *rewritten) ([]byte, error) {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "generated.go", src, 0)
	if err != nil {
		return nil, err
	}
	type edit struct {
		at, end int
		text    string
	}
	var edits []edit
	offset := func(p token.Pos) int { return fset.Position(p).Offset }
	for _, d := range file.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Recv == nil || fd.Body == nil || !objectFunction(fd) {
			continue
		}
		body := fd.Body.List
		if ret, ok := body[len(body)-1].(*ast.ReturnStmt); ok && len(ret.Results) == 1 && isIdent(ret.Results[0], "out") {
			edits = append(edits, edit{at: offset(ret.Pos()), end: offset(ret.End()),
				text: "return ec." + objectReturn + "(fields, out, len(deferred.Defers) > 0)"})
			r.objectReturns++
		}
	}
	sort.Slice(edits, func(i, j int) bool { return edits[i].at > edits[j].at })
	out := bytes.Clone(src)
	for _, e := range edits {
		out = append(out[:e.at], append([]byte(e.text), out[e.end:]...)...)
	}
	return format.Source(out)
}

// objectFunction reports whether fd is of the form objectFunctions
// rewrites (rewritten or not).
func objectFunction(fd *ast.FuncDecl) bool {
	params := fd.Type.Params.List
	if len(params) != 3 || len(params[1].Names) != 1 || params[1].Names[0].Name != "sel" ||
		len(params[2].Names) != 1 || params[2].Names[0].Name != "obj" || len(fd.Body.List) < 4 {
		return false
	}
	assigned := func(s ast.Stmt, name string) ast.Expr {
		as, ok := s.(*ast.AssignStmt)
		if !ok || as.Tok != token.DEFINE || len(as.Lhs) != 1 || len(as.Rhs) != 1 || !isIdent(as.Lhs[0], name) {
			return nil
		}
		return as.Rhs[0]
	}
	call, ok := assigned(fd.Body.List[0], "fields").(*ast.CallExpr)
	if !ok || !isSelector(call.Fun, "graphql", "CollectFields") {
		return false
	}
	var hasOut, hasDeferred bool
	for _, s := range fd.Body.List {
		if c, ok := assigned(s, "out").(*ast.CallExpr); ok && isSelector(c.Fun, "graphql", "NewFieldSet") {
			hasOut = true
		}
		if assigned(s, "deferred") != nil {
			hasDeferred = true
		}
	}
	return hasOut && hasDeferred
}
