package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"chaoqer/graph/event"
	"chaoqer/graph/loader"
	"chaoqer/graph/room"
)

// selects reports whether the field being resolved selects the given path of
// sub-fields (by field name, through aliases and fragments), e.g.
// selects(ctx, "edges", "node", "room").
func selects(ctx context.Context, path ...string) bool {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return false
	}
	return selectsIn(graphql.GetOperationContext(ctx), fc.Field.Selections, path)
}

func selectsIn(op *graphql.OperationContext, set ast.SelectionSet, path []string) bool {
	if len(path) == 0 {
		return true
	}
	for _, f := range graphql.CollectFields(op, set, nil) {
		if f.Name == path[0] && selectsIn(op, f.Selections, path[1:]) {
			return true
		}
	}
	return false
}

// sub is the path at followed by name (a fresh slice).
func sub(at []string, name string) []string {
	return append(append(make([]string, 0, len(at)+1), at...), name)
}

// prefetchRooms loads, in one batch each, what the selected fields of the
// rooms at `at` (a path below the field being resolved) will need: who is
// connected, the users shown (members and creators) and the clubs. The
// nested resolvers then find everything in the loaders' caches, so a page
// costs the same number of statements whatever its size.
func prefetchRooms(ctx context.Context, rooms []*room.Room, at ...string) error {
	if len(rooms) == 0 || !selects(ctx, at...) {
		return nil
	}
	l := loader.From(ctx)
	ids := make([]string, len(rooms))
	for i, r := range rooms {
		ids[i] = r.ID
	}
	pres, err := l.PrefetchPresence(ctx, ids)
	if err != nil {
		return err
	}
	wantMembers := selects(ctx, sub(at, "members")...)
	if wantMembers || selects(ctx, sub(at, "creator")...) {
		var uids []string
		for _, r := range rooms {
			uids = append(uids, r.UID)
			if wantMembers && pres[r.ID] != nil {
				uids = append(uids, pres[r.ID].UIDs...)
			}
		}
		if err := l.PrefetchUsers(ctx, uids); err != nil {
			return err
		}
	}
	if selects(ctx, sub(at, "club")...) {
		var clubIDs []string
		for _, r := range rooms {
			if r.ClubID != nil {
				clubIDs = append(clubIDs, *r.ClubID)
			}
		}
		if err := l.PrefetchClubs(ctx, clubIDs); err != nil {
			return err
		}
	}
	return nil
}

// prefetchEvents does for a page of events what prefetchRooms does for
// rooms: bookings, users (creators and hosts) and started rooms in one batch
// each, below the path `at`.
func prefetchEvents(ctx context.Context, events []*event.Event, at ...string) error {
	if len(events) == 0 || !selects(ctx, at...) {
		return nil
	}
	l := loader.From(ctx)
	if selects(ctx, sub(at, "viewerHasBooked")...) {
		ids := make([]string, len(events))
		for i, e := range events {
			ids[i] = e.ID
		}
		if err := l.PrefetchBooked(ctx, ids); err != nil {
			return err
		}
	}
	wantHosts := selects(ctx, sub(at, "hosts")...)
	if wantHosts || selects(ctx, sub(at, "creator")...) {
		var uids []string
		for _, e := range events {
			uids = append(uids, e.UID)
			if wantHosts {
				uids = append(uids, e.MemberUIDs...)
			}
		}
		if err := l.PrefetchUsers(ctx, uids); err != nil {
			return err
		}
	}
	if !selects(ctx, sub(at, "room")...) {
		return nil
	}
	var roomIDs []string
	for _, e := range events {
		if e.RoomID != nil {
			roomIDs = append(roomIDs, *e.RoomID)
		}
	}
	if len(roomIDs) == 0 {
		return nil
	}
	if err := l.PrefetchRooms(ctx, roomIDs); err != nil {
		return err
	}
	rooms := make([]*room.Room, 0, len(roomIDs))
	for _, id := range roomIDs {
		r, err := l.Rooms.Load(ctx, id)()
		if err != nil {
			return err
		}
		if r != nil && !r.Closed {
			rooms = append(rooms, r)
		}
	}
	return prefetchRooms(ctx, rooms, sub(at, "room")...)
}
