package graph

import (
	"context"
	"strings"

	"chaoqer/graph/limits"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// marshalSliceInline is graphql.MarshalSliceConcurrently without the
// goroutines: it marshals the length elements in order on the calling
// goroutine, each under its own field context (its index in the path), and
// turns a panic in one element into an error and a null, as gqlgen does.
// graph/execrewrite makes the generated executor call it for lists whose
// elements can never wait on a resolver, where a goroutine per element buys
// nothing. workerLimit is unused (one worker). The elements' indexes, field
// contexts and contexts are allocated once for the list (elementContext)
// rather than three allocations per element.
func marshalSliceInline(ctx context.Context, length int, _ int64, omitPanicHandler bool,
	marshalElement func(ctx context.Context, i int) graphql.Marshaler,
) graphql.Array {
	ret := make(graphql.Array, length)
	if length == 0 {
		return ret
	}
	index := make([]int, length)
	fcs := make([]graphql.FieldContext, length)
	ctxs := make([]elementContext, length)
	parent := graphql.GetFieldContext(ctx)
	for i := range length {
		index[i] = i
		fcs[i] = graphql.FieldContext{Index: &index[i], Parent: parent}
		ctxs[i] = elementContext{Context: ctx, fc: &fcs[i]}
		childCtx := context.Context(&ctxs[i])
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

// elementContext is what graphql.WithFieldContext(ctx, fc) returns
// (context.WithValue under gqlgen's field context key), as a type a list
// can allocate for all its elements at once.
type elementContext struct {
	context.Context
	fc *graphql.FieldContext
}

func (c *elementContext) Value(key any) any {
	if key == fieldContextKey {
		return c.fc
	}
	return c.Context.Value(key)
}

// fieldContextKey is the key under which gqlgen keeps a context's field
// context (unexported in package graphql): the key graphql.GetFieldContext
// asks a context for.
var fieldContextKey = func() any {
	var spy keySpy
	graphql.GetFieldContext(&spy)
	return spy.key
}()

// keySpy is a context that records the key it is asked for.
type keySpy struct {
	context.Context
	key any
}

func (s *keySpy) Value(key any) any {
	s.key = key
	return nil
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

// execObjects is filled by the init function graph/execrewrite appends to
// the executor; until then (the executor as gqlgen writes it) every
// selection counts as one that may block.
var execObjects map[string]execObject

// execObject is what graph/execrewrite records of one object function of
// the executor (execObjects): the type's implementors (for
// graphql.CollectFields) and its fields, or, for an interface or union, the object functions it
// forwards to.
type execObject struct {
	implementors []string
	fields       map[string]execField
	forwards     []string
}

// execField is one field of an execObject: gqlgen resolves it on a
// goroutine of its own and it may wait on a batch (blocks), or its value
// is marshalled by the children object functions (none for a scalar).
type execField struct {
	blocks   bool
	children []string
}

// marshalSlice is graphql.MarshalSliceConcurrently for a list whose
// element type has fields that may block (wait on a dataloader batch,
// which needs the other elements to have queued their keys): graph/
// execrewrite makes such lists call it with their element's object
// function. When this operation's selection below the list reaches none
// of those fields, the elements marshal inline (marshalSliceInline), as
// lists that can never block always do, and a page of rooms starts no
// goroutine per room.
func (ec *executionContext) marshalSlice(ctx context.Context, sel ast.SelectionSet, elem string, length int,
	workerLimit int64, omitPanicHandler bool, marshalElement func(ctx context.Context, i int) graphql.Marshaler,
) graphql.Array {
	if length > 1 && !ec.selectionBlocks(sel, elem) {
		return marshalSliceInline(ctx, length, workerLimit, omitPanicHandler, marshalElement)
	}
	return graphql.MarshalSliceConcurrently(ctx, length, workerLimit, omitPanicHandler, marshalElement)
}

// selectionBlocks reports whether marshalling sel with the object function
// fn may reach a field that blocks: conservatively true for an operation
// that may defer and for anything execObjects does not describe. The
// answer is kept per operation (operationMemo) for each selection.
func (ec *executionContext) selectionBlocks(sel ast.SelectionSet, fn string) bool {
	if len(sel) == 0 {
		return false
	}
	if mayDefer(ec.RawQuery) {
		return true
	}
	c, _ := ec.Stats.GetExtension(operationMemoKey).(*operationMemo)
	k := blocksKey{&sel[0], len(sel), fn}
	if c != nil {
		c.mu.RLock()
		b, ok := c.blocks[k]
		c.mu.RUnlock()
		if ok {
			return b
		}
	}
	b := ec.reachesBlocking(sel, fn)
	if c != nil {
		c.mu.Lock()
		if c.blocks == nil {
			c.blocks = make(map[blocksKey]bool)
		}
		c.blocks[k] = b
		c.mu.Unlock()
	}
	return b
}

func (ec *executionContext) reachesBlocking(sel ast.SelectionSet, fn string) bool {
	o, ok := execObjects[fn]
	if !ok {
		return true
	}
	if o.implementors == nil {
		for _, g := range o.forwards {
			if ec.selectionBlocks(sel, g) {
				return true
			}
		}
		return len(o.forwards) == 0
	}
	for _, f := range graphql.CollectFields(ec.OperationContext, sel, o.implementors) {
		fi, ok := o.fields[f.Name]
		switch {
		case !ok:
			if f.Name != "__typename" {
				return true
			}
		case fi.blocks:
			return true
		default:
			for _, child := range fi.children {
				if ec.selectionBlocks(f.Selections, child) {
					return true
				}
			}
		}
	}
	return false
}
