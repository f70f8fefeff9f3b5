package graph

import (
	"context"

	"chaoqer/graph/event"
	"chaoqer/graph/loader"
	"chaoqer/graph/room"
	"chaoqer/graph/user"
)

// sub is the path at followed by name (a fresh slice).
func sub(at []string, name string) []string {
	return append(append(make([]string, 0, len(at)+1), at...), name)
}

// users are profiles a list resolver will need, to load together in one
// statement: their uids and the union of the computed fields their
// selections ask for.
type users struct {
	uids   []string
	fields user.Fields
}

// add queues uids with the computed fields the selection at path asks for.
func (u *users) add(ctx context.Context, uids []string, path ...string) {
	if len(uids) == 0 {
		return
	}
	u.uids = append(u.uids, uids...)
	u.fields |= userFieldsAt(ctx, path...)
}

// load prefetches the queued users.
func (u *users) load(ctx context.Context) error {
	return loader.From(ctx).Users.Prefetch(ctx, u.uids, u.fields)
}

// prefetchRooms loads, in one batch each, what the selected fields of the
// rooms at `at` (a path below the field being resolved) will need: who is
// connected, the users shown (members and creators) and the clubs, with
// the computed fields (counts, the viewer's relations) their selections
// ask for and no others. The nested resolvers then find everything in the
// loaders' caches, so a page costs the same number of statements whatever
// its size.
func prefetchRooms(ctx context.Context, rooms []*room.Room, at ...string) error {
	var us users
	if err := prefetchRoomsBut(ctx, rooms, &us, at...); err != nil {
		return err
	}
	return us.load(ctx)
}

// prefetchRoomsBut is prefetchRooms without the users, which it adds to us
// so that the caller can load them together with others.
func prefetchRoomsBut(ctx context.Context, rooms []*room.Room, us *users, at ...string) error {
	if len(rooms) == 0 || !wants(ctx, at...) {
		return nil
	}
	l := loader.From(ctx)
	var ids []string // rooms loaded without their presence
	for _, r := range rooms {
		if r.Presence == nil {
			ids = append(ids, r.ID)
		}
	}
	if err := l.Presence.Prefetch(ctx, ids); err != nil {
		return err
	}
	members, creators := sub(at, "members"), sub(at, "creator")
	if wantMembers := wants(ctx, members...); wantMembers {
		var uids []string
		for _, r := range rooms {
			uids = append(uids, r.UID)                // the member list of an empty room
			if p, _ := presenceOf(ctx, r); p != nil { // a cache hit
				uids = append(uids, p.UIDs...)
			}
		}
		us.add(ctx, uids, members...)
	}
	if wants(ctx, creators...) {
		uids := make([]string, len(rooms))
		for i, r := range rooms {
			uids[i] = r.UID
		}
		us.add(ctx, uids, creators...)
	}
	if clubs := sub(at, "club"); wants(ctx, clubs...) {
		var clubIDs []string
		for _, r := range rooms {
			if r.ClubID != nil {
				clubIDs = append(clubIDs, *r.ClubID)
			}
		}
		if err := l.Clubs.Prefetch(ctx, clubIDs, clubFieldsAt(ctx, clubs...)); err != nil {
			return err
		}
	}
	return nil
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
	var us users
	if hosts := sub(at, "hosts"); wants(ctx, hosts...) {
		var uids []string
		for _, e := range events {
			uids = append(uids, e.MemberUIDs...)
		}
		us.add(ctx, uids, hosts...)
	}
	if creators := sub(at, "creator"); wants(ctx, creators...) {
		uids := make([]string, len(events))
		for i, e := range events {
			uids[i] = e.UID
		}
		us.add(ctx, uids, creators...)
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
		if err := prefetchRoomsBut(ctx, rooms, &us, sub(at, "room")...); err != nil {
			return err
		}
	}
	return us.load(ctx)
}
