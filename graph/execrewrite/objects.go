package main

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/printer"
	"go/token"
	"sort"
	"strconv"
	"strings"
)

const (
	objectReturn = "objectMarshaler" // a method of executionContext (graph/objects.go)
	renderPrefix = "render"          // the render method of object function _T is render_T
)

// scalarAppend returns how a render function appends what the scalar
// marshal function fd writes for a value (a format whose %s is the value),
// or "" when it is not one of the forms known to write what the append
// writes (graph/objects.go): gqlgen's
//
//	res := graphql.MarshalString(v) // or MarshalID, whose v0.17.98 is MarshalString
//	res := graphql.MarshalInt(v)    // v an int; MarshalInt64 for an int64
//	res := graphql.MarshalBoolean(v)
//
// around the null report these never trigger, and, for a nullable String
// held as a *string,
//
//	if v == nil {
//		return graphql.Null
//	}
//	res := graphql.MarshalString(*v)
//
// Anything else (floats, enums, custom scalars, non-null pointers, named
// types) is left to gqlgen.
func scalarAppend(fd *ast.FuncDecl) string {
	params := fd.Type.Params.List
	if len(params) != 3 || len(params[2].Names) != 1 || params[2].Names[0].Name != "v" {
		return ""
	}
	var calls []*ast.CallExpr
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		if c, ok := n.(*ast.CallExpr); ok {
			if s, ok := c.Fun.(*ast.SelectorExpr); ok && strings.HasPrefix(s.Sel.Name, "Marshal") {
				calls = append(calls, c)
			}
		}
		return true
	})
	if len(calls) != 1 || len(calls[0].Args) != 1 {
		return ""
	}
	marshal := calls[0].Fun.(*ast.SelectorExpr).Sel.Name
	arg := calls[0].Args[0]
	switch typ := params[2].Type.(type) {
	case *ast.Ident:
		if !isIdent(arg, "v") {
			return ""
		}
		switch {
		case typ.Name == "string" && (marshal == "MarshalString" || marshal == "MarshalID"):
			return "appendQuoted(b, %s)"
		case typ.Name == "int" && marshal == "MarshalInt":
			return "strconv.AppendInt(b, int64(%s), 10)"
		case typ.Name == "int64" && marshal == "MarshalInt64":
			return "strconv.AppendInt(b, %s, 10)"
		case typ.Name == "bool" && marshal == "MarshalBoolean":
			return "strconv.AppendBool(b, %s)"
		}
	case *ast.StarExpr:
		star, ok := arg.(*ast.StarExpr)
		if !ok || !isIdent(star.X, "v") || !isIdent(typ.X, "string") || marshal != "MarshalString" ||
			!strings.HasPrefix(fd.Name.Name, "marshalO") || len(fd.Body.List) == 0 {
			return ""
		}
		// First: if v == nil { return graphql.Null }
		is, ok := fd.Body.List[0].(*ast.IfStmt)
		if !ok || is.Init != nil || is.Else != nil || len(is.Body.List) != 1 {
			return ""
		}
		cond, ok := is.Cond.(*ast.BinaryExpr)
		if !ok || cond.Op != token.EQL || !isIdent(cond.X, "v") || !isIdent(cond.Y, "nil") {
			return ""
		}
		ret, ok := is.Body.List[0].(*ast.ReturnStmt)
		if !ok || len(ret.Results) != 1 || !isSelector(ret.Results[0], "graphql", "Null") {
			return ""
		}
		return "appendQuotedOrNull(b, %s)"
	}
	return ""
}

