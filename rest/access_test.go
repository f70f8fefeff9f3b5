package rest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"testing"

	"chaoqer/ent"
	"chaoqer/ent/presence"
	entroom "chaoqer/ent/room"
	"chaoqer/graph/errs"
	"chaoqer/rest/resttest"
)

// roomState is what a refused request must leave unchanged: whether the
// room is closed and who is connected to it.
func roomState(t *testing.T, srv *resttest.Server, roomID string) (closed bool, connected []string) {
	t.Helper()
	ctx := context.Background()
	r, err := srv.App.DB.Client.Room.Query().Where(entroom.ID(roomID)).Only(ctx)
	if err != nil {
		t.Fatal(err)
	}
	uids, err := srv.App.DB.Client.Presence.Query().Where(presence.RoomID(roomID)).
		Order(presence.ByUID()).Select(presence.FieldUID).Strings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return r.Closed, uids
}

// TestSubscriptionOverHTTPRefused: a subscription sent as a plain HTTP
// request (POST or GET) is refused before it runs: roomEvents would join
// the room, answer one event, leave — and close the room of a creator who
// was its only host. The room stays open and nobody joins.
func TestSubscriptionOverHTTPRefused(t *testing.T) {
	srv := resttest.Start(t)
	alice, bob := srv.Onboard("Alice"), srv.Onboard("Bob")
	rid := obj(t, alice.Post("/room", P{"name": "mine"}).MustOK(t))["roomId"].(string)
	connect(t, srv, rid, bob.UID, 0, 7)
	doc := `subscription($r: ID!) { roomEvents(roomId: $r) { event } }`
	vars := map[string]any{"r": rid}

	check := func(name string, r *resttest.Response, status int) {
		t.Helper()
		msg, ext := gqlErr(t, r)
		if r.HTTP != status || ext["code"] != errs.ExtWebsocketRequired || msg == "" || r.Body["data"] != nil {
			t.Fatalf("%s: %s", name, r)
		}
		if closed, uids := roomState(t, srv, rid); closed || !sameStrings(uids, []string{bob.UID}) {
			t.Fatalf("%s: side effect: closed=%v connected=%v", name, closed, uids)
		}
	}
	// A request error: 200 under application/json (GraphQL over HTTP).
	check("POST", alice.GraphQL(doc, vars), http.StatusOK)

	b, _ := json.Marshal(map[string]any{"query": doc, "variables": vars})
	req, _ := http.NewRequest("POST", srv.URL+"/graphql", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/graphql-response+json")
	check("POST graphql-response+json", alice.Do(req), http.StatusBadRequest)

	// A forged Upgrade header does not make a POST a WebSocket (the
	// WebSocket transport refuses the failed handshake).
	req, _ = http.NewRequest("POST", srv.URL+"/graphql", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Upgrade", "websocket")
	if r := alice.Do(req); r.HTTP < 400 || r.HTTP >= 500 {
		t.Fatalf("POST with an Upgrade header: %s", r)
	}
	if closed, uids := roomState(t, srv, rid); closed || !sameStrings(uids, []string{bob.UID}) {
		t.Fatalf("Upgrade header: side effect: closed=%v connected=%v", closed, uids)
	}

	vb, _ := json.Marshal(vars)
	q := url.Values{"query": {doc}, "variables": {string(vb)}}
	req, _ = http.NewRequest("GET", srv.URL+"/graphql?"+q.Encode(), nil)
	check("GET", alice.Do(req), http.StatusOK)

	// Over a WebSocket the same subscription joins.
	sub := subscribeRoom(t, "alice", srv, alice, rid)
	sub.joined(alice.UID, true)
}

// TestDeletedClubClosesItsRooms: when the last member (the creator) leaves
// a club, the club is deleted and its open rooms close in the same
// transaction, through the rooms' close path: connected sockets get the
// close event. If that transaction fails, club and rooms stay as they were.
func TestDeletedClubClosesItsRooms(t *testing.T) {
	srv := resttest.Start(t, fastRooms)
	alice, bob := srv.Onboard("Alice"), srv.Onboard("Bob")
	cid := obj(t, alice.Post("/club", P{"name": "圈", "cover": "c"}).MustOK(t))["clubId"].(string)
	rid := obj(t, alice.Post("/room", P{"name": "圈内", "clubId": cid}).MustOK(t))["roomId"].(string)
	alice.Post("/room/"+rid+"/invite/"+bob.UID, nil).MustOK(t)
	url := wsURL(srv.URL) + "/room-ws/" + rid
	a := dialRoom(t, "alice", url, auth(alice))
	a.joined(alice.UID, true)
	b := dialRoom(t, "bob", url, auth(bob))
	b.joined(bob.UID, false)
	a.expect("connection", "join", bob.UID)

	// A failure inside the deleting transaction rolls everything back and
	// announces nothing.
	clubs := srv.App.Resolver.Clubs
	closeRooms := clubs.OnDelete
	clubs.OnDelete = func(ctx context.Context, tx *ent.Tx, clubID string) error {
		if err := closeRooms(ctx, tx, clubID); err != nil {
			return err
		}
		return errors.New("injected failure after the rooms closed")
	}
	if r := alice.Post("/club/"+cid+"/leave", nil); r.Status() == 1 {
		t.Fatalf("leave with a failing transaction: %s", r)
	}
	clubs.OnDelete = closeRooms
	alice.Get("/club/"+cid, nil).MustOK(t)
	if closed, uids := roomState(t, srv, rid); closed || !sameStrings(uids, sortedStrings(alice.UID, bob.UID)) {
		t.Fatalf("rolled back: closed=%v connected=%v", closed, uids)
	}
	b.send(frame("chat", bob.UID, "", "still here"))
	b.expect("chat", "", bob.UID) // no close event came before it
	a.expect("chat", "", bob.UID)

	resttest.Pause() // the refused call above was identical
	alice.Post("/club/"+cid+"/leave", nil).MustOK(t)
	alice.Get("/club/"+cid, nil).MustFail(t, "圈子不存在", 500000)
	if closed, uids := roomState(t, srv, rid); !closed || len(uids) != 0 {
		t.Fatalf("club room after the club went: closed=%v connected=%v", closed, uids)
	}
	for _, rc := range []*roomClient{a, b} {
		rc.expect("close", "", "")
		rc.ended()
	}
	alice.Get("/room/"+rid, nil).MustFail(t, "活动已解散", 400000)
}

func sortedStrings(s ...string) []string {
	sort.Strings(s)
	return s
}

// TestClubRoomAccess: a club room is for the club's members, its creator
// and invited users (spec §12 S5); others get 400000 as for a missing room.
func TestClubRoomAccess(t *testing.T) {
	srv := resttest.Start(t)
	alice, bob, carol := srv.Onboard("Alice"), srv.Onboard("Bob"), srv.Onboard("Carol")
	cid := obj(t, alice.Post("/club", P{"name": "圈", "cover": "c"}).MustOK(t))["clubId"].(string)
	rid := obj(t, alice.Post("/room", P{"name": "圈内", "clubId": cid}).MustOK(t))["roomId"].(string)
	connect(t, srv, rid, alice.UID, 2, 1)
	live := `query($r: ID!) { liveRoom(roomId: $r) { members { uid } } }`

	refused := func(c *resttest.Client) {
		t.Helper()
		c.Get("/room/"+rid, nil).MustFail(t, "活动已解散", 400000)
		c.Get("/room/"+rid+"/token", nil).MustFail(t, "活动已解散", 400000)
		if _, ext := gqlErr(t, c.GraphQL(live, map[string]any{"r": rid})); ext["errorCode"] != json.Number("400000") {
			t.Fatalf("liveRoom: %v", ext)
		}
	}
	allowed := func(c *resttest.Client) {
		t.Helper()
		if got := obj(t, c.Get("/room/"+rid, nil).MustOK(t)); got["clubId"] != cid {
			t.Fatalf("room %v", got)
		}
		c.Get("/room/"+rid+"/token", nil).MustOK(t)
		if d := gqlData(t, c.GraphQL(live, map[string]any{"r": rid})); !sameStrings(uidsOf(t, obj(t, d["liveRoom"])["members"]), []string{alice.UID}) {
			t.Fatalf("liveRoom %v", d)
		}
	}
	refused(bob)
	bob.Post("/club/"+cid+"/join", nil).MustOK(t)
	allowed(bob)
	// A member invites a non-member, who may then reach it too.
	refused(carol)
	bob.Post("/room/"+rid+"/invite/"+carol.UID, nil).MustOK(t)
	allowed(carol)
	// Leaving the club ends a member's access (Bob was not invited).
	bob.Post("/club/"+cid+"/leave", nil).MustOK(t)
	refused(bob)
}
