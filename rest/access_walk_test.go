package rest_test

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/ast"

	"chaoqer/ent/roominvite"
	"chaoqer/ent/roompin"
	"chaoqer/ent/sharesnapshot"
	"chaoqer/graph"
	"chaoqer/graph/relay"
	"chaoqer/rest/resttest"
)

// roomTakingFields lists, as "Type.field", every field of the executable
// schema that takes a room (an argument roomId, directly or inside an input
// object) or can return one (type Room, or an interface or union Room
// belongs to, such as a Relay Node).
func roomTakingFields(s *ast.Schema) []string {
	returnsRoom := map[string]bool{"Room": true}
	for _, iface := range s.GetImplements(s.Types["Room"]) {
		returnsRoom[iface.Name] = true
	}
	var takesRoom func(t *ast.Type, seen map[string]bool) bool
	takesRoom = func(t *ast.Type, seen map[string]bool) bool {
		def := s.Types[t.Name()]
		if def == nil || def.Kind != ast.InputObject || seen[def.Name] {
			return false
		}
		seen[def.Name] = true
		for _, f := range def.Fields {
			if f.Name == "roomId" || takesRoom(f.Type, seen) {
				return true
			}
		}
		return false
	}
	var out []string
	for name, def := range s.Types {
		if strings.HasPrefix(name, "__") || (def.Kind != ast.Object && def.Kind != ast.Interface) {
			continue
		}
		for _, f := range def.Fields {
			hit := returnsRoom[f.Type.Name()]
			for _, a := range f.Arguments {
				hit = hit || a.Name == "roomId" || takesRoom(a.Type, map[string]bool{})
			}
			if hit && !strings.HasPrefix(f.Name, "__") {
				out = append(out, name+"."+f.Name)
			}
		}
	}
	for name, def := range s.Types {
		if def.Kind == ast.Union {
			for _, t := range def.Types {
				if t == "Room" {
					returnsRoom[name] = true
					out = append(out, name+" (union with Room): add the fields returning it")
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// strangerCall is how a logged-in stranger reaches a room-taking field with
// a room they may not reach ($room; $uid is the stranger's own uid).
type strangerCall struct {
	// docs are the operations to send; each must be refused or hide the room.
	docs []string
	// hidden: the field is reached through a list or a parent; the answer
	// must have no errors and mention the room nowhere. Otherwise the
	// answer must be errorCode 400000 with the field null.
	hidden bool
	// subscription: sent over graphql-transport-ws.
	subscription bool
}

// strangerCalls is the table of every room-taking field; a field missing
// from it fails TestStrangerReachesNoRoom, so a new field gets its row.
var strangerCalls = map[string]strangerCall{
	"Query.room":         {docs: []string{`query($room: ID!) { room(roomId: $room) { roomId name members { uid } memberTotal } }`}},
	"Query.roomToken":    {docs: []string{`query($room: ID!) { roomToken(roomId: $room) { token } }`}},
	"Query.liveRoom":     {docs: []string{`query($room: ID!) { liveRoom(roomId: $room) { members { uid } pins { md5 } live raisedHands } }`}},
	"Mutation.closeRoom": {docs: []string{`mutation($room: ID!) { closeRoom(roomId: $room) { message } }`}},
	"Mutation.inviteToRoom": {docs: []string{
		`mutation($room: ID!, $uid: ID!) { inviteToRoom(roomId: $room, uid: $uid) { message } }`}},
	"Mutation.shareRoom":     {docs: []string{`mutation($room: ID!) { shareRoom(roomId: $room) { roomCacheId } }`}},
	"Mutation.leaveRoom":     {docs: []string{`mutation($room: ID!) { leaveRoom(roomId: $room) { applied } }`}},
	"Mutation.raiseHand":     {docs: []string{`mutation($room: ID!) { raiseHand(roomId: $room) { applied } }`}},
	"Mutation.inviteToSpeak": {docs: []string{`mutation($room: ID!, $uid: ID!) { inviteToSpeak(roomId: $room, uid: $uid) { applied } }`}},
	"Mutation.setLiveRole": {docs: []string{
		`mutation($room: ID!, $uid: ID!) { setLiveRole(roomId: $room, uid: $uid, role: HOST) { applied } }`}},
	"Mutation.pinLiveItem": {docs: []string{
		`mutation($room: ID!) { pinLiveItem(input: {roomId: $room, md5: "0123456789abcdef0123456789abcdef", tool: "image", toolData: "x"}) { applied } }`}},
	"Mutation.unpinLiveItem": {docs: []string{`mutation($room: ID!) { unpinLiveItem(roomId: $room, md5: "0123456789abcdef0123456789abcdef") { applied } }`}},
	"Mutation.setLive":       {docs: []string{`mutation($room: ID!) { setLive(roomId: $room, action: OPEN) { applied } }`}},
	"Mutation.showLiveTool":  {docs: []string{`mutation($room: ID!) { showLiveTool(roomId: $room, tool: ICON, data: "x") { applied } }`}},
	"Mutation.muteLive":      {docs: []string{`mutation($room: ID!) { muteLive(roomId: $room, data: "x") { applied } }`}},
	"Mutation.sendLiveMessage": {docs: []string{
		`mutation($room: ID!) { sendLiveMessage(input: {roomId: $room, event: "chat", data: "hi"}) { applied } }`}},
	"Subscription.roomEvents": {subscription: true, docs: []string{`subscription($room: ID!) { roomEvents(roomId: $room) { event frame } }`}},
	// Reached through parents: the room must not show.
	"RoomEntry.room": {hidden: true, docs: []string{
		`{ roomFeed(first: 100) { edges { node { roomId room { roomId members { uid } } } } } }`}},
	"Event.room": {hidden: true, docs: []string{
		`query($event: ID!) { event(eventId: $event) { name room { roomId members { uid } } } }`,
		`query($event: ID!) { publicEvent(eventId: $event) { name room { roomId members { uid } } } }`}},
	// Relay refetch: a room the viewer may not reach is null, as for
	// Query.room (Relay's convention for hidden nodes: no error).
	"Query.node": {hidden: true, docs: []string{
		`query($node: ID!) { node(id: $node) { id ... on Room { roomId members { uid } } } }`}},
	"Query.nodes": {hidden: true, docs: []string{
		`query($node: ID!) { nodes(ids: [$node]) { id ... on Room { roomId members { uid } } } }`}},
	// The caller's own new room only: a stranger's createRoom cannot
	// return anybody else's room.
	"RoomPayload.room": {hidden: true, docs: []string{`mutation($name: String) { createRoom(input: {name: $name}) { room { roomId } } }`}},
}

// TestStrangerReachesNoRoom walks every room-taking field of the schema as
// a logged-in stranger, against a private room and a club room (each with
// its creator connected and bound to an event), and anonymously, then
// every legacy route with a :roomId and the legacy room socket: all refuse
// with 400000 (or hide the room), and nothing changes in the rooms.
func TestStrangerReachesNoRoom(t *testing.T) {
	srv := resttest.Start(t, fastRooms)
	alice, eve, anon := srv.Onboard("Alice"), srv.Onboard("Eve"), srv.Anonymous()
	cid := obj(t, alice.Post("/club", P{"name": "圈", "cover": "c"}).MustOK(t))["clubId"].(string)
	targets := map[string]string{
		"private": obj(t, alice.Post("/room", P{"name": "私密", "inviteOnly": 1}).MustOK(t))["roomId"].(string),
		"club":    obj(t, alice.Post("/room", P{"name": "圈内", "clubId": cid}).MustOK(t))["roomId"].(string),
	}
	ctx := context.Background()
	events := map[string]string{}
	for kind, rid := range targets {
		connect(t, srv, rid, alice.UID, 2, 1)
		ev := obj(t, alice.Post("/event", P{"name": "日程 " + kind, "eventTime": time.Now().Add(time.Hour).UnixMilli(),
			"memberUidList": []string{alice.UID}}).MustOK(t))
		eid := ev["eventId"].(string)
		srv.App.DB.Client.Event.UpdateOneID(eid).SetRoomID(rid).ExecX(ctx)
		events[kind] = eid
	}

	fields := roomTakingFields(graph.NewSchema(srv.App.Resolver).Schema())
	found := map[string]bool{}
	for _, f := range fields {
		found[f] = true
	}
	for f := range strangerCalls {
		if !found[f] {
			t.Errorf("strangerCalls has %s, which the walk did not find (stale row, or the walk misses it): %v", f, fields)
		}
	}
	for _, field := range fields {
		call, ok := strangerCalls[field]
		if !ok {
			t.Errorf("%s takes or returns a room but has no row in strangerCalls: add how a stranger calls it", field)
			continue
		}
		for kind, rid := range targets {
			vars := map[string]any{"room": rid, "node": relay.ID(relay.Room, rid), "uid": eve.UID, "event": events[kind], "name": "mine " + kind}
			for _, doc := range call.docs {
				used := map[string]any{}
				for k, v := range vars {
					if strings.Contains(doc, "$"+k) {
						used[k] = v
					}
				}
				name := field + " on the " + kind + " room"
				if !call.subscription {
					// Anonymous callers (share pages) learn nothing either.
					if r := anon.GraphQL(doc, used); r.HTTP >= 500 || strings.Contains(string(r.Raw), rid) {
						t.Errorf("%s, anonymous: %s", name, r)
					}
				}
				switch {
				case call.subscription:
					if got := subscribeOnce(t, srv, eve, doc, used); !strings.Contains(got, `"errorCode":400000`) {
						t.Errorf("%s: %s", name, got)
					}
				case call.hidden:
					r := eve.GraphQL(doc, used)
					if r.HTTP != 200 || r.Body["errors"] != nil || strings.Contains(string(r.Raw), rid) {
						t.Errorf("%s shows the room: %s", name, r)
					}
				default:
					r := eve.GraphQL(doc, used)
					_, ext := gqlErr(t, r)
					top := strings.SplitN(field, ".", 2)[1]
					if data, _ := r.Body["data"].(map[string]any); ext["errorCode"] != json.Number("400000") || (data != nil && data[top] != nil) {
						t.Errorf("%s not refused with 400000: %s", name, r)
					}
				}
			}
		}
	}

	// Every legacy route that takes a :roomId, as the route table has them.
	routes := 0
	for _, rt := range srv.App.Engine.Routes() {
		// HEAD runs the GET route without a body: GET covers it.
		if !strings.Contains(rt.Path, ":roomId") || strings.HasPrefix(rt.Path, "/room-ws/") || rt.Method == "HEAD" {
			continue
		}
		routes++
		for kind, rid := range targets {
			path := strings.NewReplacer(":roomId", rid, ":uid", eve.UID).Replace(rt.Path)
			r := eve.Call(rt.Method, path, nil, nil)
			if r.ErrorCode() != 400000 || r.Message() != "活动已解散" {
				t.Errorf("%s %s on the %s room: %s", rt.Method, rt.Path, kind, r)
			}
		}
	}
	if routes < 7 {
		t.Errorf("only %d legacy room routes found", routes)
	}
	// The legacy room socket answers close and ends.
	for kind, rid := range targets {
		ws := dialRoom(t, "eve@"+kind, wsURL(srv.URL)+"/room-ws/"+rid, auth(eve))
		ws.expect("close", "", "")
		ws.ended()
	}

	// Nothing changed: open, only Alice connected, no invitation, pin or
	// snapshot made by the stranger.
	for kind, rid := range targets {
		if closed, uids := roomState(t, srv, rid); closed || !sameStrings(uids, []string{alice.UID}) {
			t.Errorf("%s room changed: closed=%v connected=%v", kind, closed, uids)
		}
		c := srv.App.DB.Client
		if n := c.RoomInvite.Query().Where(roominvite.RoomID(rid)).CountX(ctx); n != 0 {
			t.Errorf("%s room: %d invitations", kind, n)
		}
		if n := c.RoomPin.Query().Where(roompin.RoomID(rid)).CountX(ctx); n != 0 {
			t.Errorf("%s room: %d pins", kind, n)
		}
		if n := c.ShareSnapshot.Query().Where(sharesnapshot.RoomID(rid)).CountX(ctx); n != 0 {
			t.Errorf("%s room: %d snapshots", kind, n)
		}
	}
}

// subscribeOnce sends one subscription over graphql-transport-ws as c and
// returns the payload of the first answer (next, error or complete).
func subscribeOnce(t *testing.T, srv *resttest.Server, c *resttest.Client, doc string, vars map[string]any) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, wsURL(srv.URL)+"/graphql", &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatalf("dial graphql: %v", err)
	}
	defer conn.CloseNow()
	send := func(v any) {
		b, _ := json.Marshal(v)
		if err := conn.Write(ctx, websocket.MessageText, b); err != nil {
			t.Fatalf("graphql ws write: %v", err)
		}
	}
	send(map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": auth(c)}})
	send(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": doc, "variables": vars}})
	for {
		_, b, err := conn.Read(ctx)
		if err != nil {
			t.Fatalf("graphql ws read: %v", err)
		}
		var m struct {
			Type    string
			Payload json.RawMessage
		}
		_ = json.Unmarshal(b, &m)
		switch m.Type {
		case "next", "error", "complete":
			return string(b)
		}
	}
}
