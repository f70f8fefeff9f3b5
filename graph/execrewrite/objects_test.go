package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// plainMethod is gqlgen's field method for a field of Card that reads
// read and marshals with marshal.
func plainMethod(name, read, typ, marshal string) string {
	return fmt.Sprintf(`
func (ec *executionContext) _Card_%[1]s(ctx context.Context, field graphql.CollectedField, obj *Card) (ret graphql.Marshaler) {
	return graphql.ResolveField(ctx, ec.OperationContext, field,
		func(ctx context.Context, field graphql.CollectedField) (*graphql.FieldContext, error) { return ec.fieldContext_Card_%[1]s(ctx, field) },
		func(ctx context.Context) (any, error) { return obj.%[2]s, nil },
		nil,
		func(ctx context.Context, selections ast.SelectionSet, v %[3]s) graphql.Marshaler { return ec.%[4]s(ctx, selections, v) },
		true, true)
}
func (ec *executionContext) fieldContext_Card_%[1]s(_ context.Context, field graphql.CollectedField) (fc *graphql.FieldContext, err error) {
	return &graphql.FieldContext{Object: "Card", Field: field}, nil
}
`, name, read, typ, marshal)
}

// A miniature of an object whose fields cover every scalar form the
// render methods know and several they must leave to gqlgen, a root type,
// and an object with no scalar at all.
var cards = `package graph

func (ec *executionContext) _Card(ctx context.Context, sel ast.SelectionSet, obj *Card) graphql.Marshaler {
	fields := graphql.CollectFields(ec.OperationContext, sel, cardImplementors)

	out := graphql.NewFieldSet(fields)
	deferred := graphql.NewDeferredGroup(ctx)
	for i, field := range fields {
		switch field.Name {
		case "__typename":
			out.Values[i] = graphql.MarshalString("Card")
` + func() string {
	var b strings.Builder
	for _, f := range []string{"title", "note", "count", "at", "ok", "id", "score", "kind", "must", "owner"} {
		fmt.Fprintf(&b, "\t\tcase %q:\n\t\t\tout.Values[i] = ec._Card_%s(ctx, field, obj)\n\t\t\tif out.Values[i] == graphql.Null {\n\t\t\t\tout.Invalids++\n\t\t\t}\n", f, f)
	}
	return b.String()
}() + `		case "late":
			out.ResolveConcurrently(ec.OperationContext, &deferred, i, true, false, func(ctx context.Context) graphql.Marshaler { return ec._Card_late(ctx, field, obj) })
		default:
			panic("unknown field " + strconv.Quote(field.Name))
		}
	}
	out.Dispatch(ctx)
	if out.Invalids > 0 {
		return graphql.Null
	}
	if n := len(deferred.Defers); n > 0 {
		ec.ProcessDeferredGroup(deferred)
	}
	return out
}

func (ec *executionContext) _Holder(ctx context.Context, sel ast.SelectionSet, obj *Holder) graphql.Marshaler {
	fields := graphql.CollectFields(ec.OperationContext, sel, holderImplementors)
	out := graphql.NewFieldSet(fields)
	deferred := graphql.NewDeferredGroup(ctx)
	for i, field := range fields {
		switch field.Name {
		case "__typename":
			out.Values[i] = graphql.MarshalString("Holder")
		case "card":
			out.Values[i] = ec._Holder_card(ctx, field, obj)
		}
	}
	out.Dispatch(ctx)
	return out
}

func (ec *executionContext) _Query(ctx context.Context, sel ast.SelectionSet) graphql.Marshaler {
	fields := graphql.CollectFields(ec.OperationContext, sel, queryImplementors)
	out := graphql.NewFieldSet(fields)
	deferred := graphql.NewDeferredGroup(ctx)
	out.Dispatch(ctx)
	return out
}
` + plainMethod("title", "Title", "string", "marshalNString2string") +
	plainMethod("note", "Note", "*string", "marshalOString2ᚖstring") +
	plainMethod("count", "Count()", "int", "marshalNInt2int") +
	plainMethod("at", "At", "int64", "marshalNTimestamp2int64") +
	plainMethod("ok", "OK", "bool", "marshalNBoolean2bool") +
	plainMethod("id", "NodeID()", "string", "marshalNID2string") +
	plainMethod("score", "Score", "float64", "marshalNFloat2float64") +
	plainMethod("kind", "Kind", "model.Kind", "marshalNKind2modelᚐKind") +
	plainMethod("must", "Must", "*string", "marshalNString2ᚖstring") + `
func (ec *executionContext) marshalNString2string(ctx context.Context, sel ast.SelectionSet, v string) graphql.Marshaler {
	_ = sel
	res := graphql.MarshalString(v)
	if res == graphql.Null {
		graphql.AddInvalidNullFromMarshaler(ctx, "String!")
	}
	return res
}
func (ec *executionContext) marshalOString2ᚖstring(ctx context.Context, sel ast.SelectionSet, v *string) graphql.Marshaler {
	if v == nil {
		return graphql.Null
	}
	_ = sel
	_ = ctx
	res := graphql.MarshalString(*v)
	return res
}
func (ec *executionContext) marshalNString2ᚖstring(ctx context.Context, sel ast.SelectionSet, v *string) graphql.Marshaler {
	if v == nil {
		graphql.AddInvalidNullFromMarshaler(ctx, "String!")
		return graphql.Null
	}
	res := graphql.MarshalString(*v)
	return res
}
func (ec *executionContext) marshalNInt2int(ctx context.Context, sel ast.SelectionSet, v int) graphql.Marshaler {
	res := graphql.MarshalInt(v)
	return res
}
func (ec *executionContext) marshalNTimestamp2int64(ctx context.Context, sel ast.SelectionSet, v int64) graphql.Marshaler {
	res := graphql.MarshalInt64(v)
	return res
}
func (ec *executionContext) marshalNBoolean2bool(ctx context.Context, sel ast.SelectionSet, v bool) graphql.Marshaler {
	res := graphql.MarshalBoolean(v)
	return res
}
func (ec *executionContext) marshalNID2string(ctx context.Context, sel ast.SelectionSet, v string) graphql.Marshaler {
	res := graphql.MarshalID(v)
	return res
}
func (ec *executionContext) marshalNFloat2float64(ctx context.Context, sel ast.SelectionSet, v float64) graphql.Marshaler {
	res := graphql.MarshalFloatContext(v)
	return graphql.WrapContextMarshaler(ctx, res)
}
func (ec *executionContext) marshalNKind2modelᚐKind(ctx context.Context, sel ast.SelectionSet, v model.Kind) graphql.Marshaler {
	return v
}
`

