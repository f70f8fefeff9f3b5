package graph

import (
	"context"
	"encoding/json"

	"github.com/99designs/gqlgen/graphql"

	"chaoqer/graph/club"
	"chaoqer/graph/event"
	"chaoqer/graph/loader"
	"chaoqer/graph/page"
	"chaoqer/graph/room"
	"chaoqer/graph/user"
	"chaoqer/graph/viewer"
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
	return prefetchRoomsWith(ctx, rooms, us, false, at...)
}

// prefetchRoomsWith is prefetchRoomsBut; clubsPrimed says the caller
// already put the rooms' clubs in the club loader with the fields selected
// at `at` (the room feed reads them in its own statement), so they are not
// fetched again.
func prefetchRoomsWith(ctx context.Context, rooms []*room.Room, us *users, clubsPrimed bool, at ...string) error {
	ctx = withSelections(ctx)
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
		fields := clubFieldsAt(ctx, clubs...)
		if !clubsPrimed {
			if err := l.Clubs.Prefetch(ctx, clubIDs, fields); err != nil {
				return err
			}
		}
		if err := prefetchClubMembers(ctx, clubIDs, us, nil, clubs...); err != nil {
			return err
		}
		// The clubs' creators (a resolver, Club.creator) go with the other
		// users rather than in a batch of their own.
		if creators := sub(clubs, "creator"); wants(ctx, creators...) {
			var uids []string
			for _, id := range clubIDs {
				c, err := l.Clubs.Get(ctx, id, fields) // a cache hit now
				if err != nil {
					return err
				}
				if c != nil {
					uids = append(uids, c.UID)
				}
			}
			us.add(ctx, uids, creators...)
		}
	}
	return nil
}

// feedWithAt is what the room feed statement reads along with the rooms
// at `at` (room.FeedWith): their presence whenever the rooms are selected
// (RoomEntry.room shows a room only when room.Visible, which reads it), and
// their clubs, with the fields selected, when `club` is selected below
// them. Nothing when the rooms are not selected.
func feedWithAt(ctx context.Context, at ...string) room.FeedWith {
	ctx = withSelections(ctx)
	if !wants(ctx, at...) {
		return room.FeedWith{}
	}
	with := room.FeedWith{Presence: true}
	if p := sub(at, "club"); wants(ctx, p...) {
		with.Clubs, with.ClubFields = true, clubFieldsAt(ctx, p...)
	}
	return with
}

// prefetchFeed is prefetchRooms for the rooms of a feed page read with
// feedWithAt: what came with the page costs no statement of its own. The
// clubs go in the club loader (a room whose club is gone as a missing
// club); the presences are on the rooms, and go in the presence loader
// too, so that another field of the operation showing one of these rooms
// (an event's room) reads them from there.
func prefetchFeed(ctx context.Context, items []*room.FeedItem, with room.FeedWith, at ...string) error {
	l := loader.From(ctx)
	rooms := make([]*room.Room, len(items))
	var clubIDs []string
	found := map[string]*club.Club{}
	for i, it := range items {
		rooms[i] = it.Room
		if it.Room.ClubID != nil {
			clubIDs = append(clubIDs, *it.Room.ClubID)
		}
		if it.Club != nil {
			found[it.Club.ID] = it.Club
		}
		if it.Room.Presence != nil {
			l.Presence.Prime(ctx, it.RoomID, it.Room.Presence)
		}
	}
	if with.Clubs {
		l.Clubs.Prime(clubIDs, found, with.ClubFields)
	}
	var us users
	if err := prefetchRoomsWith(ctx, rooms, &us, with.Clubs, at...); err != nil {
		return err
	}
	return us.load(ctx)
}

