package graph

import (
	"context"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// collectedFieldsKey is the operation stats extension holding its
// collectedFields.
const collectedFieldsKey = "chaoqer.collectedFields"

// collectedFields keeps, for one operation, what graphql.CollectFields
// returned for each selection set and type list: the result depends only
// on the document and the operation's variables (@skip, @include), so
// every object of a list with the same selection gets the same fields.
// gqlgen only reads the result.
type collectedFields struct {
	mu     sync.RWMutex
	m      map[collectKey][]graphql.CollectedField
	blocks map[blocksKey]bool // selectionBlocks' answers
}

// blocksKey names a selection set as collectKey does, marshalled by the
// object function fn.
type blocksKey struct {
	sel *ast.Selection
	n   int
	fn  string
}

// collectKey names a selection set by its first element's address and
// length (selection sets are slices of the operation's document, which
// lives as long as the operation) and a type list by its first element's
// address (the executor's package-level implementors lists).
type collectKey struct {
	sel       *ast.Selection
	n         int
	satisfies *string
}

// collectCache is the handler extension that gives every operation its
// collectedFields, before any field runs (so the stats map is only read
// afterwards, by any number of goroutines).
type collectCache struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = collectCache{}

func (collectCache) ExtensionName() string                   { return "CollectedFieldsCache" }
func (collectCache) Validate(graphql.ExecutableSchema) error { return nil }

func (collectCache) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	oc.Stats.SetExtension(collectedFieldsKey, &collectedFields{})
	return nil
}

// collectFields is graphql.CollectFields(ec.OperationContext, sel,
// satisfies), computed once per operation for each selection set and type
// list (graph/execrewrite makes every generated object call it). Without
// the collectCache extension it collects every time.
func (ec *executionContext) collectFields(sel ast.SelectionSet, satisfies []string) []graphql.CollectedField {
	c, _ := ec.Stats.GetExtension(collectedFieldsKey).(*collectedFields)
	if c == nil || len(sel) == 0 || len(satisfies) == 0 {
		return graphql.CollectFields(ec.OperationContext, sel, satisfies)
	}
	k := collectKey{&sel[0], len(sel), &satisfies[0]}
	c.mu.RLock()
	fields, ok := c.m[k]
	c.mu.RUnlock()
	if ok {
		return fields
	}
	fields = graphql.CollectFields(ec.OperationContext, sel, satisfies)
	c.mu.Lock()
	if c.m == nil {
		c.m = make(map[collectKey][]graphql.CollectedField)
	}
	c.m[k] = fields
	c.mu.Unlock()
	return fields
}
