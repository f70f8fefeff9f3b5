package graph

import (
	"context"

	"chaoqer/graph/event"
	"chaoqer/graph/loader"
	"chaoqer/graph/room"
)

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
	uids, err := prefetchRoomsBut(ctx, rooms, at...)
	if err != nil {
		return err
	}
	return loader.From(ctx).Users.Prefetch(ctx, uids)
}

// prefetchRoomsBut is prefetchRooms without the users, whose uids it
// returns so that the caller can load them together with others.
func prefetchRoomsBut(ctx context.Context, rooms []*room.Room, at ...string) ([]string, error) {
	if len(rooms) == 0 || !wants(ctx, at...) {
		return nil, nil
	}
	l := loader.From(ctx)
	var ids []string // rooms loaded without their presence
	for _, r := range rooms {
		if r.Presence == nil {
			ids = append(ids, r.ID)
		}
	}
	if err := l.Presence.Prefetch(ctx, ids); err != nil {
		return nil, err
	}
	var uids []string
	wantMembers := wants(ctx, sub(at, "members")...)
	if wantMembers || wants(ctx, sub(at, "creator")...) {
		for _, r := range rooms {
			uids = append(uids, r.UID)                               // also the member list of an empty room
			if p, _ := presenceOf(ctx, r); wantMembers && p != nil { // a cache hit
				uids = append(uids, p.UIDs...)
			}
		}
	}
	if wants(ctx, sub(at, "club")...) {
		var clubIDs []string
		for _, r := range rooms {
			if r.ClubID != nil {
				clubIDs = append(clubIDs, *r.ClubID)
			}
		}
		if err := l.Clubs.Prefetch(ctx, clubIDs); err != nil {
			return nil, err
		}
	}
	return uids, nil
}

// prefetchEvents does for a page of events what prefetchRooms does for
// rooms: bookings, users (creators and hosts) and started rooms in one batch
// each, below the path `at`.
func prefetchEvents(ctx context.Context, events []*event.Event, at ...string) error {
	if len(events) == 0 || !wants(ctx, at...) {
		return nil
	}
	l := loader.From(ctx)
	if wants(ctx, sub(at, "viewerHasBooked")...) {
		ids := make([]string, len(events))
		for i, e := range events {
			ids[i] = e.ID
		}
		if err := l.Booked.Prefetch(ctx, ids); err != nil {
			return err
		}
	}
	var uids []string
	wantHosts := wants(ctx, sub(at, "hosts")...)
	if wantHosts || wants(ctx, sub(at, "creator")...) {
		for _, e := range events {
			uids = append(uids, e.UID)
			if wantHosts {
				uids = append(uids, e.MemberUIDs...)
			}
		}
	}
	var roomIDs []string
	if wants(ctx, sub(at, "room")...) {
		for _, e := range events {
			if e.RoomID != nil {
				roomIDs = append(roomIDs, *e.RoomID)
			}
		}
	}
	if len(roomIDs) > 0 {
		if err := l.Rooms.Prefetch(ctx, roomIDs); err != nil {
			return err
		}
		rooms := make([]*room.Room, 0, len(roomIDs))
		for _, id := range roomIDs {
			r, err := l.Rooms.Get(ctx, id) // a cache hit now
			if err != nil {
				return err
			}
			if r != nil && !r.Closed {
				rooms = append(rooms, r)
			}
		}
		more, err := prefetchRoomsBut(ctx, rooms, sub(at, "room")...)
		if err != nil {
			return err
		}
		uids = append(uids, more...)
	}
	return l.Users.Prefetch(ctx, uids)
}
