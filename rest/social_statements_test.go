package rest_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"chaoqer/ent"
	entclub "chaoqer/ent/club"
	"chaoqer/graph/ids"
	"chaoqer/rest/resttest"
)

// These tests pin that list pages cost a constant number of SQL statements:
// a page of 100 items with their nested clubs, rooms and profiles costs as
// many statements as a page of 2.

// statements is how many SQL statements one call cost (the server reports
// it per request in a debug header). The caller's session is refreshed just
// before (the session cache lasts 2 s), so only the call's own work counts.
func statements(t *testing.T, srv *resttest.Server, c *resttest.Client, call func() *resttest.Response) int64 {
	t.Helper()
	c.Get("/user/message/unread_total", nil).MustOK(t)
	r := call()
	if r.HTTP != 200 || (r.Body["status"] != nil && r.Status() != 1) || r.Body["errors"] != nil {
		t.Fatalf("measured call failed: %s", r)
	}
	return int64(r.Statements())
}

// seedRooms makes n open rooms visible to viewer: every other one a room of
// one of viewer's clubs, the rest public, each with 7 users connected.
func seedRooms(t testing.TB, srv *resttest.Server, viewer *resttest.Client, n int) {
	t.Helper()
	ctx := context.Background()
	var clubIDs []string
	for i := 0; i < 3; i++ {
		resttest.Pause()
		c := obj(t, viewer.Post("/club", P{"name": fmt.Sprint("club", i), "cover": "c"}).MustOK(t))
		clubIDs = append(clubIDs, c["clubId"].(string))
	}
	people := make([]string, 7)
	for i := range people {
		people[i] = srv.Onboard(fmt.Sprint("P", i)).UID
	}
	db := srv.App.DB.Client
	base := time.Now().UnixMilli() - int64(n)*1000
	rooms := make([]*ent.RoomCreate, n)
	var pres []*ent.PresenceCreate
	for i := range rooms {
		id, at := ids.New(), base+int64(i)*1000
		rc := db.Room.Create().SetID(id).SetUID(viewer.UID).SetName(fmt.Sprint("room", i)).
			SetCreateTime(at).SetSequenceID(ids.Seq(at, id))
		if i%2 == 0 {
			rc.SetClubID(clubIDs[i%3])
		}
		rooms[i] = rc
		for j, uid := range people {
			pres = append(pres, db.Presence.Create().SetRoomID(id).SetUID(uid).SetRuid(int64(j)).SetRole(j%3).
				SetConnID(ids.New()).SetInstanceID("test").SetCreateTime(at).SetSeenTime(time.Now().UnixMilli()))
		}
	}
	if err := db.Room.CreateBulk(rooms...).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	for len(pres) > 0 {
		k := min(len(pres), 200)
		if err := db.Presence.CreateBulk(pres[:k]...).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		pres = pres[k:]
	}
}

