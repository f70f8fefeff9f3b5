package rest_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"chaoqer/app"
	"chaoqer/ent/account"
	"chaoqer/ent/presence"
	"chaoqer/graph/ids"
	"chaoqer/rest/resttest"
)

// roomMsg is a message received from a room.
type roomMsg struct {
	Event  string          `json:"event"`
	Sender string          `json:"sender"`
	Action json.RawMessage `json:"action"`
	Data   json.RawMessage `json:"data"`
	raw    string
}

func (m roomMsg) action() string {
	var s string
	_ = json.Unmarshal(m.Action, &s)
	return s
}

// role reads the role in a member JSON string (connection join/update).
func (m roomMsg) role(t *testing.T) int {
	t.Helper()
	var s string
	var member struct{ Role int }
	if json.Unmarshal(m.Data, &s) != nil || json.Unmarshal([]byte(s), &member) != nil {
		t.Fatalf("no member entry in %s", m.raw)
	}
	return member.Role
}

// roomClient is a room member: a legacy WebSocket or a GraphQL subscription.
type roomClient struct {
	t      *testing.T
	name   string
	conn   *websocket.Conn
	msgs   chan roomMsg
	closed chan struct{}
}

func auth(c *resttest.Client) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(c.UID+":"+c.Token))
}

func wsURL(httpURL string) string { return "ws" + strings.TrimPrefix(httpURL, "http") }

