package graph

import (
	"context"

	"chaoqer/graph/club"
	"chaoqer/graph/event"
	"chaoqer/graph/loader"
	"chaoqer/graph/model"
	"chaoqer/graph/page"
	"chaoqer/graph/room"
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
		if err := loader.From(ctx).Users.Prefetch(ctx, uids, userFieldsAt(ctx, "edges", "node", "user")); err != nil {
			return nil, err
		}
	}
	return userEntries(items, info), nil
}

// userEntries is the connection of a page whose users are loaded already.
func userEntries(items []*user.Entry, info page.Info) *model.UserEntryConnection {
	edges, pi := connection(items, info, (*user.Entry).Cursor, func(c string, n *user.Entry) *model.UserEntryEdge {
		return &model.UserEntryEdge{Cursor: c, Node: n}
	})
	return &model.UserEntryConnection{Edges: edges, PageInfo: pi}
}

// userAction answers a mutation on another user: the error of the action,
// or its message with the user as the caller now sees them.
func (r *mutationResolver) userAction(ctx context.Context, uid, msg string, err error) (*model.UserPayload, error) {
	if err != nil {
		return nil, err
	}
	p, err := loader.From(ctx).Users.Get(ctx, uid, userFieldsAt(ctx, "user"))
	if err != nil {
		return nil, err
	}
	return &model.UserPayload{Message: msg, User: p}, nil
}

// clubPayload answers a club mutation with the club as the caller now sees it.
func (r *mutationResolver) clubPayload(ctx context.Context, uid, clubID string) (*model.ClubPayload, error) {
	c, err := r.Clubs.Club(ctx, uid, clubID, clubFieldsAt(ctx, "club"))
	if err != nil {
		return nil, err
	}
	return &model.ClubPayload{Message: msgSuccess, Club: c}, nil
}

// eventPayload answers an event mutation.
func eventPayload(e *event.Event, err error) (*model.EventPayload, error) {
	if err != nil {
		return nil, err
	}
	return &model.EventPayload{Message: msgSuccess, Event: e}, nil
}

// presenceOf returns who is connected to r: loaded with the room, or else
// through the request's batch loader.
func presenceOf(ctx context.Context, r *room.Room) (*room.Presence, error) {
	if r.Presence != nil {
		return r.Presence, nil
	}
	p, err := loader.From(ctx).Presence.Load(ctx, r.ID)()
	if err != nil {
		return nil, err
	}
	if p == nil {
		p = &room.Presence{}
	}
	return p, nil
}

// loadUser loads the profile the current field resolves to, through the
// batch loader, with the computed fields its selection asks for.
func loadUser(ctx context.Context, uid string) (*user.Profile, error) {
	return loader.From(ctx).Users.Get(ctx, uid, userFieldsAt(ctx))
}

// loadClub is loadUser for clubs.
func loadClub(ctx context.Context, clubID string) (*club.Club, error) {
	return loader.From(ctx).Clubs.Get(ctx, clubID, clubFieldsAt(ctx))
}

// loadUsers loads the profiles the current field resolves to in order,
// through the batch loader and with the computed fields its selection asks
// for, leaving out users that cannot be shown.
func loadUsers(ctx context.Context, uids []string) ([]*user.Profile, error) {
	if len(uids) == 0 {
		return []*user.Profile{}, nil
	}
	ps, errs := loader.From(ctx).Users.GetMany(ctx, uids, userFieldsAt(ctx))
	out := make([]*user.Profile, 0, len(ps))
	for i, p := range ps {
		if len(errs) > i && errs[i] != nil {
			return nil, errs[i]
		}
		if p != nil {
			out = append(out, p)
		}
	}
	return out, nil
}