func TestRoomFeedStatements(t *testing.T) {
	srv := resttest.Start(t)
	v := srv.Onboard("Viewer")
	seedRooms(t, srv, v, 120)

	rest := func(count int) int64 {
		return statements(t, srv, v, func() *resttest.Response {
			r := v.Get("/room", P{"count": count})
			if items := list(t, r.MustOK(t)); len(items) != count || items[0]["roomResult"] == nil ||
				len(obj(t, items[0]["roomResult"])["memberList"].([]any)) != 6 {
				t.Fatalf("feed page of %d: %v", count, items)
			}
			return r
		})
	}
	r2, r100 := rest(2), rest(100)
	t.Logf("REST GET /room: %d statements for 2 rooms, %d for 100", r2, r100)
	// The feed with its clubs and presences, then the profiles (issue 13:
	// the clubs and the presences come with the feed statement).
	if r2 != r100 || r100 != feedStatements {
		t.Fatalf("REST feed: %d statements for 2 rooms, %d for 100, want %d", r2, r100, feedStatements)
	}
	// The next page (a cursor among the club rooms) costs the same.
	page := list(t, v.Get("/room", P{"count": 100}).MustOK(t))
	next := statements(t, srv, v, func() *resttest.Response {
		return v.Get("/room", P{"count": 10, "lastId": page[20]["sequenceId"]})
	})
	if next != r100 {
		t.Fatalf("REST feed after a cursor: %d statements", next)
	}

	const q = `query($n: Int, $after: String) { roomFeed(first: $n, after: $after) { edges { cursor node { roomId createTime
	  room { roomId name inviteOnly createTime memberTotal
	    creator { uid nickname viewerHasBlocked }
	    club { clubId name memberTotal viewerHasJoined creator { nickname } }
	    members { uid nickname avatar viewerHasBlocked viewerSentCard cardTotal } } } }
	  pageInfo { hasNextPage endCursor } } }`
	gql := func(n int, after any) int64 {
		return statements(t, srv, v, func() *resttest.Response {
			return v.GraphQL(q, map[string]any{"n": n, "after": after})
		})
	}
	g2, g20, g100 := gql(2, nil), gql(20, nil), gql(100, nil)
	gAfter := gql(20, page[50]["sequenceId"]) // crosses into the public rooms
	t.Logf("GraphQL roomFeed with club, creator and members: %d statements for 2 rooms, %d for 20, %d for 100, %d after a cursor", g2, g20, g100, gAfter)
	if g2 != g100 || g20 != g100 || gAfter != g100 {
		t.Fatalf("GraphQL feed: %d / %d / %d / %d statements", g2, g20, g100, gAfter)
	}
	if g20 != feedStatements {
		t.Fatalf("GraphQL feed of 20 rooms costs %d statements, want %d", g20, feedStatements)
	}
}

// feedStatements is what a feed page selecting its rooms' clubs, creators
// and members costs: the feed statement (which reads the clubs and the
// presences too) and the profiles.
const feedStatements = 2

// clubMemberTotal is in a statement that computes clubs' member totals
// (club.Columns with club.FieldMemberTotal).
const clubMemberTotal = "m.club_id = c.id"

// presenceOnlyInFeed reports, for the statements seen answering a feed
// page, whether the rooms' presence was read (room_presences) and only by
// the feed statement.
func presenceOnlyInFeed(t *testing.T, seen map[string]bool) bool {
	t.Helper()
	read := false
	for q := range seen {
		if strings.Contains(q, "room_presences") {
			if !strings.Contains(q, "fd.seg") {
				t.Errorf("the presences are read on their own: %s", q)
				return false
			}
			read = true
		}
	}
	return read
}

// TestRoomFeedReadsClubsInFeedStatement pins that a feed page selecting
// room { club } reads the clubs in the feed statement, with the computed
// fields selected, and serves them from the club loader: no statement reads
// clubs on its own, at 2 statements for pages of 5 and 20.
func TestRoomFeedReadsClubsInFeedStatement(t *testing.T) {
	srv := resttest.Start(t)
	v := srv.Onboard("Viewer")
	seedRooms(t, srv, v, 40)
	const q = `query($n: Int) { roomFeed(first: $n) { edges { node { room {
	  roomId club { clubId name memberTotal viewerHasJoined creator { nickname } } } } } } }`
	for _, n := range []int{5, 20} {
		seen, count, body := watchStatements(t, srv, v, q, map[string]any{"n": n})
		if count != feedStatements {
			t.Errorf("page of %d: %d statements, want %d: %v", n, count, feedStatements, seen)
		}
		for stmt := range seen {
			if strings.Contains(stmt, "FROM clubs") {
				t.Errorf("page of %d: the clubs are read on their own: %s", n, stmt)
			}
		}
		if !presenceOnlyInFeed(t, seen) {
			t.Errorf("page of %d: the feed statement does not read the presences", n)
		}
		if !computes(t, seen, "LEFT JOIN clubs c", clubMemberTotal) || !computes(t, seen, "LEFT JOIN clubs c", "j.uid") {
			t.Errorf("page of %d: the feed statement does not compute the club fields", n)
		}
		edges := obj(t, obj(t, body["data"])["roomFeed"])["edges"].([]any)
		if len(edges) != n {
			t.Fatalf("page of %d: %d edges", n, len(edges))
		}
		withClub := 0
		for _, e := range edges {
			if c, ok := obj(t, obj(t, obj(t, e)["node"])["room"])["club"].(map[string]any); ok {
				withClub++
				if c["clubId"] == "" || c["viewerHasJoined"] != true || fmt.Sprint(c["memberTotal"]) != "1" ||
					obj(t, c["creator"])["nickname"] != "Viewer" {
					t.Errorf("page of %d: club %v", n, c)
				}
			}
		}
		if withClub == 0 {
			t.Errorf("page of %d: no club rooms", n)
		}
	}
}