// prefetchEvents does for a page of events what prefetchRooms does for
// rooms: bookings, users (creators and hosts) and started rooms in one batch
// each, below the path `at`.
func prefetchEvents(ctx context.Context, events []*event.Event, at ...string) error {
	ctx = withSelections(ctx)
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

// roomFields is what the rooms at a path select of the fields that read
// what relate attaches (Room.creator, club and members), worked out once
// per list rather than once per room.
type roomFields struct {
	creator, club, members bool
	users                  user.Fields // the creator's and members' computed fields
	clubs                  club.Fields
}

// roomFieldsAt is the roomFields of the rooms at path (below the current
// field; the current field itself when path is empty).
func roomFieldsAt(ctx context.Context, at ...string) roomFields {
	ctx = withSelections(ctx)
	var f roomFields
	if p := sub(at, "creator"); wants(ctx, p...) {
		f.creator = true
		f.users |= userFieldsAt(ctx, p...)
	}
	if p := sub(at, "members"); wants(ctx, p...) {
		f.members = true
		f.users |= userFieldsAt(ctx, p...)
	}
	if p := sub(at, "club"); wants(ctx, p...) {
		f.club = true
		f.clubs = clubFieldsAt(ctx, p...)
	}
	return f
}

// shown is relate for a room in a list: nil while the viewer may not see
// it (room.Visible).
func (f roomFields) shown(ctx context.Context, r *room.Room) (*room.Room, error) {
	p, err := presenceOf(ctx, r)
	if err != nil || !room.Visible(viewer.UID(ctx), r, p) {
		return nil, err
	}
	return f.relate(ctx, r, p)
}

// relate returns a copy of r (nil for nil) carrying its presence and what
// its selected creator, club and members fields show, which gqlgen then
// marshals inline. Every resolver that returns a Room goes through it.
// After prefetchRooms at the same path the loads are cache hits; otherwise
// they are batched with the other rooms' loads. p is r's presence when
// known (nil: loaded here).
func (f roomFields) relate(ctx context.Context, r *room.Room, p *room.Presence) (*room.Room, error) {
	if r == nil {
		return nil, nil
	}
	if p == nil {
		var err error
		if p, err = presenceOf(ctx, r); err != nil {
			return nil, err
		}
	}
	cp := *r
	cp.Presence = p
	l := loader.From(ctx)
	if f.creator || f.members {
		// The creator and the members in one lookup, with the fields of both.
		uids := []string{r.UID}
		if f.members {
			uids = append(uids, room.MemberUIDs(viewer.UID(ctx), r, p)...)
		}
		ps, errs := l.Users.GetMany(ctx, uids, f.users)
		for _, err := range errs {
			if err != nil {
				return nil, err
			}
		}
		cp.Creator = ps[0]
		if f.members {
			cp.Members = make([]*user.Profile, 0, len(ps)-1)
			for _, m := range ps[1:] {
				if m != nil { // users that cannot be shown are left out
					cp.Members = append(cp.Members, m)
				}
			}
		}
	}
	if f.club && r.ClubID != nil {
		c, err := l.Clubs.Get(ctx, *r.ClubID, f.clubs)
		if err != nil {
			return nil, err
		}
		cp.Club = c
	}
	return &cp, nil
}

// prefetchClubMembers reads, in one statement per distinct page arguments,
// the member pages (Club.members) that the clubs at `at` (of the types in
// satisfies; all when nil) select, and queues their users in us, so that a
// list of clubs showing their members costs the same statements whatever
// its length. Arguments that page.NewArgs refuses are left to the
// resolver, which reports them.
func prefetchClubMembers(ctx context.Context, clubIDs []string, us *users, satisfies []string, at ...string) error {
	if len(clubIDs) == 0 || viewer.UID(ctx) == "" { // members need a login (@login)
		return nil
	}
	fields, ok := selectionAt(ctx, satisfies, at...)
	if !ok {
		return nil
	}
	vars := graphql.GetOperationContext(ctx).Variables
	l := loader.From(ctx)
	done := map[page.Args]bool{}
	usersAt := append(sub(at, "members"), "edges", "node", "user")
	wantUsers := wants(ctx, usersAt...)
	for _, f := range fields {
		if f.Name != "members" {
			continue
		}
		args, ok := memberArgs(ctx, f.ArgumentMap(vars))
		if !ok || done[args] {
			continue
		}
		done[args] = true
		pages, err := l.ClubMembers.Prefetch(ctx, clubIDs, args)
		if err != nil {
			return err
		}
		if wantUsers {
			var uids []string
			for _, p := range pages {
				for _, it := range p.Items {
					uids = append(uids, it.UID)
				}
			}
			us.add(ctx, uids, usersAt...)
		}
	}
	return nil
}

// memberArgs are the page arguments of a Club.members field as its
// resolver reads them (first and after, defaults applied).
func memberArgs(ctx context.Context, m map[string]any) (page.Args, bool) {
	var first *int
	switch v := m["first"].(type) {
	case nil:
	case int:
		first = &v
	case int64:
		n := int(v)
		if int64(n) != v {
			return page.Args{}, false
		}
		first = &n
	case json.Number:
		i, err := v.Int64()
		n := int(i)
		if err != nil || int64(n) != i {
			return page.Args{}, false
		}
		first = &n
	default:
		return page.Args{}, false
	}
	var after *string
	switch v := m["after"].(type) {
	case nil:
	case string:
		after = &v
	default:
		return page.Args{}, false
	}
	args, err := page.NewArgs(ctx, first, after, page.SeqTie)
	return args, err == nil
}
