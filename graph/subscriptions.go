package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"chaoqer/graph/errs"
)

// msgWebsocketRequired is the message of a refused subscription.
const msgWebsocketRequired = "subscriptions are served only over a WebSocket (graphql-transport-ws or graphql-ws at /graphql)"

func init() {
	// A request-level refusal, like a document that fails validation: the
	// HTTP transports answer 422 (application/json) or 400
	// (application/graphql-response+json).
	errcode.RegisterErrorType(errs.ExtWebsocketRequired, errcode.KindProtocol)
}

// overWebsocketKey marks the context of an operation received by the
// WebSocket transport (set from its connection_init, so a request header
// cannot fake it).
type overWebsocketKey struct{}

// markWebsocket wraps the WebSocket transport's init function so that the
// operations of its connections carry overWebsocketKey.
func markWebsocket(init transport.WebsocketInitFunc) transport.WebsocketInitFunc {
	return func(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
		ctx, ack, err := init(ctx, p)
		return context.WithValue(ctx, overWebsocketKey{}, true), ack, err
	}
}

// subscriptionsOverWebsocket refuses a subscription that did not arrive
// over the WebSocket transport, before it executes: over GET or POST,
// gqlgen would run the subscription's resolver (joining a live room),
// answer its first event and end it (leaving, and closing the room when
// the caller was its only host).
type subscriptionsOverWebsocket struct{}

var (
	_ graphql.HandlerExtension        = subscriptionsOverWebsocket{}
	_ graphql.OperationContextMutator = subscriptionsOverWebsocket{}
)

func (subscriptionsOverWebsocket) ExtensionName() string { return "SubscriptionsOverWebsocket" }

func (subscriptionsOverWebsocket) Validate(graphql.ExecutableSchema) error { return nil }

func (subscriptionsOverWebsocket) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil || oc.Operation.Operation != ast.Subscription {
		return nil
	}
	if ws, _ := ctx.Value(overWebsocketKey{}).(bool); ws {
		return nil
	}
	return &gqlerror.Error{Message: msgWebsocketRequired, Extensions: map[string]any{"code": errs.ExtWebsocketRequired}}
}
