package graph

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"

	"chaoqer/graph/errs"
	"chaoqer/graph/limits"
)

// TestSubscriptionsOnlyOverWebsocket: the in-process executor (the REST
// layer's) refuses a subscription before any resolver runs (the resolver
// here has no services, so running it would fail differently); the same
// operation from a WebSocket connection passes.
func TestSubscriptionsOnlyOverWebsocket(t *testing.T) {
	exec := NewExecutor(NewSchema(&Resolver{}), slog.New(slog.NewTextHandler(io.Discard, nil)), limits.Defaults())
	params := func() *graphql.RawParams {
		return &graphql.RawParams{Query: `subscription { roomEvents(roomId: "0123456789abcdef0123456789abcdef") { event } }`}
	}
	_, list := exec.CreateOperationContext(graphql.StartOperationTrace(context.Background()), params())
	if len(list) != 1 || list[0].Extensions["code"] != errs.ExtWebsocketRequired {
		t.Fatalf("subscription outside a websocket: %v", list)
	}
	_, list = exec.CreateOperationContext(graphql.StartOperationTrace(context.Background()), &graphql.RawParams{Query: `{ __typename }`})
	if len(list) != 0 {
		t.Fatalf("a query is refused: %v", list)
	}
	init := markWebsocket(func(ctx context.Context, _ transport.InitPayload) (context.Context, *transport.InitPayload, error) {
		return ctx, nil, nil
	})
	ctx, _, _ := init(graphql.StartOperationTrace(context.Background()), nil)
	if _, list = exec.CreateOperationContext(ctx, params()); len(list) != 0 {
		t.Fatalf("subscription over a websocket refused: %v", list)
	}
}
