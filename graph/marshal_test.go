package graph

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// marshalSliceInline keeps MarshalSliceConcurrently's contract: elements in
// order, each under its index in the path, a panicking element null with
// an error at its path.
func TestMarshalSliceInline(t *testing.T) {
	ctx := graphql.WithResponseContext(context.Background(), graphql.DefaultErrorPresenter,
		func(_ context.Context, v any) error { return fmt.Errorf("panic: %v", v) })
	ctx = graphql.WithFieldContext(ctx, &graphql.FieldContext{Field: graphql.CollectedField{Field: &ast.Field{Alias: "members"}}})
	var paths []string
	got := marshalSliceInline(ctx, 3, 0, false, func(ctx context.Context, i int) graphql.Marshaler {
		paths = append(paths, graphql.GetPath(ctx).String())
		if i == 1 {
			panic("boom")
		}
		return graphql.MarshalInt(i)
	})
	var buf bytes.Buffer
	got.MarshalGQL(&buf)
	if buf.String() != "[0,null,2]" {
		t.Errorf("marshalled %s, want [0,null,2]", buf.String())
	}
	if want := "members[0] members[1] members[2]"; strings.Join(paths, " ") != want {
		t.Errorf("paths %q, want %q", strings.Join(paths, " "), want)
	}
	errs := graphql.GetErrors(ctx)
	if len(errs) != 1 || errs[0].Path.String() != "members[1]" {
		t.Errorf("errors %v, want one at members[1]", errs)
	}
}
