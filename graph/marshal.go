package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
)

// marshalSliceInline is graphql.MarshalSliceConcurrently without the
// goroutines: it marshals the length elements in order on the calling
// goroutine, each under its own field context (its index in the path), and
// turns a panic in one element into an error and a null, as gqlgen does.
// graph/inlinelists makes the generated executor call it for lists whose
// elements can never wait on a resolver, where a goroutine per element buys
// nothing. workerLimit is unused (one worker).
func marshalSliceInline(ctx context.Context, length int, _ int64, omitPanicHandler bool,
	marshalElement func(ctx context.Context, i int) graphql.Marshaler,
) graphql.Array {
	ret := make(graphql.Array, length)
	for i := range length {
		childCtx := graphql.WithFieldContext(ctx, &graphql.FieldContext{Index: &i})
		if omitPanicHandler {
			ret[i] = marshalElement(childCtx, i)
			continue
		}
		func() {
			defer func() {
				if r := recover(); r != nil {
					graphql.AddError(childCtx, graphql.Recover(childCtx, r))
					ret[i] = graphql.Null
				}
			}()
			ret[i] = marshalElement(childCtx, i)
		}()
	}
	return ret
}
