package graph

import (
	"context"

	"chaoqer/graph/loader"
	"chaoqer/graph/model"
	"chaoqer/graph/page"
	"chaoqer/graph/user"
)

// msgSuccess is the legacy default success message.
const msgSuccess = "Success"

// deref returns *s, or "" for nil.
func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// connection builds a Relay connection from a page of items.
func connection[T any, E any](items []T, info page.Info, cursor func(T) string, edge func(cursor string, node T) E) ([]E, *page.Info) {
	edges := make([]E, len(items))
	for i, it := range items {
		edges[i] = edge(cursor(it), it)
	}
	return edges, &info
}

func userEntryConnection(ctx context.Context, items []*user.Entry, info page.Info) (*model.UserEntryConnection, error) {
	if wants(ctx, "edges", "node", "user") {
		uids := make([]string, len(items))
		for i, it := range items {
			uids[i] = it.UID
		}
		if err := loader.From(ctx).Users.Prefetch(ctx, uids); err != nil {
			return nil, err
		}
	}
	edges, pi := connection(items, info, (*user.Entry).Cursor, func(c string, n *user.Entry) *model.UserEntryEdge {
		return &model.UserEntryEdge{Cursor: c, Node: n}
	})
	return &model.UserEntryConnection{Edges: edges, PageInfo: pi}, nil
}

// userAction answers a mutation on another user: the error of the action,
// or its message with the user as the caller now sees them.
func (r *mutationResolver) userAction(ctx context.Context, uid, msg string, err error) (*model.UserPayload, error) {
	if err != nil {
		return nil, err
	}
	p, err := loader.From(ctx).Users.Get(ctx, uid)
	if err != nil {
		return nil, err
	}
	return &model.UserPayload{Message: msg, User: p}, nil
}