// TestRoomFeedClubNull pins that a feed room without a club, and one whose
// club row is gone, answer club: null through the folded feed statement, as
// the clubs loader answered before.
func TestRoomFeedClubNull(t *testing.T) {
	srv := resttest.Start(t)
	v := srv.Onboard("Viewer")
	ctx := context.Background()
	db := srv.App.DB.Client
	cid := obj(t, v.Post("/club", P{"name": "圈", "cover": "c"}).MustOK(t))["clubId"].(string)
	at := time.Now().UnixMilli()
	mk := func(name string, club *string, at int64) string {
		id := ids.New()
		rc := db.Room.Create().SetID(id).SetUID(v.UID).SetName(name).SetCreateTime(at).SetSequenceID(ids.Seq(at, id))
		if club != nil {
			rc.SetClubID(*club)
		}
		if err := rc.Exec(ctx); err != nil {
			t.Fatal(err)
		}
		return id
	}
	inClub := mk("in club", &cid, at)
	public := mk("public", nil, at-1000)
	// The club row goes while its membership and room stay (a club deleted
	// under the feed, or data older than the close-on-delete rule).
	if _, err := db.Club.Delete().Where(entclub.ID(cid)).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`{ roomFeed(first: 5) { edges { node { room { roomId club { clubId name } } } } } }`,
		`{ roomFeed(first: 5) { edges { node { room { roomId club { clubId memberTotal viewerHasJoined } } } } } }`,
	} {
		seen, count, body := watchStatements(t, srv, v, q, nil)
		if count != feedStatements-1 { // no creators or members selected: no profiles
			t.Errorf("%d statements: %v", count, seen)
		}
		edges := obj(t, obj(t, body["data"])["roomFeed"])["edges"].([]any)
		got := map[string]bool{}
		for _, e := range edges {
			rm := obj(t, obj(t, obj(t, e)["node"])["room"])
			club, ok := rm["club"]
			if !ok || club != nil {
				t.Errorf("room %v: club %v, want null", rm["roomId"], club)
			}
			got[rm["roomId"].(string)] = true
		}
		if !got[inClub] || !got[public] || len(edges) != 2 {
			t.Errorf("feed %v, want rooms %s and %s", edges, inClub, public)
		}
	}
}

func TestClubMemberListStatements(t *testing.T) {
	srv := resttest.Start(t)
	a := srv.Onboard("Alice")
	cid := obj(t, a.Post("/club", P{"name": "大圈", "cover": "c"}).MustOK(t))["clubId"].(string)
	ctx := context.Background()
	var creates []*ent.ClubMemberCreate
	for i := 0; i < 110; i++ {
		u := srv.Onboard(fmt.Sprint("M", i))
		at := time.Now().UnixMilli() + int64(i)
		creates = append(creates, srv.App.DB.Client.ClubMember.Create().SetClubID(cid).SetUID(u.UID).
			SetCreateTime(at).SetSequenceID(ids.Seq(at, cid)))
	}
	if err := srv.App.DB.Client.ClubMember.CreateBulk(creates...).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	rest := func(count int) int64 {
		return statements(t, srv, a, func() *resttest.Response {
			r := a.Get("/club/"+cid+"/member", P{"count": count})
			if items := list(t, r.MustOK(t)); len(items) != count || items[count-1]["userProfileResult"] == nil {
				t.Fatalf("member page of %d: %v", count, items)
			}
			return r
		})
	}
	r2, r100 := rest(2), rest(100)
	t.Logf("REST GET /club/{id}/member: %d statements for 2 members, %d for 100", r2, r100)
	if r2 != r100 {
		t.Fatalf("REST members: %d statements for 2, %d for 100", r2, r100)
	}
	gql := func(n int) int64 {
		return statements(t, srv, a, func() *resttest.Response {
			return a.GraphQL(`query($id: ID!, $n: Int) { club(clubId: $id) { name members(first: $n) { edges { node { uid user { nickname cardTotal viewerSentCard } } } } } }`,
				map[string]any{"id": cid, "n": n})
		})
	}
	g2, g100 := gql(2), gql(100)
	t.Logf("GraphQL club.members: %d statements for 2, %d for 100", g2, g100)
	if g2 != g100 {
		t.Fatalf("GraphQL members: %d statements for 2, %d for 100", g2, g100)
	}
}

