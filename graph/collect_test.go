package graph

import (
	"context"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// collectFields answers what graphql.CollectFields answers for every
// selection set of an operation (fragments, @skip/@include on variables,
// interfaces), from its memo on a second call; two operations of the same
// document with other variables each get their own answer; without a memo
// (an operation the selection memo extension did not see) it asks gqlgen.
func TestCollectFieldsIsGqlgens(t *testing.T) {
	for _, vars := range []map[string]any{
		{"withClub": true, "skipMembers": false},
		{"withClub": false, "skipMembers": true},
	} {
		ctx := opField(t, feedSelection, vars, "roomFeed")
		oc := graphql.GetOperationContext(ctx)
		if err := (selectionMemo{}).MutateOperationContext(context.Background(), oc); err != nil {
			t.Fatal(err)
		}
		ec := newExecutionContext(oc, nil, nil)
		memo := oc.Stats.GetExtension(operationMemoKey).(*operationMemo)
		checked := 0
		var walk func(sel ast.SelectionSet, depth int)
		walk = func(sel ast.SelectionSet, depth int) {
			if len(sel) == 0 || depth > 8 {
				return
			}
			for _, impl := range [][]string{queryImplementors, roomEntryConnectionImplementors, roomEntryEdgeImplementors,
				roomEntryImplementors, roomImplementors, clubImplementors, userImplementors} {
				want := graphql.CollectFields(oc, sel, impl)
				for range 2 { // computed, then from the memo
					if got := ec.collectFields(sel, impl); !sameFields(got, want) {
						t.Fatalf("vars %v: collectFields %v, want %v", vars, got, want)
					}
				}
				checked++
				for _, f := range want {
					walk(f.Selections, depth+1)
				}
			}
		}
		walk(oc.Operation.SelectionSet, 0)
		if checked < 20 || len(memo.fields) == 0 {
			t.Fatalf("vars %v: %d selections checked, %d kept", vars, checked, len(memo.fields))
		}
	}
	// No memo: gqlgen's own.
	ctx := opField(t, feedSelection, map[string]any{"withClub": true, "skipMembers": false}, "roomFeed")
	oc := graphql.GetOperationContext(ctx)
	ec := newExecutionContext(oc, nil, nil)
	sel := oc.Operation.SelectionSet
	if got, want := ec.collectFields(sel, queryImplementors), graphql.CollectFields(oc, sel, queryImplementors); !sameFields(got, want) {
		t.Fatalf("without a memo: %v, want %v", got, want)
	}
}
