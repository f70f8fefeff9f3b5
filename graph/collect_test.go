package graph

import (
	"context"
	"reflect"
	"sync"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/vektah/gqlparser/v2/ast"
)

// collectFields answers what graphql.CollectFields answers, for the
// variables of its own operation, and collects each selection once.
func TestCollectFieldsOncePerOperation(t *testing.T) {
	const query = `query Q($more: Boolean!) {
  viewer { uid ...V profile @include(if: $more) { nickname } }
}
fragment V on Viewer { uid alias: uid }`
	e := executor.New(NewExecutableSchema(Config{Resolvers: &Resolver{}}))
	e.Use(collectCache{})
	for _, more := range []bool{false, true, false} {
		ctx := graphql.StartOperationTrace(context.Background())
		oc, gerrs := e.CreateOperationContext(ctx, &graphql.RawParams{Query: query, Variables: map[string]any{"more": more}})
		if gerrs != nil {
			t.Fatal(gerrs)
		}
		ec := newExecutionContext(oc, nil, nil)
		viewerSel := oc.Operation.SelectionSet[0].(*ast.Field).SelectionSet
		want := graphql.CollectFields(oc, viewerSel, viewerImplementors)
		var wg sync.WaitGroup
		got := make([][]graphql.CollectedField, 8)
		for i := range got { // concurrently, as list elements are
			wg.Add(1)
			go func() { defer wg.Done(); got[i] = ec.collectFields(viewerSel, viewerImplementors) }()
		}
		wg.Wait()
		for i := range got {
			if !reflect.DeepEqual(got[i], want) {
				t.Fatalf("more=%v: collected %v, want %v", more, names(got[i]), names(want))
			}
			if &got[i][0] != &got[0][0] {
				t.Errorf("more=%v: selection collected more than once", more)
			}
		}
		if n := len(want); more && n != 3 || !more && n != 2 {
			t.Errorf("more=%v: %d fields %v", more, n, names(want))
		}
	}
}

func names(fs []graphql.CollectedField) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Alias)
	}
	return out
}

// A list of rooms marshals inline unless the operation selects, below it,
// a field that waits on a batch (Club.creator and Club.members are
// resolvers; every Room field is plain), or may defer.
func TestSelectionBlocksFollowsTheOperation(t *testing.T) {
	e := executor.New(NewExecutableSchema(Config{Resolvers: &Resolver{}}))
	e.Use(collectCache{})
	for _, c := range []struct {
		query  string
		path   []string // from the first root field to the list
		elem   string
		blocks bool
	}{
		{`{ roomFeed(first: 5) { edges { cursor node { room { roomId name memberTotal creator { uid } club { clubId name } members { uid } } } } } }`,
			[]string{"edges"}, "_RoomEntryEdge", false},
		{`{ roomFeed { edges { node { room { club { name creator { uid } } } } } } }`, []string{"edges"}, "_RoomEntryEdge", true},
		{`{ roomFeed { edges { node { room { ...R } } } } } fragment R on Room { club { members { pageInfo { hasNextPage } } } }`, []string{"edges"}, "_RoomEntryEdge", true},
		{`{ roomFeed { edges { __typename node { __typename } } } }`, []string{"edges"}, "_RoomEntryEdge", false},
		{`{ roomFeed { edges { node { room { name } } ... @defer { cursor } } } }`, []string{"edges"}, "_RoomEntryEdge", true},
		{`{ nodes(ids: ["a"]) { id ... on Room { name club { name } } } }`, nil, "_Node", false},
		{`{ nodes(ids: ["a"]) { ... on Club { creator { uid } } } }`, nil, "_Node", true},
	} {
		oc, gerrs := e.CreateOperationContext(graphql.StartOperationTrace(context.Background()), &graphql.RawParams{Query: c.query})
		if gerrs != nil {
			t.Fatalf("%s: %v", c.query, gerrs)
		}
		ec := newExecutionContext(oc, nil, nil)
		sel := oc.Operation.SelectionSet[0].(*ast.Field).SelectionSet
		for _, name := range c.path {
			for _, s := range sel {
				if f, ok := s.(*ast.Field); ok && f.Name == name {
					sel = f.SelectionSet
				}
			}
		}
		if got := ec.selectionBlocks(sel, c.elem); got != c.blocks {
			t.Errorf("%s: blocks = %v, want %v", c.query, got, c.blocks)
		}
		if got := ec.selectionBlocks(sel, c.elem); got != c.blocks { // the kept answer
			t.Errorf("%s: again, blocks = %v", c.query, got)
		}
	}
}
