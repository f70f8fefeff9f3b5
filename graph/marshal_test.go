package graph

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"chaoqer/graph/limits"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/99designs/gqlgen/graphql/handler/lru"
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

// deferredGroup does gqlgen's path and map work only for an operation whose
// text may hold a @defer, which is the only way a field can be deferred.
// An element's context is what graphql.WithFieldContext would have made:
// its field context (index, parent) where gqlgen looks, anything else from
// the list's context, and the list's cancellation.
func TestElementContextIsAFieldContext(t *testing.T) {
	if fieldContextKey == nil {
		t.Fatal("gqlgen's field context key not found")
	}
	type other struct{}
	parentCtx, cancel := context.WithCancel(context.WithValue(context.Background(), other{}, "kept"))
	listFC := &graphql.FieldContext{Field: graphql.CollectedField{Field: &ast.Field{Alias: "members"}}}
	ctx := graphql.WithFieldContext(parentCtx, listFC)
	var fcs []*graphql.FieldContext
	var ctxs []context.Context
	marshalSliceInline(ctx, 2, 0, true, func(ctx context.Context, i int) graphql.Marshaler {
		fc := graphql.GetFieldContext(ctx)
		if fc == nil || fc.Index == nil || *fc.Index != i || fc.Parent != listFC || ctx.Value(other{}) != "kept" {
			t.Errorf("element %d: field context %+v, other value %v", i, fc, ctx.Value(other{}))
		}
		want := graphql.GetFieldContext(graphql.WithFieldContext(ctx, &graphql.FieldContext{})).Parent
		if want != fc {
			t.Errorf("element %d: a child's parent is not the element's field context", i)
		}
		fcs, ctxs = append(fcs, fc), append(ctxs, ctx)
		return graphql.Null
	})
	if len(fcs) != 2 || fcs[0] == fcs[1] || *fcs[0].Index != 0 || *fcs[1].Index != 1 {
		t.Fatalf("field contexts %v", fcs)
	}
	cancel()
	for i, c := range ctxs {
		select {
		case <-c.Done():
		default:
			t.Errorf("element %d: not canceled with its list", i)
		}
	}
}

func TestDeferredGroupOnlyWhereAnOperationMayDefer(t *testing.T) {
	ctx := graphql.WithFieldContext(context.Background(),
		&graphql.FieldContext{Field: graphql.CollectedField{Field: &ast.Field{Alias: "viewer"}}})
	for query, lazy := range map[string]bool{
		`{ viewer { uid } }`: true,
		`{ viewer { uid ... @defer { profile { bio } } } }`:    false,
		`{ viewer { uid ... @ defer { profile { bio } } } }`:   false, // a token of its own
		`query deferred { viewer { uid } }`:                    true,  // no directive at all
		`query deferred { viewer { uid @include(if: true) } }`: false, // conservative
	} {
		ec := newExecutionContext(&graphql.OperationContext{RawQuery: query}, nil, nil)
		g := ec.deferredGroup(ctx)
		if got := g.Defers == nil && g.Path == nil; got != lazy {
			t.Errorf("%s: empty group = %v, want %v", query, got, lazy)
		}
		if !lazy && (g.Defers == nil || g.Path.String() != "viewer") {
			t.Errorf("%s: gqlgen's group wanted, got path %q", query, g.Path.String())
		}
	}
}

// Plain fields take their direct path exactly when limits runs the
// operation's fields unintercepted.
func TestPlainFieldsFollowTheFieldMiddleware(t *testing.T) {
	for _, c := range []struct {
		name        string
		maxCost     int
		query       string
		plainFields bool
	}{
		{"query under a cost limit", 100, "{ viewer { uid } }", true},
		{"query without a cost limit", 0, "{ viewer { uid } }", false},
		{"mutation", 100, "mutation { logout { message } }", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := executor.New(NewExecutableSchema(Config{Resolvers: &Resolver{}}))
			limits.Install(e, limits.Config{MaxCost: c.maxCost}, lru.New[*ast.QueryDocument](10), nil)
			oc, gerrs := e.CreateOperationContext(graphql.StartOperationTrace(context.Background()), &graphql.RawParams{Query: c.query})
			if gerrs != nil {
				t.Fatal(gerrs)
			}
			if got := newExecutionContext(oc, nil, nil).plainFields(); got != c.plainFields {
				t.Errorf("plainFields = %v, want %v", got, c.plainFields)
			}
		})
	}
}
