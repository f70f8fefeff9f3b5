package graph

import (
	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// collectKey names a selection set and an implementors list by their first
// elements' addresses and lengths: selection sets are slices of the
// operation's document, which lives as long as the operation, and the
// implementors are package variables of the executor.
type collectKey struct {
	sel          *ast.Selection
	n            int
	implementors *string
	m            int
}

// collectFields is graphql.CollectFields(ec.OperationContext, sel,
// implementors) for the object functions (graph/execrewrite makes them
// call it): the same fields, kept for the operation (in its selection
// memo, operationMemo) under a key that costs no allocation. gqlgen keeps them
// too, but builds its key on every call with a heap-allocated FNV hash of
// the implementors' names and the selection's address taken through
// reflect, for every object of the response.
func (ec *executionContext) collectFields(sel ast.SelectionSet, implementors []string) []graphql.CollectedField {
	c, _ := ec.Stats.GetExtension(operationMemoKey).(*operationMemo)
	if c == nil || len(sel) == 0 || len(implementors) == 0 {
		return graphql.CollectFields(ec.OperationContext, sel, implementors)
	}
	k := collectKey{&sel[0], len(sel), &implementors[0], len(implementors)}
	c.mu.RLock()
	fields, ok := c.fields[k]
	c.mu.RUnlock()
	if ok {
		return fields
	}
	fields = graphql.CollectFields(ec.OperationContext, sel, implementors)
	c.mu.Lock()
	if c.fields == nil {
		c.fields = make(map[collectKey][]graphql.CollectedField)
	}
	c.fields[k] = fields
	c.mu.Unlock()
	return fields
}