// dialRoom connects c to the legacy room WebSocket at url.
func dialRoom(t *testing.T, name, url, authorization string) *roomClient {
	t.Helper()
	h := http.Header{}
	if authorization != "" {
		h.Set("Authorization", authorization)
	}
	conn, _, err := websocket.Dial(context.Background(), url, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	rc := &roomClient{t: t, name: name, conn: conn, msgs: make(chan roomMsg, 100), closed: make(chan struct{})}
	go func() {
		defer close(rc.closed)
		defer close(rc.msgs)
		for {
			_, b, err := conn.Read(context.Background())
			if err != nil {
				return
			}
			rc.msgs <- parseRoomMsg(t, b)
		}
	}()
	t.Cleanup(func() { conn.CloseNow() })
	return rc
}

func parseRoomMsg(t *testing.T, b []byte) roomMsg {
	var m roomMsg
	if err := json.Unmarshal(b, &m); err != nil {
		t.Errorf("not JSON: %s", b)
	}
	m.raw = string(b)
	return m
}

// subscribeRoom joins a room through the GraphQL roomEvents subscription
// (graphql-transport-ws), authenticated in connection_init.
func subscribeRoom(t *testing.T, name string, srv *resttest.Server, c *resttest.Client, room string) *roomClient {
	t.Helper()
	ctx := context.Background()
	conn, _, err := websocket.Dial(ctx, wsURL(srv.URL)+"/graphql", &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatalf("dial graphql: %v", err)
	}
	t.Cleanup(func() { conn.CloseNow() })
	send := func(v any) {
		b, _ := json.Marshal(v)
		if err := conn.Write(ctx, websocket.MessageText, b); err != nil {
			t.Fatalf("graphql ws write: %v", err)
		}
	}
	send(map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": auth(c)}})
	_, b, err := conn.Read(ctx)
	if err != nil || !strings.Contains(string(b), `"connection_ack"`) {
		t.Fatalf("no ack: %s %v", b, err)
	}
	send(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{
		"query":     `subscription($r: ID!) { roomEvents(roomId: $r) { event sender action data frame } }`,
		"variables": map[string]any{"r": room},
	}})
	rc := &roomClient{t: t, name: name, conn: conn, msgs: make(chan roomMsg, 100), closed: make(chan struct{})}
	go func() {
		defer close(rc.closed)
		defer close(rc.msgs)
		for {
			_, b, err := conn.Read(ctx)
			if err != nil {
				return
			}
			var m struct {
				Type    string
				Payload json.RawMessage
			}
			_ = json.Unmarshal(b, &m)
			switch m.Type {
			case "next":
				var p struct {
					Data struct {
						RoomEvents struct {
							Event string
							Frame string
						}
					}
					Errors []any
				}
				_ = json.Unmarshal(m.Payload, &p)
				if len(p.Errors) > 0 {
					t.Errorf("%s: subscription errors %s", name, m.Payload)
					return
				}
				ev := parseRoomMsg(t, []byte(p.Data.RoomEvents.Frame))
				if ev.Event != p.Data.RoomEvents.Event {
					t.Errorf("typed event %q vs frame %s", p.Data.RoomEvents.Event, ev.raw)
				}
				rc.msgs <- ev
			case "ping":
				send(map[string]any{"type": "pong"})
			case "complete", "error":
				if m.Type == "error" {
					t.Errorf("%s: subscription error %s", name, m.Payload)
				}
				return
			}
		}
	}()
	return rc
}

func (rc *roomClient) next() roomMsg {
	rc.t.Helper()
	select {
	case m, ok := <-rc.msgs:
		if !ok {
			rc.t.Fatalf("%s: connection ended", rc.name)
		}
		return m
	case <-time.After(10 * time.Second):
		rc.t.Fatalf("%s: no message", rc.name)
	}
	return roomMsg{}
}

// expect reads the next message and checks it.
func (rc *roomClient) expect(event, action, sender string) roomMsg {
	rc.t.Helper()
	m := rc.next()
	if m.Event != event || m.action() != action || m.Sender != sender {
		rc.t.Fatalf("%s: want %s/%s from %s, got %s", rc.name, event, action, sender, m.raw)
	}
	return m
}

func (rc *roomClient) joined(sender string, host bool) {
	rc.t.Helper()
	rc.expect("connected", "", sender)
	rc.expect("pin", "list", sender)
	rc.expect("connection", "join", sender)
	if host {
		rc.expect("invite", "list", sender)
	}
}

func (rc *roomClient) send(frame string) {
	rc.t.Helper()
	if err := rc.conn.Write(context.Background(), websocket.MessageText, []byte(frame)); err != nil {
		rc.t.Fatalf("%s: write: %v", rc.name, err)
	}
}

// ended waits until the server closed the connection (or the subscription
// completed) after any remaining messages.
func (rc *roomClient) ended() {
	rc.t.Helper()
	select {
	case <-rc.closed:
	case <-time.After(10 * time.Second):
		rc.t.Fatalf("%s: still open", rc.name)
	}
}

func frame(event, sender, action string, data any) string {
	b, _ := json.Marshal(map[string]any{"event": event, "sender": sender, "action": action, "data": data})
	return string(b)
}

func newRoom(t *testing.T, srv *resttest.Server, owner string) string {
	t.Helper()
	id, now := ids.New(), time.Now().UnixMilli()
	srv.App.DB.Client.Room.Create().SetID(id).SetUID(owner).SetCreateTime(now).SetSequenceID(ids.Seq(now, id)).
		SaveX(context.Background())
	return id
}

func fastRooms(c *app.Config) { c.Room.CloseGrace = 100 * time.Millisecond }

// TestLiveRoomFlow drives two legacy sockets and one GraphQL subscription
// through a room's life (spec Appendix B flow 3).
func TestLiveRoomFlow(t *testing.T) {
	srv := resttest.Start(t, fastRooms)
	alice, bob, carol := srv.Onboard("Alice"), srv.Onboard("Bob"), srv.Onboard("Carol")
	room := newRoom(t, srv, alice.UID)
	url := wsURL(srv.URL) + "/room-ws/" + room

	a := dialRoom(t, "alice", url, auth(alice))
	a.joined(alice.UID, true)
	b := dialRoom(t, "bob", url, auth(bob))
	b.joined(bob.UID, false)
	if a.expect("connection", "join", bob.UID).role(t) != 0 {
		t.Fatal("bob is audience")
	}
	c := subscribeRoom(t, "carol", srv, carol, room)
	c.joined(carol.UID, false)
	a.expect("connection", "join", carol.UID)
	b.expect("connection", "join", carol.UID)

	// REST/GraphQL reads see the presence: liveRoom lists the three.
	res := carol.GraphQL(`query($r: ID!) { liveRoom(roomId: $r) { members { uid role user { nickname } } raisedHands } }`, map[string]any{"r": room})
	if !strings.Contains(string(res.Raw), `"role":"HOST","user":{"nickname":"Alice"}`) || strings.Count(string(res.Raw), `"uid"`) != 3 {
		t.Fatalf("liveRoom: %s", res.Raw)
	}

	// Bob raises a hand (hosts only hear it), Alice invites him (only he
	// hears it), Bob accepts with a numeric-string action: everyone sees him
	// become a speaker, and nobody heard what was not theirs.
	b.send(frame("invite", bob.UID, "request", nil))
	a.expect("invite", "request", bob.UID)
	a.send(frame("invite", alice.UID, "response", bob.UID))
	b.expect("invite", "response", alice.UID)
	b.send(`{"event":"role","sender":"` + bob.UID + `","action":"1","data":"` + bob.UID + `"}`)
	for _, rc := range []*roomClient{a, b, c} {
		if rc.expect("connection", "update", bob.UID).role(t) != 1 {
			t.Fatal("bob is a speaker")
		}
	}

	// Carol raises a hand through a mutation; a chat from Bob reaches all.
	res = carol.GraphQL(`mutation($r: ID!) { raiseHand(roomId: $r) { message applied } }`, map[string]any{"r": room})
	if !strings.Contains(string(res.Raw), `"applied":true`) {
		t.Fatalf("raiseHand: %s", res.Raw)
	}
	a.expect("invite", "request", carol.UID)
	chat := `{"event":"chat","sender":"` + bob.UID + `","data":"hi & <bye>"}`
	b.send(chat)
	for _, rc := range []*roomClient{a, b, c} {
		if m := rc.expect("chat", "", bob.UID); m.raw != chat {
			t.Fatalf("chat relayed as sent: %s", m.raw)
		}
	}

	// Alice leaves: Bob (the only speaker) becomes host and gets the hands.
	a.conn.Close(websocket.StatusNormalClosure, "")
	for _, rc := range []*roomClient{b, c} {
		rc.expect("connection", "leave", alice.UID)
		if rc.expect("connection", "update", bob.UID).role(t) != 2 {
			t.Fatal("bob promoted")
		}
	}
	if m := b.expect("invite", "list", bob.UID); string(m.Data) != `["`+carol.UID+`"]` {
		t.Fatalf("hands for the new host: %s", m.raw)
	}

	// Bob, the last host, leaves with no speaker left: the room closes and
	// Carol, still listening, is told and disconnected.
	b.conn.Close(websocket.StatusNormalClosure, "")
	c.expect("connection", "leave", bob.UID)
	c.expect("close", "", "")
	c.ended()
	r := srv.App.DB.Client.Room.GetX(context.Background(), room)
	if !r.Closed || r.CloseTime == nil {
		t.Fatal("room closed")
	}
	if n := srv.App.DB.Client.Presence.Query().CountX(context.Background()); n != 0 {
		t.Fatalf("presence left: %d", n)
	}
	// A closed room refuses new connections.
	late := dialRoom(t, "late", url, auth(carol))
	late.expect("close", "", "")
	late.ended()
}

func TestLiveRoomReplacedConnectionAndIdleTimeout(t *testing.T) {
	srv := resttest.Start(t, fastRooms, func(c *app.Config) {
		c.Room.IdleTimeout = 300 * time.Millisecond
		c.Room.WSAddr = "127.0.0.1:0"
	})
	alice := srv.Onboard("Alice")
	room := newRoom(t, srv, alice.UID)
	// The second listener serves the original path shape /{roomId}.
	first := dialRoom(t, "first", "ws://"+srv.App.RoomWSAddr+"/"+room, auth(alice))
	first.joined(alice.UID, true)
	second := dialRoom(t, "second", wsURL(srv.URL)+"/room-ws/"+room, auth(alice))
	first.expect("close", "", "")
	first.ended()
	m := second.expect("connected", "", alice.UID)
	var members map[string]string
	_ = json.Unmarshal(m.Data, &members)
	if !strings.Contains(members[alice.UID], `"role":2`) {
		t.Fatalf("the new connection keeps the host role: %s", m.raw)
	}
	second.expect("pin", "list", alice.UID)
	second.expect("connection", "join", alice.UID)
	second.expect("invite", "list", alice.UID)
	if n := srv.App.DB.Client.Presence.Query().Where(presence.RoomID(room)).CountX(context.Background()); n != 1 {
		t.Fatalf("one presence row, got %d", n)
	}
	// Silent for longer than the idle timeout: the server hangs up, and the
	// leave closes the room (last host, no speaker).
	second.ended()
	deadline := time.Now().Add(10 * time.Second)
	for !srv.App.DB.Client.Room.GetX(context.Background(), room).Closed {
		if time.Now().After(deadline) {
			t.Fatal("idle connection's leave was not processed")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestLiveRoomRejections(t *testing.T) {
	srv := resttest.Start(t, fastRooms)
	alice, frozen := srv.Onboard("Alice"), srv.Onboard("Frozen")
	newbie := srv.Login() // profile not set up
	room := newRoom(t, srv, alice.UID)
	url := wsURL(srv.URL) + "/room-ws/" + room
	srv.App.DB.Client.Account.Update().Where(account.ID(frozen.UID)).SetStatus(-2).ExecX(context.Background())
	srv.App.Resolver.Accounts.Forget(frozen.UID)
	for name, h := range map[string]string{
		"no header": "", "garbage": "Basic !!!", "wrong token": "Basic " + base64.StdEncoding.EncodeToString([]byte(alice.UID+":nope")),
		"frozen": auth(frozen), "no profile": auth(newbie),
	} {
		rc := dialRoom(t, name, url, h)
		rc.expect("close", "", "")
		rc.ended()
	}
	for name, u := range map[string]string{"unknown room": wsURL(srv.URL) + "/room-ws/" + ids.New(), "bad id": wsURL(srv.URL) + "/room-ws/xyz"} {
		rc := dialRoom(t, name, u, auth(alice))
		rc.expect("close", "", "")
		rc.ended()
	}
	// Malformed and oversized frames: the former are ignored, the latter end the socket.
	a := dialRoom(t, "alice", url, auth(alice))
	a.joined(alice.UID, true)
	a.send("not json")
	a.send(`{"event":"chat"}`)
	a.send(`{"event":"chat","sender":"` + ids.New() + `"}`)
	a.send(`{"event":"chat","sender":"` + alice.UID + `","data":1}`)
	if m := a.next(); string(m.Data) != "1" {
		t.Fatalf("only the valid frame is relayed: %s", m.raw)
	}
	a.send(`{"event":"chat","sender":"` + alice.UID + `","data":"` + strings.Repeat("x", 20000) + `"}`)
	a.ended()
}

func TestLiveRoomGraphQLNeedsMembership(t *testing.T) {
	srv := resttest.Start(t, fastRooms)
	alice := srv.Onboard("Alice")
	room := newRoom(t, srv, alice.UID)
	res := alice.GraphQL(`mutation($r: ID!) { raiseHand(roomId: $r) { applied } }`, map[string]any{"r": room})
	if !strings.Contains(string(res.Raw), "你不在此活动中") {
		t.Fatalf("not a member: %s", res.Raw)
	}
	res = alice.GraphQL(`mutation($r: ID!) { raiseHand(roomId: $r) { applied } }`, map[string]any{"r": ids.New()})
	if !strings.Contains(string(res.Raw), "活动已解散") {
		t.Fatalf("unknown room: %s", res.Raw)
	}
	anon := srv.Anonymous()
	res = anon.GraphQL(`query($r: ID!) { liveRoom(roomId: $r) { roomId } }`, map[string]any{"r": room})
	if res.HTTP != 200 || !strings.Contains(string(res.Raw), "errors") {
		t.Fatalf("login needed: %s", res.Raw)
	}
}

// TestLiveRoomAcrossInstances runs two servers on one PostgreSQL database:
// a join on one reaches a subscriber on the other (LISTEN/NOTIFY), small
// and oversized (stored, sent by reference) messages alike.
func TestLiveRoomAcrossInstances(t *testing.T) {
	if !strings.HasPrefix(os.Getenv("DATABASE_URL"), "postgres") {
		t.Skip("needs DATABASE_URL=postgres://…")
	}
	one := resttest.Start(t, fastRooms)
	two := resttest.Start(t, fastRooms, func(c *app.Config) { c.DatabaseURL = one.App.Config.DatabaseURL })
	if one.App.Live.InstanceID() == two.App.Live.InstanceID() {
		t.Fatal("instances need distinct ids")
	}
	alice, bob := one.Onboard("Alice"), one.Onboard("Bob")
	room := newRoom(t, one, alice.UID)

	a := subscribeRoom(t, "alice@two", two, alice, room)
	a.joined(alice.UID, true)
	b := dialRoom(t, "bob@one", wsURL(one.URL)+"/room-ws/"+room, auth(bob))
	m := b.expect("connected", "", bob.UID)
	if !strings.Contains(string(m.Data), alice.UID) {
		t.Fatalf("bob sees alice, connected elsewhere: %s", m.raw)
	}
	b.expect("pin", "list", bob.UID)
	b.expect("connection", "join", bob.UID)
	a.expect("connection", "join", bob.UID)

	big := `{"event":"chat","sender":"` + bob.UID + `","data":"` + strings.Repeat("長", 3500) + `"}`
	b.send(big)
	if got := a.expect("chat", "", bob.UID); got.raw != big {
		t.Fatal("an oversized message arrives whole")
	}
	b.expect("chat", "", bob.UID)
	b.send(frame("invite", bob.UID, "request", nil))
	a.expect("invite", "request", bob.UID)

	b.conn.Close(websocket.StatusNormalClosure, "")
	a.expect("connection", "leave", bob.UID)
}

// TestLiveRoomPrivacy: a private room's socket, like its reads and token, is
// only for its creator, invited users and users already in it (spec §12 S5).
func TestLiveRoomPrivacy(t *testing.T) {
	srv := resttest.Start(t, fastRooms)
	alice, bob, eve := srv.Onboard("Alice"), srv.Onboard("Bob"), srv.Onboard("Eve")
	room := obj(t, alice.Post("/room", P{"name": "私密", "inviteOnly": 1}).MustOK(t))["roomId"].(string)
	url := wsURL(srv.URL) + "/room-ws/" + room
	a := dialRoom(t, "alice", url, auth(alice))
	a.joined(alice.UID, true)
	stranger := dialRoom(t, "eve", url, auth(eve))
	stranger.expect("close", "", "")
	stranger.ended()
	alice.Post("/room/"+room+"/invite/"+bob.UID, nil).MustOK(t)
	b := dialRoom(t, "bob", url, auth(bob))
	b.joined(bob.UID, false)
}
