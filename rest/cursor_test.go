package rest_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"chaoqer/ent"
	"chaoqer/graph/ids"
	"chaoqer/rest/resttest"
)

// TestClubMembersSameMillisecond pins spec §12 B5: 40 members who joined a
// club in the same millisecond (one legacy sequenceId "{ms}:{clubId}" for
// all) are paged one by one to the end, with no gap or duplicate, through
// GraphQL and the legacy route alike; a cursor in the legacy two-part form
// still continues strictly after its millisecond.
func TestClubMembersSameMillisecond(t *testing.T) {
	srv := resttest.Start(t)
	a := srv.Onboard("Alice")
	club := obj(t, a.Post("/club", P{"name": "B5", "cover": "c"}).MustOK(t))
	clubID := club["clubId"].(string)
	joined := time.Now().Add(time.Second).UnixMilli()
	legacySeq := ids.Seq(joined, clubID)
	users := srv.SeedUsers(40)
	rows := make([]*ent.ClubMemberCreate, len(users))
	for i, u := range users {
		rows[i] = srv.App.DB.Client.ClubMember.Create().SetClubID(clubID).SetUID(u).
			SetCreateTime(joined).SetSequenceID(legacySeq)
	}
	if err := srv.App.DB.Client.ClubMember.CreateBulk(rows...).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{a.UID: true}
	for _, u := range users {
		want[u] = true
	}
	check := func(api string, got []string) {
		t.Helper()
		seen := map[string]bool{}
		for _, u := range got {
			if seen[u] || !want[u] {
				t.Fatalf("%s: %s listed twice or unknown (%d items)", api, u, len(got))
			}
			seen[u] = true
		}
		if len(seen) != len(want) || got[len(got)-1] != a.UID {
			t.Fatalf("%s: %d of %d members, last %s (the creator joined first)", api, len(seen), len(want), got[len(got)-1])
		}
	}

	restOrder := pageOneByOne(t, a, "/club/"+clubID+"/member", "uid")
	check("REST", restOrder)

	const q = `query($c: ID!, $after: String) { club(clubId: $c) { members(first: 1, after: $after) {
		edges { cursor node { uid } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }`
	var gqlOrder []string
	var after any
	for i := 0; i <= len(want); i++ {
		conn := obj(t, obj(t, gqlData(t, a.GraphQL(q, map[string]any{"c": clubID, "after": after}))["club"])["members"])
		edges := conn["edges"].([]any)
		pi := obj(t, conn["pageInfo"])
		if len(edges) != 1 {
			t.Fatalf("page %d: %v", i, conn)
		}
		edge := obj(t, edges[0])
		if pi["startCursor"] != edge["cursor"] || pi["endCursor"] != edge["cursor"] || pi["hasPreviousPage"] != false {
			t.Fatalf("page %d pageInfo %v for edge %v", i, pi, edge)
		}
		gqlOrder = append(gqlOrder, obj(t, edge["node"])["uid"].(string))
		if pi["hasNextPage"] != true {
			break
		}
		after = pi["endCursor"]
	}
	check("GraphQL", gqlOrder)
	if strings.Join(gqlOrder, ",") != strings.Join(restOrder, ",") {
		t.Fatal("GraphQL and REST page members in different orders")
	}

	// A cursor stored in the legacy form continues after its millisecond:
	// only the creator, who joined earlier, follows.
	items := list(t, a.Get("/club/"+clubID+"/member", P{"count": 10, "lastId": legacySeq}).MustOK(t))
	if len(items) != 1 || items[0]["uid"] != a.UID {
		t.Fatalf("REST after a legacy lastId: %v", items)
	}
	conn := obj(t, obj(t, gqlData(t, a.GraphQL(q, map[string]any{"c": clubID, "after": legacySeq}))["club"])["members"])
	if e := conn["edges"].([]any); len(e) != 1 || obj(t, obj(t, e[0])["node"])["uid"] != a.UID {
		t.Fatalf("GraphQL after a legacy cursor: %v", conn)
	}
	// The new cursor is the legacy sequenceId plus the member's uid.
	if c := items[0]["sequenceId"].(string); !strings.HasPrefix(c, strconv.FormatInt(numOf(t, items[0], "createTime"), 10)+":"+clubID+":") ||
		!strings.HasSuffix(c, ":"+a.UID) {
		t.Fatalf("member sequenceId %q", c)
	}
}

// TestPageArgumentErrors pins that a bad page size or cursor is a GraphQL
// BAD_USER_INPUT error naming the argument (never a silent first page),
// while the legacy routes keep their legacy messages.
func TestPageArgumentErrors(t *testing.T) {
	srv := resttest.Start(t)
	a := srv.Onboard("Alice")
	cases := []struct{ query, arg string }{
		{`{ viewer { blockedUsers(first: 0) { edges { cursor } } } }`, "first"},
		{`{ viewer { cardHolder(first: 101) { edges { cursor } } } }`, "first"},
		{`{ viewer { blockedUsers(after: "zzz") { edges { cursor } } } }`, "after"},
		{`{ viewer { clubs(after: "1614421213477") { edges { cursor } } } }`, "after"},
		{`{ viewer { messages(after: "ten") { edges { cursor } } } }`, "after"},
		{`{ roomFeed(after: "1614421213477") { edges { cursor } } }`, "after"},
		{`{ events(after: "x:y") { edges { cursor } } }`, "after"},
	}
	for _, c := range cases {
		r := a.GraphQL(c.query, nil)
		msg, ext := gqlErr(t, r)
		if ext["code"] != "BAD_USER_INPUT" || ext["argument"] != c.arg || !strings.HasPrefix(msg, c.arg) {
			t.Errorf("%s: %s %v", c.query, msg, ext)
		}
	}
	a.Get("/user/block", P{"count": 0}).MustFail(t, "count只能在0到100之间", 0)
	a.Get("/club", P{"count": 101}).MustFail(t, "count只能在0到100之间", 0)
	a.Get("/user/message", P{"count": 10, "lastId": "ten"}).MustFail(t, "lastId类型不正确", 0)
}