func TestEventListStatements(t *testing.T) {
	srv := resttest.Start(t)
	a, v := srv.Onboard("Alice"), srv.Onboard("Viewer")
	people := []string{a.UID}
	for i := 0; i < 6; i++ {
		people = append(people, srv.Onboard(fmt.Sprint("H", i)).UID)
	}
	ctx := context.Background()
	db := srv.App.DB.Client
	now := time.Now().UnixMilli()
	var events []*ent.EventCreate
	var rooms []*ent.RoomCreate
	var pres []*ent.PresenceCreate
	var bookings []*ent.EventReminderCreate
	for i := 0; i < 110; i++ {
		eid, rid := ids.New(), ids.New()
		at := now + int64(i)*60_000
		events = append(events, db.Event.Create().SetID(eid).SetUID(a.UID).SetName(fmt.Sprint("event", i)).
			SetMemberUids(people[:1+i%len(people)]).SetEventTime(at).SetCreateTime(now).SetUpdateTime(now).
			SetSequenceID(ids.Seq(at, eid)).SetRoomID(rid))
		rooms = append(rooms, db.Room.Create().SetID(rid).SetUID(a.UID).SetName(fmt.Sprint("event", i)).
			SetCreateTime(now).SetSequenceID(ids.Seq(now, rid)))
		for j, uid := range people[:3] {
			pres = append(pres, db.Presence.Create().SetRoomID(rid).SetUID(uid).SetRuid(int64(j)).SetRole(2-j).
				SetConnID(ids.New()).SetInstanceID("test").SetCreateTime(now).SetSeenTime(now))
		}
		if i%2 == 0 {
			bookings = append(bookings, db.EventReminder.Create().SetEventID(eid).SetUID(v.UID).SetCreateTime(now))
		}
	}
	for _, err := range []error{
		db.Event.CreateBulk(events...).Exec(ctx), db.Room.CreateBulk(rooms...).Exec(ctx),
		db.Presence.CreateBulk(pres[:200]...).Exec(ctx), db.Presence.CreateBulk(pres[200:]...).Exec(ctx),
		db.EventReminder.CreateBulk(bookings...).Exec(ctx),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	rest := func(count int) int64 {
		return statements(t, srv, v, func() *resttest.Response {
			r := v.Get("/event", P{"count": count})
			items := list(t, r.MustOK(t))
			if len(items) != count {
				t.Fatalf("event page of %d: %d items", count, len(items))
			}
			er := obj(t, items[0]["eventResult"])
			if numOf(t, er, "notify") != 1 || len(obj(t, er["roomResult"])["memberList"].([]any)) != 3 {
				t.Fatalf("event item %v", er)
			}
			return r
		})
	}
	r2, r100 := rest(2), rest(100)
	t.Logf("REST GET /event with started rooms: %d statements for 2 events, %d for 100", r2, r100)
	if r2 != r100 {
		t.Fatalf("REST events: %d statements for 2, %d for 100", r2, r100)
	}
	gql := func(n int) int64 {
		return statements(t, srv, v, func() *resttest.Response {
			return v.GraphQL(`query($n: Int) { events(first: $n) { edges { node { event { name viewerHasBooked
			  creator { nickname } hosts { nickname viewerHasBlocked }
			  room { roomId memberTotal members { nickname } creator { uid } } } } } } }`, map[string]any{"n": n})
		})
	}
	g2, g100 := gql(2), gql(100)
	t.Logf("GraphQL events with hosts and rooms: %d statements for 2 events, %d for 100", g2, g100)
	if g2 != g100 {
		t.Fatalf("GraphQL events: %d statements for 2, %d for 100", g2, g100)
	}
}

// watchStatements answers q for c and returns the texts of the statements
// it ran, their count and the response body.
func watchStatements(t *testing.T, srv *resttest.Server, c *resttest.Client, q string, vars map[string]any) (map[string]bool, int64, map[string]any) {
	t.Helper()
	var mu sync.Mutex
	seen := map[string]bool{}
	var body map[string]any
	n := statements(t, srv, c, func() *resttest.Response {
		stop := srv.App.DB.Watch(func(query string) {
			mu.Lock()
			seen[query] = true
			mu.Unlock()
		})
		defer stop()
		r := c.GraphQL(q, vars)
		body = r.Body
		return r
	})
	return seen, n, body
}

// computes reports whether the statement among seen that reads from
// contains part (one must read from).
func computes(t *testing.T, seen map[string]bool, from, part string) bool {
	t.Helper()
	found := false
	for q := range seen {
		if strings.Contains(q, from) {
			found = true
			if strings.Contains(q, part) {
				return true
			}
		}
	}
	if !found {
		t.Fatalf("no statement reads %q among %v", from, seen)
	}
	return false
}

// TestRoomFeedComputesOnlySelectedFields pins that the feed's statements
// compute club member counts and the viewer's relations only when the
// operation selects them (issue 13 item 3), at the same statement count.
func TestRoomFeedComputesOnlySelectedFields(t *testing.T) {
	srv := resttest.Start(t)
	v := srv.Onboard("Viewer")
	seedRooms(t, srv, v, 20)
	other := srv.Onboard("Other")
	v.Post("/user/"+other.UID+"/block", nil).MustOK(t)

	run := func(q string) (map[string]bool, int64, map[string]any) {
		return watchStatements(t, srv, v, q, map[string]any{"n": 20})
	}
	computes := func(seen map[string]bool, from, part string) bool { return computes(t, seen, from, part) }
	const (
		profiles = "FROM user_profiles"
		clubs    = "LEFT JOIN clubs c" // the feed statement reads the clubs
	)

	card, nCard, _ := run(`query($n: Int) { roomFeed(first: $n) { edges { node { room {
	  roomId name memberTotal createTime creator { uid nickname } club { clubId name } members { uid nickname avatar } } } } } }`)
	for _, part := range []string{"user_blocks", "user_cards"} {
		if computes(card, profiles, part) {
			t.Errorf("card-shaped feed reads %s", part)
		}
	}
	if computes(card, clubs, clubMemberTotal) || computes(card, clubs, "j.uid") {
		t.Error("card-shaped feed counts club members")
	}

	full, nFull, body := run(`query($n: Int) { roomFeed(first: $n) { edges { node { room {
	  roomId memberTotal creator { uid nickname } club { clubId memberTotal viewerHasJoined }
	  members { uid viewerHasBlocked viewerSentCard cardTotal } } } } } }`)
	for _, part := range []string{"user_blocks", "c.sender_uid", "COUNT(*)"} {
		if !computes(full, profiles, part) {
			t.Errorf("full feed does not compute %s", part)
		}
	}
	if !computes(full, clubs, clubMemberTotal) || !computes(full, clubs, "j.uid") {
		t.Error("full feed does not compute the club's member total and membership")
	}
	if nCard != nFull {
		t.Errorf("card-shaped feed %d statements, full %d", nCard, nFull)
	}
	// The computed values are right: the viewer is the only member of the
	// clubs it created.
	edges := obj(t, obj(t, body["data"])["roomFeed"])["edges"].([]any)
	withClub := 0
	for _, e := range edges {
		rm := obj(t, obj(t, obj(t, e)["node"])["room"])
		if c, ok := rm["club"].(map[string]any); ok {
			withClub++
			if fmt.Sprint(c["memberTotal"]) != "1" || c["viewerHasJoined"] != true {
				t.Errorf("club as seen by its creator: %v", c)
			}
		}
	}
	if withClub == 0 {
		t.Fatal("no club rooms in the feed")
	}

	// A mixed selection computes the union, still in one profile statement:
	// the creator's card total without any relation of the members.
	mixed, nMixed, _ := run(`query($n: Int) { roomFeed(first: $n) { edges { node { room {
	  creator { cardTotal } members { nickname } } } } } }`)
	if !computes(mixed, profiles, "COUNT(*)") || computes(mixed, profiles, "user_blocks") || computes(mixed, profiles, "c.sender_uid") {
		t.Errorf("creator { cardTotal }: %v", mixed)
	}
	if nMixed > nCard {
		t.Errorf("mixed selection: %d statements, card %d", nMixed, nCard)
	}
}

// TestProfileAndClubComputeOnlySelectedFields pins the same for a profile
// and a club by id, directly and through node(id:) fragments.
func TestProfileAndClubComputeOnlySelectedFields(t *testing.T) {
	srv := resttest.Start(t)
	v := srv.Onboard("Viewer")
	o := srv.Onboard("Other")
	v.Post("/user/"+o.UID+"/card", nil).MustOK(t)
	cid := obj(t, v.Post("/club", P{"name": "圈", "cover": "c"}).MustOK(t))["clubId"].(string)
	const profiles, clubs = "FROM user_profiles", "FROM clubs c"
	relations := []string{"user_blocks", "c.sender_uid", "COUNT(*)"}

	seen, _, _ := watchStatements(t, srv, v, `query($u: ID!) { user(uid: $u) { uid nickname avatar } }`, map[string]any{"u": o.UID})
	for _, part := range relations {
		if computes(t, seen, profiles, part) {
			t.Errorf("profile without relations computes %s", part)
		}
	}
	seen, _, body := watchStatements(t, srv, v, `query($u: ID!) { user(uid: $u) { viewerSentCard cardTotal } }`, map[string]any{"u": o.UID})
	if computes(t, seen, profiles, "user_blocks") || !computes(t, seen, profiles, "c.sender_uid") || !computes(t, seen, profiles, "COUNT(*)") {
		t.Errorf("profile with card fields: %v", seen)
	}
	if u := obj(t, obj(t, body["data"])["user"]); u["viewerSentCard"] != true || fmt.Sprint(u["cardTotal"]) != "1" {
		t.Errorf("profile: %v", u)
	}

	seen, _, _ = watchStatements(t, srv, v, `query($c: ID!) { club(clubId: $c) { clubId name } }`, map[string]any{"c": cid})
	if computes(t, seen, clubs, "club_members") {
		t.Error("club without counts reads its members")
	}
	seen, _, body = watchStatements(t, srv, v, `query($c: ID!) { club(clubId: $c) { memberTotal viewerHasJoined } }`, map[string]any{"c": cid})
	if !computes(t, seen, clubs, "COUNT(*)") || !computes(t, seen, clubs, "j.uid") {
		t.Errorf("club with counts: %v", seen)
	}
	if c := obj(t, obj(t, body["data"])["club"]); fmt.Sprint(c["memberTotal"]) != "1" || c["viewerHasJoined"] != true {
		t.Errorf("club: %v", c)
	}

	// node(id:): a fragment on another type does not count.
	userID := obj(t, obj(t, v.GraphQL(`query($u: ID!) { user(uid: $u) { id } }`, map[string]any{"u": o.UID}).Body["data"])["user"])["id"]
	clubID := obj(t, obj(t, v.GraphQL(`query($c: ID!) { club(clubId: $c) { id } }`, map[string]any{"c": cid}).Body["data"])["club"])["id"]
	seen, _, body = watchStatements(t, srv, v, `query($ids: [ID!]!) { nodes(ids: $ids) {
	  ... on User { nickname cardTotal } ... on Room { memberTotal } ... on Club { name } } }`, map[string]any{"ids": []any{userID, clubID}})
	if !computes(t, seen, profiles, "COUNT(*)") || computes(t, seen, profiles, "user_blocks") || computes(t, seen, clubs, "club_members") {
		t.Errorf("nodes: %v", seen)
	}
	if n := obj(t, obj(t, body["data"])["nodes"].([]any)[0]); fmt.Sprint(n["cardTotal"]) != "1" {
		t.Errorf("node user: %v", n)
	}
}

// TestRoomFeedReadsPresenceInFeedStatement pins that a feed page selecting
// its rooms reads who is connected to them in the feed statement, as
// room.Service.Presences reads it (member total, members hosts first then
// in join order, an empty room shown only to its creator with the creator
// as its member), on pages of 1, 5, 20 and 100 walked through both
// segments; and that a page not selecting its rooms reads no presence.
func TestRoomFeedReadsPresenceInFeedStatement(t *testing.T) {
	srv := resttest.Start(t)
	v, o := srv.Onboard("Viewer"), srv.Onboard("Other")
	seedRooms(t, srv, v, 24)
	// Two public rooms nobody is in, newest of all: the viewer's own (shown,
	// with the viewer as its member) and another user's (hidden).
	resttest.Pause()
	own := obj(t, v.Post("/room", P{"name": "own"}).MustOK(t))["roomId"].(string)
	resttest.Pause()
	hidden := obj(t, o.Post("/room", P{"name": "hidden"}).MustOK(t))["roomId"].(string)
	// More than 6 in one room, with a host who joined last: shown first.
	people := srv.SeedUsers(8)
	for i, uid := range people {
		connect(t, srv, own, uid, 2*(i/7), int64(i))
	}
	resttest.Pause()
	empty := obj(t, v.Post("/room", P{"name": "empty"}).MustOK(t))["roomId"].(string)

	shapes := []struct {
		name, room string
		statements int64
		presence   bool
	}{
		{"no room", ``, 1, false},
		{"room only", `room { roomId memberTotal }`, 1, true},
		{"club", `room { roomId memberTotal club { clubId name } }`, 1, true},
		{"members", `room { roomId memberTotal creator { uid } members { uid nickname } }`, 2, true},
	}
	for _, sh := range shapes {
		q := `query($n: Int, $after: String) { roomFeed(first: $n, after: $after) { edges { cursor node { roomId ` +
			sh.room + ` } } pageInfo { hasNextPage endCursor } } }`
		for _, n := range []int{1, 5, 20, 100} {
			var after any
			shown, emptySeen, hiddenSeen := 0, false, false
			for {
				seen, count, body := watchStatements(t, srv, v, q, map[string]any{"n": n, "after": after})
				if count != sh.statements {
					t.Fatalf("%s, page of %d: %d statements, want %d: %v", sh.name, n, count, sh.statements, seen)
				}
				if read := presenceOnlyInFeed(t, seen); read != sh.presence {
					t.Fatalf("%s, page of %d: presence read %v, want %v", sh.name, n, read, sh.presence)
				}
				conn := obj(t, obj(t, body["data"])["roomFeed"])
				var roomIDs []string
				nodes := map[string]map[string]any{}
				for _, e := range conn["edges"].([]any) {
					node := obj(t, obj(t, e)["node"])
					id := node["roomId"].(string)
					roomIDs = append(roomIDs, id)
					nodes[id] = node
				}
				if sh.room != "" {
					want, err := srv.App.Resolver.Rooms.Presences(context.Background(), roomIDs)
					if err != nil {
						t.Fatal(err)
					}
					for id, node := range nodes {
						p := want[id]
						rm, _ := node["room"].(map[string]any)
						switch {
						case id == hidden:
							hiddenSeen = true
							if rm != nil {
								t.Errorf("%s: the other's empty room is shown: %v", sh.name, rm)
							}
							continue
						case rm == nil:
							t.Fatalf("%s: room %s not shown (presence %+v)", sh.name, id, p)
						}
						shown++
						if got := numOf(t, rm, "memberTotal"); got != int64(p.Total) {
							t.Errorf("%s: room %s memberTotal %d, want %d", sh.name, id, got, p.Total)
						}
						members, ok := rm["members"].([]any)
						if !ok {
							continue
						}
						wantUIDs := p.UIDs
						if id == empty {
							emptySeen, wantUIDs = true, []string{v.UID}
						}
						var got []string
						for _, m := range members {
							got = append(got, obj(t, m)["uid"].(string))
						}
						if fmt.Sprint(got) != fmt.Sprint(wantUIDs) {
							t.Errorf("%s: room %s members %v, want %v", sh.name, id, got, wantUIDs)
						}
					}
				}
				pi := obj(t, conn["pageInfo"])
				if pi["hasNextPage"] != true {
					break
				}
				after = pi["endCursor"]
			}
			if sh.room != "" && (shown != 26 || !hiddenSeen || strings.Contains(sh.room, "members") && !emptySeen) {
				t.Errorf("%s, pages of %d: %d rooms shown (want 26), hidden room seen %v, empty room seen %v", sh.name, n, shown, hiddenSeen, emptySeen)
			}
		}
	}
	// The room with 8 members shows the host who joined last first.
	p, err := srv.App.Resolver.Rooms.Presences(context.Background(), []string{own})
	if err != nil {
		t.Fatal(err)
	}
	if p[own].Total != 8 || len(p[own].UIDs) != 6 || p[own].UIDs[0] != people[7] {
		t.Fatalf("presence of the crowded room %+v, want 8 with %s first", p[own], people[7])
	}
}

// A club's creator (Club.creator, a resolver) comes with the page's other
// users: a feed page selecting it is still 2 statements when that creator
// is nobody else on the page.
func TestRoomFeedClubCreatorsComeWithTheUsers(t *testing.T) {
	srv := resttest.Start(t)
	v, o := srv.Onboard("Viewer"), srv.Onboard("Other")
	club := obj(t, o.Post("/club", P{"name": "theirs", "cover": "c"}).MustOK(t))["clubId"].(string)
	v.Post("/club/"+club+"/join", nil).MustOK(t)
	v.Post("/room", P{"name": "in theirs", "clubId": club}).MustOK(t)
	const q = `query($n: Int) { roomFeed(first: $n) { edges { node { room { roomId creator { uid } members { uid }
	  club { clubId creator { uid nickname } } } } } } }`
	for _, n := range []int{1, 5} {
		seen, count, body := watchStatements(t, srv, v, q, map[string]any{"n": n})
		if count != feedStatements {
			t.Fatalf("page of %d: %d statements, want %d: %v", n, count, feedStatements, seen)
		}
		edges := obj(t, obj(t, body["data"])["roomFeed"])["edges"].([]any)
		rm := obj(t, obj(t, obj(t, edges[0])["node"])["room"])
		if creator := obj(t, obj(t, rm["club"])["creator"]); creator["uid"] != o.UID || creator["nickname"] != "Other" {
			t.Fatalf("club creator %v, want %s", creator, o.UID)
		}
	}
}

// TestLiveRoomMembersUsersInOneStatement pins that liveRoom reads its
// connected members' users in one statement, even when the server is busy:
// the members' user fields are prefetched, not left to the loader's 1 ms
// batching window, which a busy scheduler splits.
func TestLiveRoomMembersUsersInOneStatement(t *testing.T) {
	srv := resttest.Start(t)
	v := srv.Onboard("Viewer")
	seedRooms(t, srv, v, 2) // 7 users connected to each room
	room := list(t, v.Get("/room", P{"count": 1}).MustOK(t))[0]["roomId"].(string)
	cost := func(q string) int64 {
		return statements(t, srv, v, func() *resttest.Response {
			return v.GraphQL(q, map[string]any{"r": room})
		})
	}
	base := cost(`query($r: ID!) { liveRoom(roomId: $r) { members { uid } } }`)
	const withUsers = `query($r: ID!) { liveRoom(roomId: $r) { members { uid user { nickname viewerHasBlocked } } } }`
	var wg sync.WaitGroup
	var mu sync.Mutex
	counts := map[int]int{}
	for range 8 {
		wg.Go(func() {
			for range 5 {
				r := v.GraphQL(withUsers, map[string]any{"r": room})
				if r.HTTP != 200 || r.Body["errors"] != nil {
					t.Errorf("liveRoom: %s", r)
					return
				}
				mu.Lock()
				counts[r.Statements()]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(counts) != 1 || counts[int(base)+1] == 0 {
		t.Fatalf("liveRoom with its members' users: statements %v (count: requests), want %d every time", counts, base+1)
	}
}