// Object functions return through ec.objectMarshaler; the root types keep
// returning their field set, which Exec marshals.
func TestRewriteReturnsObjectsThroughObjectMarshaler(t *testing.T) {
	out, r, err := rewrite([]byte(cards))
	if err != nil {
		t.Fatal(err)
	}
	if r.objectReturns != 2 {
		t.Errorf("%d object returns rewritten, want _Card and _Holder", r.objectReturns)
	}
	body := bodyOf(string(out))
	for _, fn := range []string{"_Card", "_Holder"} {
		if !strings.HasSuffix(body(fn), "\n\treturn ec.objectMarshaler(fields, out, len(deferred.Defers) > 0)") {
			t.Errorf("%s does not return through objectMarshaler:\n%s", fn, body(fn))
		}
	}
	if !strings.HasSuffix(body("_Query"), "\n\treturn out") {
		t.Errorf("the root type's field set is not Exec's any more:\n%s", body("_Query"))
	}
	if r2 := rewriteAgain(t, out); r2.objectReturns != 0 {
		t.Errorf("not idempotent: %d more returns", r2.objectReturns)
	}
}

// bodyOf returns a function giving the source of method fn of src, up to
// its closing brace.
func bodyOf(src string) func(fn string) string {
	return func(fn string) string {
		b := src[strings.Index(src, ") "+fn+"("):]
		return b[:strings.Index(b, "\n}\n")]
	}
}

// Objects whose fields are scalars get a render method, asked first; the
// forms it does not know stay with gqlgen.
func TestRewriteRendersObjectsOfScalars(t *testing.T) {
	out, r, err := rewrite([]byte(cards))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.rendered, []string{"_Card"}) {
		t.Errorf("rendered %v, want _Card", r.rendered)
	}
	src := string(out)
	body := bodyOf(src)
	if want := "fields := ec.collectFields(sel, cardImplementors)\n\tif m := ec.render_Card(fields, obj); m != nil {\n\t\treturn m\n\t}\n"; !strings.Contains(body("_Card"), want) {
		t.Errorf("_Card does not ask render_Card first:\n%s", body("_Card"))
	}
	if strings.Contains(src, "render_Holder") || strings.Contains(src, "render_Query") {
		t.Error("a render method for an object without scalars or a root type")
	}
	render := body("render_Card")
	for _, want := range []string{
		`case "__typename", "at", "count", "id", "note", "ok", "title":` + "\n\t\tdefault:\n\t\t\treturn nil\n\t\t}\n\t}\n" +
			"\tif !ec.plainFields() || !distinctAliases(fields) {\n\t\treturn nil",
		"case \"__typename\":\n\t\t\tb = appendQuoted(b, \"Card\")",
		"case \"at\":\n\t\t\tb = strconv.AppendInt(b, obj.At, 10)",
		"case \"count\":\n\t\t\tb = strconv.AppendInt(b, int64(obj.Count()), 10)",
		"case \"id\":\n\t\t\tb = appendQuoted(b, obj.NodeID())",
		"case \"note\":\n\t\t\tb = appendQuotedOrNull(b, obj.Note)",
		"case \"ok\":\n\t\t\tb = strconv.AppendBool(b, obj.OK)",
		"case \"title\":\n\t\t\tb = appendQuoted(b, obj.Title)",
	} {
		if !strings.Contains(render, want) {
			t.Errorf("render_Card lacks %q:\n%s", want, render)
		}
	}
	for _, never := range []string{"score", "kind", "must", "owner", "late"} {
		if strings.Contains(render, never) {
			t.Errorf("render_Card renders %s:\n%s", never, render)
		}
	}
	if r2 := rewriteAgain(t, out); !slices.Equal(r2.rendered, r.rendered) {
		t.Errorf("not idempotent: rendered %v", r2.rendered)
	}
}
