package graph

import (
	"context"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/vektah/gqlparser/v2/ast"
)

// A list of rooms marshals inline unless the operation selects, below it,
// a field that waits on a batch (Club.creator and Club.members are
// resolvers; every Room field is plain), or may defer.
func TestSelectionBlocksFollowsTheOperation(t *testing.T) {
	e := executor.New(NewExecutableSchema(Config{Resolvers: &Resolver{}}))
	e.Use(selectionMemo{})
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
