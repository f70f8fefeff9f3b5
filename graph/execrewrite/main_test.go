package main

import (
	"slices"
	"strings"
	"testing"
)

// A miniature of gqlgen's executor: Leaf has only plain fields, Parent a
// field resolved on its own goroutine, Holder plain fields that reach
// Parent, and Tree is recursive through its own list.
const generated = `package graph

func (ec *executionContext) _Leaf(ctx context.Context) graphql.Marshaler {
	deferred := graphql.NewDeferredGroup(ctx)
	_ = deferred
	return ec._Leaf_name(ctx)
}
func (ec *executionContext) _Leaf_name(ctx context.Context) graphql.Marshaler { return nil }
func (ec *executionContext) _Parent(ctx context.Context) graphql.Marshaler {
	out.ResolveConcurrently(ec.OperationContext, nil, 0, func(ctx context.Context) graphql.Marshaler { return nil })
	return nil
}
func (ec *executionContext) _Holder(ctx context.Context) graphql.Marshaler { return ec._Parent(ctx) }
func (ec *executionContext) _Tree(ctx context.Context) graphql.Marshaler { return ec.marshalTrees(ctx) }

func (ec *executionContext) marshalLeaves(ctx context.Context, v []int) graphql.Marshaler {
	return graphql.MarshalSliceConcurrently(ctx, len(v), 0, false, func(ctx context.Context, i int) graphql.Marshaler { return ec._Leaf(ctx) })
}
func (ec *executionContext) marshalParents(ctx context.Context, v []int) graphql.Marshaler {
	return graphql.MarshalSliceConcurrently(ctx, len(v), 0, false, func(ctx context.Context, i int) graphql.Marshaler { return ec._Parent(ctx) })
}
func (ec *executionContext) marshalHolders(ctx context.Context, v []int) graphql.Marshaler {
	return graphql.MarshalSliceConcurrently(ctx, len(v), 0, false, func(ctx context.Context, i int) graphql.Marshaler { return ec._Holder(ctx) })
}
func (ec *executionContext) marshalTrees(ctx context.Context, v []int) graphql.Marshaler {
	return graphql.MarshalSliceConcurrently(ctx, len(v), 0, false, func(ctx context.Context, i int) graphql.Marshaler { return ec._Tree(ctx) })
}
`

func TestRewriteInlinesOnlyListsThatCannotBlock(t *testing.T) {
	out, r, err := rewrite([]byte(generated))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"marshalLeaves", "marshalTrees"}; !slices.Equal(r.inline, want) {
		t.Fatalf("rewritten %v, want %v", r.inline, want)
	}
	for fn, inline := range map[string]bool{"marshalLeaves": true, "marshalTrees": true, "marshalParents": false, "marshalHolders": false} {
		body := string(out[strings.Index(string(out), ") "+fn+"("):])
		body = body[:strings.Index(body, "\n}\n")]
		if got := strings.Contains(body, "marshalSliceInline("); got != inline {
			t.Errorf("%s inline = %v, want %v:\n%s", fn, got, inline, body)
		}
	}
}

func TestRewriteStartsDeferredGroupsThroughTheExecutor(t *testing.T) {
	out, r, err := rewrite([]byte(generated))
	if err != nil {
		t.Fatal(err)
	}
	if r.deferred != 1 || strings.Contains(string(out), "graphql.NewDeferredGroup") ||
		!strings.Contains(string(out), "deferred := ec.deferredGroup(ctx)") {
		t.Fatalf("%d rewritten:\n%s", r.deferred, out)
	}
	// Running it again changes nothing.
	again, r2, err := rewrite(out)
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(out) || r2.deferred != 0 {
		t.Fatalf("not idempotent: %d more deferred groups rewritten", r2.deferred)
	}
}
