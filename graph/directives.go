package graph

import (
	"context"
	"encoding/json"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"chaoqer/graph/errs"
	"chaoqer/graph/ids"
	"chaoqer/graph/kvstore"
	"chaoqer/graph/viewer"
)

// DuplicateWindow is how long an identical guarded call is refused.
const DuplicateWindow = 500 * time.Millisecond

// NewDirectives implements the schema's directives.
func NewDirectives(kv *kvstore.Store) DirectiveRoot {
	return DirectiveRoot{Login: login, Guard: guard(kv)}
}

// login lets only logged-in callers through; unless allowIncomplete, their
// profile must be initialised too.
func login(ctx context.Context, _ any, next graphql.Resolver, allowIncomplete bool) (any, error) {
	v := viewer.From(ctx)
	if v == nil {
		return nil, errs.Unauthenticated
	}
	if !allowIncomplete && !v.Initialized() {
		return nil, errs.ProfileIncomplete
	}
	return next(ctx)
}

// guard refuses a call identical to one the same caller made within
// DuplicateWindow. The lock lives in the database, so it holds across
// server instances.
func guard(kv *kvstore.Store) func(context.Context, any, graphql.Resolver) (any, error) {
	return func(ctx context.Context, _ any, next graphql.Resolver) (any, error) {
		fc := graphql.GetFieldContext(ctx)
		args, err := json.Marshal(fc.Args) // map keys are sorted: a canonical form
		if err != nil {
			return nil, err
		}
		key := "dup:" + ids.MD5(viewer.UID(ctx)+"|"+fc.Field.Name+"|"+string(args))
		took, err := kv.Acquire(ctx, key, DuplicateWindow)
		if err != nil {
			return nil, err
		}
		if !took {
			return nil, errs.Duplicate
		}
		return next(ctx)
	}
}
