package graph

import (
	"context"
	"fmt"
	"strconv"

	"chaoqer/graph/errs"
	"chaoqer/graph/event"
	"chaoqer/graph/loader"
	"chaoqer/graph/message"
	"chaoqer/graph/page"
	"chaoqer/graph/relay"
	"chaoqer/graph/room"
	"chaoqer/graph/viewer"
)

// maxNodes is the most ids one nodes(ids:) call takes.
const maxNodes = page.MaxSize

// nodeRef is a parsed global id.
type nodeRef struct {
	t   relay.Type
	key string
}

// nodes resolves global ids with the rules of the typed queries: a user as
// user(uid:), a club as club(clubId:), a room as room(roomId:) (so a private
// room is null for strangers), an event as event(eventId:), a message only
// for its owner. Unknown, malformed and hidden ids are nil. Each type costs
// one batch (rooms up to three statements), and the nested users, clubs,
// presence and bookings the selection asks for are prefetched, so N ids cost
// a constant number of statements.
func (r *Resolver) nodes(ctx context.Context, globalIDs []string) ([]relay.Node, error) {
	if len(globalIDs) > maxNodes {
		return nil, errs.BadArgument("ids", fmt.Sprintf("ids: at most %d ids", maxNodes))
	}
	ctx = withSelections(ctx)
	viewerUID := viewer.UID(ctx)
	l := loader.From(ctx)
	refs := make([]nodeRef, len(globalIDs))
	keys := map[relay.Type][]string{}
	for i, id := range globalIDs {
		t, key, ok := relay.Parse(id)
		if !ok {
			continue
		}
		refs[i] = nodeRef{t, key}
		keys[t] = append(keys[t], key)
	}

	rooms, err := r.Rooms.GetAll(ctx, viewerUID, keys[relay.Room])
	if err != nil {
		return nil, err
	}
	roomList := make([]*room.Room, 0, len(rooms))
	for _, rm := range rooms {
		roomList = append(roomList, rm)
	}
	var us users
	if err := prefetchRoomsBut(ctx, roomList, &us); err != nil {
		return nil, err
	}

	var messageIDs []int64
	for _, k := range keys[relay.Message] {
		if id, err := strconv.ParseInt(k, 10, 64); err == nil {
			messageIDs = append(messageIDs, id)
		}
	}
	messages, err := r.Messages.Messages(ctx, viewerUID, messageIDs)
	if err != nil {
		return nil, err
	}
	if wants(ctx, "origin") {
		var origins []string
		for _, m := range messages {
			if m.OriginUID != nil {
				origins = append(origins, *m.OriginUID)
			}
		}
		us.add(ctx, origins, "origin")
	}

	if err := l.Clubs.Prefetch(ctx, keys[relay.Club], clubFieldsAt(ctx)); err != nil {
		return nil, err
	}
	if err := prefetchClubMembers(ctx, keys[relay.Club], &us, clubTypes); err != nil {
		return nil, err
	}
	us.add(ctx, keys[relay.User])
	if err := us.load(ctx); err != nil {
		return nil, err
	}
	if err := l.Events.Prefetch(ctx, keys[relay.Event]); err != nil {
		return nil, err
	}
	var events []*event.Event
	for _, k := range keys[relay.Event] {
		if e, _ := l.Events.Get(ctx, k); e != nil { // cache hits
			events = append(events, e)
		}
	}
	if err := prefetchEvents(ctx, events); err != nil {
		return nil, err
	}

	if len(rooms) > 0 {
		rf := roomFieldsAt(ctx)
		for id, rm := range rooms {
			if rooms[id], err = rf.relate(ctx, rm, nil); err != nil {
				return nil, err
			}
		}
	}

	out := make([]relay.Node, len(refs))
	for i, ref := range refs {
		n, err := r.node(ctx, ref, rooms, messages)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

// node picks one resolved object; the loaders' lookups are cache hits.
// Absent objects are a nil interface (not a typed nil).
func (r *Resolver) node(ctx context.Context, ref nodeRef, rooms map[string]*room.Room, messages map[int64]*message.Message) (relay.Node, error) {
	l := loader.From(ctx)
	switch ref.t {
	case relay.User:
		if p, err := l.Users.Get(ctx, ref.key, userFieldsAt(ctx)); p != nil || err != nil {
			return p, err
		}
	case relay.Club:
		if c, err := l.Clubs.Get(ctx, ref.key, clubFieldsAt(ctx)); c != nil || err != nil {
			return c, err
		}
	case relay.Event:
		if e, err := l.Events.Get(ctx, ref.key); e != nil || err != nil {
			return e, err
		}
	case relay.Room:
		if rm := rooms[ref.key]; rm != nil {
			return rm, nil
		}
	case relay.Message:
		id, err := strconv.ParseInt(ref.key, 10, 64)
		if m := messages[id]; err == nil && m != nil {
			return m, nil
		}
	}
	return nil, nil
}
