package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
)

// wants reports whether the current field's selection reaches the nested
// field path (by schema names, through aliases and fragments). List
// resolvers use it to queue nested lookups only when a client asked for them.
func wants(ctx context.Context, path ...string) bool {
	oc := graphql.GetOperationContext(ctx)
	fields := graphql.CollectFieldsCtx(ctx, nil)
	for _, name := range path {
		var next []graphql.CollectedField
		found := false
		for _, f := range fields {
			if f.Name == name {
				found = true
				next = append(next, graphql.CollectFields(oc, f.Selections, nil)...)
			}
		}
		if !found {
			return false
		}
		fields = next
	}
	return true
}
