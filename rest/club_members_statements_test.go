package rest_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"chaoqer/rest/resttest"
)

// TestNestedClubMembersCostConstantStatements pins that clubs in a list
// read their member pages (Club.members) and those members' profiles in one
// statement each, whatever the list's length: the viewer's clubs, the room
// feed's clubs and nodes. Each club's page is the one club(clubId) gives.
func TestNestedClubMembersCostConstantStatements(t *testing.T) {
	srv := resttest.Start(t)
	v := srv.Onboard("Viewer")
	seedRooms(t, srv, v, 30) // 3 clubs of the viewer's, each with rooms
	var clubIDs []string
	for i := range 9 {
		c := obj(t, v.Post("/club", P{"name": fmt.Sprint("more", i), "cover": "c"}).MustOK(t))
		clubIDs = append(clubIDs, c["clubId"].(string))
	}
	// Members for the clubs, some of them in several.
	for i := range 6 {
		m := srv.Onboard(fmt.Sprint("M", i))
		for j, id := range clubIDs {
			if (i+j)%2 == 0 {
				m.Post("/club/"+id+"/join", nil).MustOK(t)
			}
		}
	}
	const members = `members(first: 3) { edges { cursor node { uid createTime user { uid nickname } } } pageInfo { hasNextPage endCursor } }`
	run := func(q string, vars map[string]any) (int64, map[string]any) {
		t.Helper()
		var body map[string]any
		n := statements(t, srv, v, func() *resttest.Response {
			r := v.GraphQL(q, vars)
			body = r.Body
			return r
		})
		return n, body
	}
	// One club alone: the reference pages.
	want := map[string]string{}
	for _, id := range clubIDs {
		_, body := run(`query($id: ID!) { club(clubId: $id) { clubId `+members+` } }`, map[string]any{"id": id})
		c := obj(t, obj(t, body["data"])["club"])
		b, _ := json.Marshal(c["members"])
		want[id] = string(b)
	}
	check := func(name string, clubs []any) {
		t.Helper()
		if len(clubs) == 0 {
			t.Fatalf("%s: no clubs", name)
		}
		for _, c := range clubs {
			c := obj(t, c)
			b, _ := json.Marshal(c["members"])
			if w, ok := want[c["clubId"].(string)]; ok && string(b) != w {
				t.Fatalf("%s, club %s: %s, want %s", name, c["clubId"], b, w)
			}
		}
	}

	viewerClubs := `query($n: Int) { viewer { clubs(first: $n) { edges { node { club { clubId ` + members + ` } } } } } }`
	cost := map[int]int64{}
	for _, n := range []int{2, 12} {
		var body map[string]any
		cost[n], body = run(viewerClubs, map[string]any{"n": n})
		var clubs []any
		for _, e := range obj(t, obj(t, obj(t, body["data"])["viewer"])["clubs"])["edges"].([]any) {
			clubs = append(clubs, obj(t, obj(t, e)["node"])["club"])
		}
		check(fmt.Sprint("viewer.clubs of ", n), clubs)
	}
	if cost[2] != cost[12] {
		t.Errorf("viewer.clubs with members: %d statements for 2 clubs, %d for 12", cost[2], cost[12])
	}

	feed := `query($n: Int) { roomFeed(first: $n) { edges { node { room { club { clubId ` + members + ` } } } } } }`
	for _, n := range []int{1, 20} {
		var body map[string]any
		cost[n], body = run(feed, map[string]any{"n": n})
		var clubs []any
		for _, e := range obj(t, obj(t, body["data"])["roomFeed"])["edges"].([]any) {
			if c := obj(t, obj(t, obj(t, e)["node"])["room"])["club"]; c != nil {
				clubs = append(clubs, c)
			}
		}
		check(fmt.Sprint("roomFeed of ", n), clubs)
	}
	if cost[1] != cost[20] {
		t.Errorf("roomFeed with club members: %d statements for 1 room, %d for 20", cost[1], cost[20])
	}

	nodes := `query($ids: [ID!]!) { nodes(ids: $ids) { ... on Club { clubId ` + members + ` } } }`
	globalIDs := func(ids []string) []string {
		out := make([]string, len(ids))
		for i, id := range ids {
			_, body := run(`query($id: ID!) { club(clubId: $id) { id } }`, map[string]any{"id": id})
			out[i] = obj(t, obj(t, body["data"])["club"])["id"].(string)
		}
		return out
	}
	few, many := globalIDs(clubIDs[:1]), globalIDs(clubIDs)
	nFew, bodyFew := run(nodes, map[string]any{"ids": few})
	nMany, bodyMany := run(nodes, map[string]any{"ids": many})
	check("nodes of 1", obj(t, bodyFew["data"])["nodes"].([]any))
	check("nodes of 9", obj(t, bodyMany["data"])["nodes"].([]any))
	if nFew != nMany {
		t.Errorf("nodes with club members: %d statements for 1 club, %d for 9", nFew, nMany)
	}
	t.Logf("statements: viewer.clubs %d, roomFeed %d, nodes %d", cost[12], cost[20], nMany)
}
