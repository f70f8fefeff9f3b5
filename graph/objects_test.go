package graph

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"chaoqer/graph/limits"
	"chaoqer/graph/room"
	"chaoqer/graph/user"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/ast"
)

// appendQuoted writes what gqlgen writes for a String and an ID, byte for
// byte: every escape form, invalid UTF-8, NUL.
func FuzzAppendQuoted(f *testing.F) {
	var controls []byte
	for c := range byte(0x20) {
		controls = append(controls, c)
	}
	for _, s := range []string{"", "plain", string(controls), `"\`, "\t\r\n\b\f\x00\x1f\x7f", "é😀\u2028</script>&",
		"\xff\xfe", "\xc3\x0a", "\xe2\x80", "a\"b\\c\x01d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := appendQuoted([]byte("x"), s)
		for _, m := range []graphql.Marshaler{graphql.MarshalString(s), graphql.MarshalID(s)} {
			var want bytes.Buffer
			want.WriteString("x")
			m.MarshalGQL(&want)
			if !bytes.Equal(got, want.Bytes()) {
				t.Fatalf("appendQuoted(%q) = %q, gqlgen writes %q", s, got, want.Bytes())
			}
		}
		if p := appendQuotedOrNull(nil, &s); !bytes.Equal(p, got[1:]) {
			t.Fatalf("appendQuotedOrNull(&%q) = %q", s, p)
		}
	})
}

func TestAppendQuotedOrNullWritesNullForNil(t *testing.T) {
	var want bytes.Buffer
	graphql.Null.MarshalGQL(&want)
	if got := appendQuotedOrNull([]byte{}, nil); !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("got %q, gqlgen writes %q", got, want.Bytes())
	}
}

// writerOnly hides a *bytes.Buffer behind io.Writer alone, for the path
// objectFields takes for other writers.
type writerOnly struct{ b *bytes.Buffer }

func (w writerOnly) Write(p []byte) (int, error) { return w.b.Write(p) }

// objectFields writes what gqlgen's FieldSet writes for the same fields
// and values, a repeated alias included (a field set gqlgen's CollectFields
// builds when the same alias comes from two parent types neither of which
// implements the other), nested objects too, through a *bytes.Buffer and
// through another writer.
func TestObjectFieldsWritesWhatFieldSetWrites(t *testing.T) {
	field := func(alias, name string) graphql.CollectedField {
		return graphql.CollectedField{Field: &ast.Field{Alias: alias, Name: name}}
	}
	inner := []graphql.CollectedField{field("a", "uid"), field("b", "nickname")}
	innerValues := []graphql.Marshaler{graphql.MarshalID("u\"1"), graphql.Null}
	for _, fields := range [][]graphql.CollectedField{
		nil,
		{field("x", "x")},
		{field("__typename", "__typename"), field("n", "name"), field("n", "name"), field("t", "total"), field("__typename", "__typename"), field("o", "o")},
		{field("o", "o"), field("o", "o")},
	} {
		values := make([]graphql.Marshaler, len(fields))
		for i, f := range fields {
			switch f.Alias {
			case "o":
				values[i] = &objectFields{fields: inner, values: innerValues}
			case "t":
				values[i] = graphql.MarshalInt(i)
			default:
				values[i] = graphql.MarshalString(strings.Repeat("v", i) + "\n")
			}
		}
		fs := graphql.NewFieldSet(fields)
		copy(fs.Values, values)
		var want bytes.Buffer
		fs.MarshalGQL(&want)
		// gqlgen's own nested value marshals as gqlgen's field set would.
		if strings.Contains(want.String(), `":{`) && !strings.Contains(want.String(), `"o":{"a":"u\"1","b":null}`) {
			t.Fatalf("nested object written as %s", want.String())
		}
		o := &objectFields{fields: fields, values: values}
		var direct, other bytes.Buffer
		o.MarshalGQL(&direct)
		o.MarshalGQL(writerOnly{&other})
		if direct.String() != want.String() || other.String() != want.String() {
			t.Errorf("FieldSet writes %s\nobjectFields writes %s to a buffer, %s to a writer", want.String(), direct.String(), other.String())
		}
	}
}

func TestDistinctAliases(t *testing.T) {
	f := func(aliases ...string) []graphql.CollectedField {
		var fields []graphql.CollectedField
		for _, a := range aliases {
			fields = append(fields, graphql.CollectedField{Field: &ast.Field{Alias: a}})
		}
		return fields
	}
	for _, c := range []struct {
		fields   []graphql.CollectedField
		distinct bool
	}{
		{nil, true}, {f("a"), true}, {f("a", "b", "ab"), true}, {f("a", "b", "a"), false}, {f("a", "b", "c", "c"), false},
	} {
		if got := distinctAliases(c.fields); got != c.distinct {
			t.Errorf("distinctAliases(%v) = %v", c.fields, got)
		}
	}
}

// The generated object functions take the new paths exactly on operations
// with direct paths: a Room whose selection is all scalars renders whole,
// one with a creator writes through objectFields (its creator rendered),
// and without direct paths both are gqlgen's field sets, writing the
// same bytes.
func TestObjectFunctionsChooseTheirMarshaler(t *testing.T) {
	name, bio := "a\"\n", "b\x01"
	r := &room.Room{ID: "r1", Name: &name, CreateTime: 42, InviteOnly: true,
		Creator: &user.Profile{UID: "u1", Nickname: `N\`, Bio: &bio}}
	marshal := func(maxCost int, query string) (graphql.Marshaler, string) {
		e := executor.New(NewExecutableSchema(Config{Resolvers: &Resolver{}}))
		limits.Install(e, limits.Config{MaxCost: maxCost}, lru.New[*ast.QueryDocument](10), nil)
		ctx := graphql.StartOperationTrace(context.Background())
		oc, gerrs := e.CreateOperationContext(ctx, &graphql.RawParams{Query: query})
		if gerrs != nil {
			t.Fatal(gerrs)
		}
		ctx = graphql.WithResponseContext(graphql.WithOperationContext(ctx, oc), graphql.DefaultErrorPresenter, graphql.DefaultRecover)
		ec := newExecutionContext(oc, nil, nil)
		m := ec._Room(ctx, oc.Operation.SelectionSet[0].(*ast.Field).SelectionSet, r)
		var buf bytes.Buffer
		m.MarshalGQL(&buf)
		if errs := graphql.GetErrors(ctx); len(errs) > 0 {
			t.Fatal(errs)
		}
		return m, buf.String()
	}
	for _, c := range []struct {
		query, want string
		direct      func(graphql.Marshaler) bool
	}{
		{`{ room(roomId: "r1") { __typename n: name createTime inviteOnly roomId roomId n: name } }`,
			`{"__typename":"Room","n":"a\"\n","createTime":42,"inviteOnly":true,"roomId":"r1"}`,
			func(m graphql.Marshaler) bool { _, ok := m.(renderedObject); return ok }},
		{`{ room(roomId: "r1") { roomId creator { uid nickname bio b: bio } } }`,
			`{"roomId":"r1","creator":{"uid":"u1","nickname":"N\\","bio":"b\u0001","b":"b\u0001"}}`,
			func(m graphql.Marshaler) bool {
				o, ok := m.(*objectFields)
				if !ok || len(o.values) != 2 {
					return false
				}
				_, ok = o.values[1].(renderedObject)
				return ok
			}},
	} {
		m, got := marshal(100, c.query)
		if !c.direct(m) || got != c.want {
			t.Errorf("%s: direct %T writes %s, want %s", c.query, m, got, c.want)
		}
		m, got = marshal(0, c.query)
		if _, ok := m.(*graphql.FieldSet); !ok || got != c.want {
			t.Errorf("%s: without direct paths %T writes %s, want %s", c.query, m, got, c.want)
		}
	}
}