// objectFunctions rewrites gqlgen's object functions, of the form
//
//	func (ec *executionContext) _T(ctx context.Context, sel ast.SelectionSet, obj *T) graphql.Marshaler {
//		fields := graphql.CollectFields(ec.OperationContext, sel, tImplementors)
//		out := graphql.NewFieldSet(fields)
//		deferred := graphql.NewDeferredGroup(ctx)
//		for i, field := range fields {
//			switch field.Name {
//			case "__typename":
//				out.Values[i] = graphql.MarshalString("T")
//			case "f":
//				out.Values[i] = ec._T_f(ctx, field, obj)
//				…
//		}
//		…
//		return out
//	}
//
// (the root types, which take no obj and whose field set Exec marshals,
// are not of it). Each returns ec.objectMarshaler(fields, out,
// len(deferred.Defers) > 0) instead of out, which writes the same bytes
// without what gqlgen's FieldSet.MarshalGQL spends per object
// (graph/objects.go). And a type with fields among reads (plain fields
// holding a scalar that a render method can append, see scalarAppend) gets
// a render method, returned as source text to append to the executor,
// which _T asks first:
//
//	if m := ec.render_T(fields, obj); m != nil {
//		return m
//	}
//
// render_T renders the whole object into one byte slice when every field
// selected is __typename or one of those, their aliases are distinct and
// the operation takes the direct paths (ec.plainFields); gqlgen's loop
// runs for every other selection. It edits the source text, as plainFields does; a second
// run inserts nothing and returns the same render methods.
func objectFunctions(src []byte, reads map[string]plainRead, r *rewritten) ([]byte, string, error) {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "generated.go", src, 0)
	if err != nil {
		return nil, "", err
	}
	type edit struct {
		at, end int
		text    string
	}
	var edits []edit
	var renders []string
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
		typename, cases := renderCases(fd, reads)
		if len(cases) == 0 {
			continue
		}
		name := renderPrefix + fd.Name.Name
		if !callsRender(body[1], name) {
			edits = append(edits, edit{at: offset(body[0].End()), end: offset(body[0].End()),
				text: fmt.Sprintf("\n\tif m := ec.%s(fields, obj); m != nil {\n\t\treturn m\n\t}", name)})
		}
		var typ bytes.Buffer
		if err := printer.Fprint(&typ, fset, fd.Type.Params.List[2].Type); err != nil {
			return nil, "", err
		}
		renders = append(renders, renderMethod(name, fd.Name.Name, typ.String(), typename, cases))
		r.rendered = append(r.rendered, fd.Name.Name)
	}
	sort.Slice(edits, func(i, j int) bool { return edits[i].at > edits[j].at })
	out := bytes.Clone(src)
	for _, e := range edits {
		out = append(out[:e.at], append([]byte(e.text), out[e.end:]...)...)
	}
	if out, err = format.Source(out); err != nil {
		return nil, "", err
	}
	sort.Strings(r.rendered)
	sort.Strings(renders)
	return out, strings.Join(renders, ""), nil
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
	if _, ok := collectCall(assigned(fd.Body.List[0], "fields")); !ok {
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

// callsRender reports whether s is the call of the render method name
// objectFunctions inserts.
func callsRender(s ast.Stmt, name string) bool {
	is, ok := s.(*ast.IfStmt)
	if !ok || is.Init == nil {
		return false
	}
	as, ok := is.Init.(*ast.AssignStmt)
	if !ok || len(as.Rhs) != 1 {
		return false
	}
	c, ok := as.Rhs[0].(*ast.CallExpr)
	return ok && isSelector(c.Fun, "ec", name)
}

// renderCases returns, for object function fd, its type name (the
// __typename case) and, for each field among reads, the statement
// appending its value; none when the function has no __typename case.
func renderCases(fd *ast.FuncDecl, reads map[string]plainRead) (typename string, cases map[string]string) {
	cases = map[string]string{}
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		cc, ok := n.(*ast.CaseClause)
		if !ok {
			return true
		}
		if len(cc.List) != 1 || len(cc.Body) == 0 {
			return false
		}
		lit, ok := cc.List[0].(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return false
		}
		field, err := strconv.Unquote(lit.Value)
		if err != nil {
			return false
		}
		as, ok := cc.Body[0].(*ast.AssignStmt)
		if !ok || len(as.Lhs) != 1 || len(as.Rhs) != 1 {
			return false
		}
		if idx, ok := as.Lhs[0].(*ast.IndexExpr); !ok || !isSelector(idx.X, "out", "Values") || !isIdent(idx.Index, "i") {
			return false
		}
		call, ok := as.Rhs[0].(*ast.CallExpr)
		if !ok {
			return false
		}
		if field == "__typename" {
			if len(call.Args) == 1 && isSelector(call.Fun, "graphql", "MarshalString") {
				if lit, ok := call.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					typename = lit.Value
				}
			}
			return false
		}
		// out.Values[i] = ec._T_f(ctx, field, obj), then at most the
		// invalid-null check, which a scalar read never triggers.
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok || !isIdent(sel.X, "ec") || len(call.Args) != 3 || !isIdent(call.Args[0], "ctx") ||
			!isIdent(call.Args[1], "field") || !isIdent(call.Args[2], "obj") || len(cc.Body) > 2 {
			return false
		}
		if read, ok := reads[sel.Sel.Name]; ok {
			cases[field] = "b = " + fmt.Sprintf(read.append, "obj."+read.field)
		}
		return false
	})
	if typename == "" {
		return "", nil
	}
	return typename, cases
}

// renderMethod is the source of the render method name of object function
// fn: see objectFunctions.
func renderMethod(name, fn, objType, typename string, cases map[string]string) string {
	fields := []string{strconv.Quote("__typename")}
	var b strings.Builder
	for _, f := range sortedKeys(cases) {
		fields = append(fields, strconv.Quote(f))
	}
	fmt.Fprintf(&b, "\n// %s renders what %s writes for obj when this operation takes the\n"+
		"// direct paths and every field selected is __typename or a scalar read\n"+
		"// from obj: nil otherwise (written by graph/execrewrite).\n", name, fn)
	fmt.Fprintf(&b, "func (ec *executionContext) %s(fields []graphql.CollectedField, obj %s) graphql.Marshaler {\n", name, objType)
	// The cheapest test first: most objects that are not rendered have a
	// field of another kind.
	fmt.Fprintf(&b, "\tfor i := range fields {\n\t\tswitch fields[i].Name {\n\t\tcase %s:\n\t\tdefault:\n\t\t\treturn nil\n\t\t}\n\t}\n",
		strings.Join(fields, ", "))
	b.WriteString("\tif !ec.plainFields() || !distinctAliases(fields) {\n\t\treturn nil\n\t}\n")
	b.WriteString("\tvar scratch [renderScratch]byte\n\tb := append(scratch[:0], '{')\n\tfor i := range fields {\n" +
		"\t\tb = appendKey(b, i, fields[i].Alias)\n\t\tswitch fields[i].Name {\n")
	fmt.Fprintf(&b, "\t\tcase \"__typename\":\n\t\t\tb = appendQuoted(b, %s)\n", typename)
	for _, f := range sortedKeys(cases) {
		fmt.Fprintf(&b, "\t\tcase %q:\n\t\t\t%s\n", f, cases[f])
	}
	b.WriteString("\t\t}\n\t}\n\treturn renderedObject(bytes.Clone(append(b, '}')))\n}\n")
	return b.String()
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
