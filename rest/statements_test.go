package rest_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"chaoqer/ent"
	"chaoqer/graph/ids"
	"chaoqer/rest/resttest"
)

// seedRelations gives viewer n blocked users, n cards and n messages from
// n other users, straight into the database.
func seedRelations(t *testing.T, srv *resttest.Server, viewer string, n int) {
	t.Helper()
	ctx := context.Background()
	db := srv.App.DB.Client
	others := srv.SeedUsers(n)
	now := time.Now().UnixMilli()
	blocks := make([]*ent.BlockCreate, n)
	cards := make([]*ent.CardCreate, n)
	msgs := make([]*ent.MessageCreate, n)
	for i, u := range others {
		at := now - int64(n-i)
		blocks[i] = db.Block.Create().SetUID(viewer).SetTargetUID(u).SetCreateTime(at).SetSequenceID(ids.Seq(at, u))
		cards[i] = db.Card.Create().SetHolderUID(viewer).SetSenderUID(u).SetCreateTime(at).SetSequenceID(ids.Seq(at, u))
		body, _ := json.Marshal(map[string]string{"title": "t", "content": "c", "url": "chaoqer://profile/" + u})
		msgs[i] = db.Message.Create().SetUID(viewer).SetOriginPushType(2).SetOriginUID(u).SetBody(string(body)).
			SetCreateTime(at).SetUpdateTime(at)
	}
	if err := db.Block.CreateBulk(blocks...).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.Card.CreateBulk(cards...).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.Message.CreateBulk(msgs...).Exec(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestListsCostConstantStatements pins that nested profiles are batched: a
// page of 100 items costs as many SQL statements as a page of 2, through
// REST and GraphQL.
func TestListsCostConstantStatements(t *testing.T) {
	srv := resttest.Start(t)
	a := srv.Onboard("Viewer")
	seedRelations(t, srv, a.UID, 100)
	a.Get("/user/message/unread_total", nil).MustOK(t) // caches the session

	restCost := func(path string, count int) int {
		r := a.Get(path, P{"count": count})
		items := list(t, r.MustOK(t))
		if len(items) != count {
			t.Fatalf("%s count %d: %d items", path, count, len(items))
		}
		for _, it := range items {
			key := "userProfileResult"
			if path == "/user/message" {
				continue // message items carry no profile in the legacy shape
			}
			if _, ok := it[key]; !ok {
				t.Fatalf("%s item without profile: %v", path, it)
			}
		}
		return r.Statements()
	}
	for _, path := range []string{"/user/block", "/user/card", "/user/message"} {
		small, big := restCost(path, 2), restCost(path, 100)
		if small != big || big > 3 {
			t.Errorf("REST %s: %d statements for 2 items, %d for 100 (want equal, at most 3)", path, small, big)
		}
	}

	const q = `query($n: Int!) { viewer {
		blockedUsers(first: $n) { edges { cursor node { uid user { uid nickname viewerHasBlocked cardTotal } } } }
		cardHolder(first: $n) { edges { cursor node { uid user { uid nickname viewerSentCard } } } }
		messages(first: $n) { edges { node { messageId origin { uid nickname } } } }
	} }`
	gqlCost := func(n int) int {
		r := a.GraphQL(q, map[string]any{"n": n})
		if r.HTTP != 200 || r.Body["errors"] != nil {
			t.Fatalf("graphql: %s", r)
		}
		v := obj(t, obj(t, r.Body["data"])["viewer"])
		for _, field := range []string{"blockedUsers", "cardHolder", "messages"} {
			edges, _ := obj(t, v[field])["edges"].([]any)
			if len(edges) != n {
				t.Fatalf("%s: %d edges, want %d", field, len(edges), n)
			}
		}
		return r.Statements()
	}
	small, big := gqlCost(2), gqlCost(100)
	// Three lists, one profile batch shared by all of them, one read-marking update.
	if small != big || big > 6 {
		t.Errorf("GraphQL: %d statements for pages of 2, %d for pages of 100 (want equal, at most 6)", small, big)
	}
	t.Logf("GraphQL viewer lists: %d statements", big)
}
