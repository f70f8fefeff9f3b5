package graph

import (
	"context"
	"strings"

	"chaoqer/graph/limits"

	"github.com/99designs/gqlgen/graphql"
)

// marshalSliceInline is graphql.MarshalSliceConcurrently without the
// goroutines: it marshals the length elements in order on the calling
// goroutine, each under its own field context (its index in the path), and
// turns a panic in one element into an error and a null, as gqlgen does.
// graph/execrewrite makes the generated executor call it for lists whose
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

// deferredGroup is graphql.NewDeferredGroup for the object being marshalled
// at ctx, which graph/execrewrite makes every generated object call. gqlgen's
// group computes the object's response path and allocates a field set and a
// map, all used only for fields under a @defer; when the operation's text
// cannot contain one (no "defer" anywhere in it: the directive's name is a
// token of its own, so it cannot hide in another), the empty group does the
// same, since only deferred fields write to it.
func (ec *executionContext) deferredGroup(ctx context.Context) graphql.DeferredGroup {
	if ec.OperationContext == nil || mayDefer(ec.RawQuery) {
		return graphql.NewDeferredGroup(ctx)
	}
	return graphql.DeferredGroup{Context: ctx}
}

// mayDefer reports whether the GraphQL document query may use the @defer
// directive: conservatively, whether it has an '@' and the word anywhere.
// Most operations use no directive at all, and a byte is found faster than
// a word (this runs once per object of the response).
func mayDefer(query string) bool {
	return strings.IndexByte(query, '@') >= 0 && strings.Contains(query, "defer")
}

// plainFields reports whether the fields of this operation that only read
// a struct field of their object and marshal a scalar may do so directly,
// without gqlgen's field context and resolver call (graph/execrewrite):
// when no field middleware would run for them (limits.Unintercepted). A
// field context matters only to a middleware and to errors, and these
// fields raise none.
func (ec *executionContext) plainFields() bool {
	return limits.Unintercepted(ec.OperationContext)
}
