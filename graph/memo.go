package graph

import (
	"context"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// operationMemoKey is the operation stats extension holding its operationMemo.
const operationMemoKey = "chaoqer.operationMemo"

// operationMemo keeps, for one operation, selectionBlocks' answer for each
// selection set and object function, and the fields collectFields
// collected for each selection set and implementors list: both depend only
// on the document and the operation's variables (@skip, @include), so
// every list with the same selection gets the same answer.
type operationMemo struct {
	mu     sync.RWMutex
	blocks map[blocksKey]bool
	fields map[collectKey][]graphql.CollectedField
}

// blocksKey names a selection set by its first element's address and
// length (selection sets are slices of the operation's document, which
// lives as long as the operation), marshalled by the object function fn.
type blocksKey struct {
	sel *ast.Selection
	n   int
	fn  string
}

// selectionMemo is the handler extension that gives every operation its
// operationMemo before any field runs (so the stats map is only read
// afterwards, by any number of goroutines).
type selectionMemo struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = selectionMemo{}

func (selectionMemo) ExtensionName() string                   { return "OperationMemo" }
func (selectionMemo) Validate(graphql.ExecutableSchema) error { return nil }

func (selectionMemo) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	oc.Stats.SetExtension(operationMemoKey, &operationMemo{})
	return nil
}
