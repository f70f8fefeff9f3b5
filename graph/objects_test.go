package graph

import (
	"bytes"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

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
