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
