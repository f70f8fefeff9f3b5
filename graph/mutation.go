package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"chaoqer/graph/loader"
)

// ReadAfterWrite is a field middleware that makes every mutation's payload
// show the state after its write: the request's loader caches are emptied
// before and after each root Mutation field. Without it, an object loaded
// by an earlier field of the same document (another mutation's payload, a
// nested creator, ...) would be served from the cache as it was before the
// write. Root mutation fields run one after another, so nothing else reads
// the caches meanwhile; queries keep their caches for the whole request.
func ReadAfterWrite(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Object != "Mutation" {
		return next(ctx)
	}
	l := loader.From(ctx)
	if l == nil {
		return next(ctx)
	}
	l.Clear() // what earlier fields loaded predates this write
	res, err := next(ctx)
	l.Clear() // the resolver may have loaded objects before writing
	return res, err
}
