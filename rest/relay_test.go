package rest_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"chaoqer/graph/ids"
	"chaoqer/graph/relay"
	"chaoqer/rest/resttest"
)

// nodeQuery asks for every Node type with nested objects, so that a nodes
// call exercises each batch.
const nodeQuery = `query($ids: [ID!]!) { nodes(ids: $ids) { __typename id
	... on User { uid nickname viewerHasBlocked cardTotal }
	... on Club { clubId name memberTotal viewerHasJoined creator { nickname } }
	... on Room { roomId roomName: name memberTotal members { nickname } creator { nickname } club { name } }
	... on Event { eventId name hosts { nickname } creator { nickname } viewerHasBooked }
	... on Message { messageId messageBody { title } origin { nickname } }
} }`

// seedNodes inserts n users, n clubs, n open public rooms of those clubs
// with their creator connected, n events and n messages to viewer, and
// returns the global ids of all of them.
func seedNodes(t *testing.T, srv *resttest.Server, viewer string, n int) []string {
	t.Helper()
	ctx := context.Background()
	db := srv.App.DB.Client
	users := srv.SeedUsers(n)
	now := time.Now().UnixMilli()
	var out []string
	for i, u := range users {
		clubID, roomID, eventID := ids.New(), ids.New(), ids.New()
		at := now - int64(i)
		must(t, db.Club.Create().SetID(clubID).SetUID(u).SetName("club"+strconv.Itoa(i)).SetCover("c").SetCreateTime(at).Exec(ctx))
		must(t, db.ClubMember.Create().SetClubID(clubID).SetUID(u).SetCreateTime(at).SetSequenceID(ids.Seq(at, clubID)).Exec(ctx))
		// The viewer is a member too: a club room is visible to members only (§12 S5).
		must(t, db.ClubMember.Create().SetClubID(clubID).SetUID(viewer).SetCreateTime(at).SetSequenceID(ids.Seq(at, clubID)).Exec(ctx))
		must(t, db.Room.Create().SetID(roomID).SetUID(u).SetName("room"+strconv.Itoa(i)).SetClubID(clubID).
			SetCreateTime(at).SetSequenceID(ids.Seq(at, roomID)).Exec(ctx))
		connect(t, srv, roomID, u, 2, 1)
		must(t, db.Event.Create().SetID(eventID).SetUID(u).SetName("event"+strconv.Itoa(i)).SetMemberUids([]string{u}).
			SetEventTime(now+int64(time.Hour/time.Millisecond)).SetCreateTime(at).SetUpdateTime(at).
			SetSequenceID(ids.Seq(now, eventID)).Exec(ctx))
		msg, err := db.Message.Create().SetUID(viewer).SetOriginPushType(2).SetOriginUID(u).
			SetBody(`{"title":"t","content":"c","url":"u"}`).SetCreateTime(at).SetUpdateTime(at).Save(ctx)
		must(t, err)
		out = append(out, relay.ID(relay.User, u), relay.ID(relay.Club, clubID), relay.ID(relay.Room, roomID),
			relay.ID(relay.Event, eventID), relay.ID(relay.Message, strconv.FormatInt(msg.ID, 10)))
	}
	return out
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestNodeRefetch pins Relay's Global Object Identification: every Node type
// has an opaque id that node(id:) resolves to the same object, and ids of
// other types, unknown or malformed ids are null.
func TestNodeRefetch(t *testing.T) {
	srv := resttest.Start(t)
	a, b := srv.Onboard("Alice"), srv.Onboard("Bob")
	d := gqlData(t, a.GraphQL(`mutation { createClub(input: {name: "Go", cover: "c"}) { club { id clubId } } }`, nil))
	club := obj(t, obj(t, d["createClub"])["club"])
	d = gqlData(t, a.GraphQL(`mutation($c: ID) { createRoom(input: {name: "Live", clubId: $c}) { room { id roomId } } }`, map[string]any{"c": club["clubId"]}))
	room := obj(t, obj(t, d["createRoom"])["room"])
	at := time.Now().Add(2 * time.Hour).UnixMilli()
	d = gqlData(t, a.GraphQL(`mutation($t: Timestamp, $m: [ID!]) { createEvent(input: {name: "Talk", eventTime: $t, memberUidList: $m}) { event { id eventId } } }`,
		map[string]any{"t": at, "m": []string{a.UID}}))
	ev := obj(t, obj(t, d["createEvent"])["event"])
	gqlData(t, b.GraphQL(`mutation($u: ID!) { sendCard(uid: $u) { message } }`, map[string]any{"u": a.UID}))
	d = gqlData(t, a.GraphQL(`{ viewer { profile { id uid } messages { edges { node { id messageId } } } } }`, nil))
	me := obj(t, obj(t, d["viewer"])["profile"])
	msg := obj(t, obj(t, obj(t, obj(t, obj(t, d["viewer"])["messages"])["edges"].([]any)[0])["node"]))

	cases := []struct {
		node      map[string]any
		typ, leg  string
		legacyKey string
	}{
		{me, "User", "uid", a.UID},
		{club, "Club", "clubId", club["clubId"].(string)},
		{room, "Room", "roomId", room["roomId"].(string)},
		{ev, "Event", "eventId", ev["eventId"].(string)},
		{msg, "Message", "messageId", num(msg["messageId"])},
	}
	seen := map[string]bool{}
	for _, c := range cases {
		id := c.node["id"].(string)
		if seen[id] || id == c.legacyKey {
			t.Fatalf("%s id %q is not unique or not opaque", c.typ, id)
		}
		seen[id] = true
		d := gqlData(t, a.GraphQL(`query($id: ID!) { node(id: $id) { __typename id
			... on User { uid } ... on Club { clubId } ... on Room { roomId } ... on Event { eventId } ... on Message { messageId } } }`,
			map[string]any{"id": id}))
		n := obj(t, d["node"])
		if n["__typename"] != c.typ || n["id"] != id || num(n[c.leg]) != c.legacyKey {
			t.Errorf("node(%s) = %v, want %s %s", id, n, c.typ, c.legacyKey)
		}
	}

	// Unknown, malformed, foreign-type and hidden ids are null, without error.
	msgID := msg["id"].(string)
	d = gqlData(t, b.GraphQL(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": []string{
		relay.ID(relay.User, ids.New()), "not base64!", relay.ID("Account", a.UID), relay.ID(relay.Club, "x"),
		msgID, // Alice's message, asked by Bob
		me["id"].(string),
		// Decoded keys PostgreSQL cannot store: null, never INTERNAL.
		relay.ID(relay.Room, "\x00"), relay.ID(relay.User, "\xff"), relay.ID(relay.Event, "a\xc3"),
	}}))
	got := d["nodes"].([]any)
	if len(got) != 9 || got[0] != nil || got[1] != nil || got[2] != nil || got[3] != nil || got[4] != nil || got[5] == nil ||
		got[6] != nil || got[7] != nil || got[8] != nil {
		t.Fatalf("nodes for Bob: %v", got)
	}
	// More than 100 ids is a clear argument error.
	many := make([]string, 101)
	for i := range many {
		many[i] = me["id"].(string)
	}
	m, ext := gqlErr(t, a.GraphQL(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": many}))
	if ext["code"] != "BAD_USER_INPUT" || ext["argument"] != "ids" {
		t.Fatalf("101 ids: %s %v", m, ext)
	}
	// Login is required, as for the typed queries.
	if _, ext := gqlErr(t, srv.Anonymous().GraphQL(`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": me["id"]})); ext["code"] != "UNAUTHENTICATED" {
		t.Fatalf("anonymous node: %v", ext)
	}
}

// TestNodePrivateRoom pins that node(id:) follows room(roomId:): a private
// room is null for strangers and visible to its creator and invited users.
func TestNodePrivateRoom(t *testing.T) {
	srv := resttest.Start(t)
	a, b, c := srv.Onboard("Alice"), srv.Onboard("Bob"), srv.Onboard("Carol")
	d := gqlData(t, a.GraphQL(`mutation { createRoom(input: {name: "secret", inviteOnly: 1}) { room { id roomId } } }`, nil))
	room := obj(t, obj(t, d["createRoom"])["room"])
	connect(t, srv, room["roomId"].(string), a.UID, 2, 1)
	gqlData(t, a.GraphQL(`mutation($r: ID!, $u: ID!) { inviteToRoom(roomId: $r, uid: $u) { message } }`, map[string]any{"r": room["roomId"], "u": b.UID}))
	const q = `query($id: ID!) { node(id: $id) { ... on Room { roomId } } room: nodes(ids: [$id]) { id } }`
	vars := map[string]any{"id": room["id"]}
	for _, who := range []*resttest.Client{a, b} {
		if d := gqlData(t, who.GraphQL(q, vars)); d["node"] == nil || d["room"].([]any)[0] == nil {
			t.Errorf("%s cannot see the private room: %v", who.UID, d)
		}
	}
	if d := gqlData(t, c.GraphQL(q, vars)); d["node"] != nil || d["room"].([]any)[0] != nil {
		t.Errorf("a stranger sees the private room: %v", d)
	}
	// The typed query agrees.
	if _, ext := gqlErr(t, c.GraphQL(`query($r: ID!) { room(roomId: $r) { roomId } }`, map[string]any{"r": room["roomId"]})); num(ext["errorCode"]) != "400000" {
		t.Errorf("room(roomId:) for a stranger: %v", ext)
	}
}

// TestNodesCostConstantStatements pins that nodes(ids:) batches: ids of all
// five types with nested users, clubs and presence cost as many statements
// for 2 objects of each type as for 20.
func TestNodesCostConstantStatements(t *testing.T) {
	srv := resttest.Start(t)
	a := srv.Onboard("Viewer")
	a.GraphQL(`{ viewer { uid } }`, nil) // caches the session
	cost := func(n int) int {
		ids := seedNodes(t, srv, a.UID, n)
		r := a.GraphQL(nodeQuery, map[string]any{"ids": ids})
		got := gqlData(t, r)["nodes"].([]any)
		if len(got) != len(ids) {
			t.Fatalf("%d nodes for %d ids", len(got), len(ids))
		}
		for i, g := range got {
			if g == nil {
				t.Fatalf("node %d (%s) is null", i, ids[i])
			}
		}
		return r.Statements()
	}
	small, big := cost(2), cost(20)
	if small != big || big < 1 {
		t.Fatalf("nodes: %d statements for 10 ids, %d for 100 (want equal)", small, big)
	}
	t.Logf("nodes of 5 types: %d statements", big)
}
