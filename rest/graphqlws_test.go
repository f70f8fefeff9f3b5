package rest_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"chaoqer/app"
	"chaoqer/graph/gqlws"
	"chaoqer/rest/resttest"
)

// gqlSocket is a raw graphql-transport-ws (or graphql-ws) client. A
// reader goroutine answers pings (while pong is set) and queues the rest.
type gqlSocket struct {
	t    *testing.T
	conn *websocket.Conn
	pong atomic.Bool
	msgs chan wsMsg
	code websocket.StatusCode // valid once msgs is closed
}

// wsMsg is one received message.
type wsMsg struct {
	Type    string          `json:"type"`
	ID      string          `json:"id"`
	Payload json.RawMessage `json:"payload"`
}

func dialGraphQL(t *testing.T, srv *resttest.Server, subprotocol string, h http.Header) *gqlSocket {
	t.Helper()
	conn, _, err := websocket.Dial(context.Background(), wsURL(srv.URL)+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{subprotocol}, HTTPHeader: h})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	if conn.Subprotocol() != subprotocol {
		t.Fatalf("negotiated %q, want %q", conn.Subprotocol(), subprotocol)
	}
	t.Cleanup(func() { conn.CloseNow() })
	s := &gqlSocket{t: t, conn: conn, msgs: make(chan wsMsg, 100)}
	s.pong.Store(true)
	go func() {
		defer close(s.msgs)
		for {
			_, b, err := conn.Read(context.Background())
			if err != nil {
				s.code = websocket.CloseStatus(err)
				return
			}
			var m wsMsg
			if err := json.Unmarshal(b, &m); err != nil {
				m.Type = "not JSON: " + string(b)
			}
			if m.Type == "ping" {
				if s.pong.Load() {
					_ = conn.Write(context.Background(), websocket.MessageText, []byte(`{"type":"pong"}`))
				}
				continue
			}
			s.msgs <- m
		}
	}()
	return s
}

func (s *gqlSocket) send(typ, id string, payload any) {
	s.t.Helper()
	m := map[string]any{"type": typ}
	if id != "" {
		m["id"] = id
	}
	if payload != nil {
		m["payload"] = payload
	}
	b, _ := json.Marshal(m)
	s.sendRaw(string(b))
}

func (s *gqlSocket) sendRaw(text string) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.conn.Write(ctx, websocket.MessageText, []byte(text)); err != nil {
		s.t.Fatalf("write: %v", err)
	}
}

// read returns the next message, or ok=false once the server closed the
// socket (s.code) or nothing came for wait.
func (s *gqlSocket) read(wait time.Duration) (m wsMsg, ok bool) {
	select {
	case m, ok = <-s.msgs:
		return m, ok
	case <-time.After(wait):
		return wsMsg{}, false
	}
}

// expect reads the next message (skipping graphql-ws keep-alives) and
// checks its type.
func (s *gqlSocket) expect(typ string) wsMsg {
	s.t.Helper()
	for {
		m, ok := s.read(10 * time.Second)
		if !ok {
			s.t.Fatalf("want %s, got nothing (close %d)", typ, s.code)
		}
		if m.Type == "ka" && typ != "ka" {
			continue
		}
		if m.Type != typ {
			s.t.Fatalf("want %s, got %+v", typ, m)
		}
		return m
	}
}

// closed reads until the server closes the socket and checks the code.
func (s *gqlSocket) closed(want websocket.StatusCode) {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, ok := s.read(time.Until(deadline)); ok {
			continue // messages sent before the close (e.g. results)
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("still open, want close %d", want)
		}
		if s.code != want {
			s.t.Fatalf("closed with %d, want %d", s.code, want)
		}
		return
	}
}

func (s *gqlSocket) init(authorization string) {
	s.t.Helper()
	var payload any
	if authorization != "" {
		payload = map[string]any{"Authorization": authorization}
	}
	s.send("connection_init", "", payload)
	s.expect("connection_ack")
}

const roomEventsDoc = `subscription($r: ID!) { roomEvents(roomId: $r) { event sender } }`

// TestGraphQLWSCloseCodes pins every close code of graphql-transport-ws
// (PROTOCOL.md of graphql-ws) the server uses.
func TestGraphQLWSCloseCodes(t *testing.T) {
	srv := resttest.Start(t, fastRooms, func(c *app.Config) { c.Room.WSInitTimeout = 200 * time.Millisecond })
	alice := srv.Onboard("Alice")
	wrong := "Basic " + base64.StdEncoding.EncodeToString([]byte(alice.UID+":nope"))
	// Each subscription joins a fresh room (a leave may close the room).
	sub := func(s *gqlSocket, id string) {
		room := newRoom(t, srv, alice.UID)
		s.send("subscribe", id, map[string]any{"query": roomEventsDoc, "variables": map[string]any{"r": room}})
	}
	const proto = gqlws.Subprotocol

	t.Run("bad credentials in connection_init: 4403", func(t *testing.T) {
		for _, h := range []string{wrong, "Basic !!!", "Bearer x"} {
			s := dialGraphQL(t, srv, proto, nil)
			s.send("connection_init", "", map[string]any{"Authorization": h})
			s.closed(gqlws.CloseForbidden)
		}
	})
	t.Run("bad credentials on the upgrade request: 4403", func(t *testing.T) {
		s := dialGraphQL(t, srv, proto, http.Header{"Authorization": {wrong}})
		s.send("connection_init", "", nil)
		s.closed(gqlws.CloseForbidden)
	})
	t.Run("subscribe before connection_init: 4401", func(t *testing.T) {
		s := dialGraphQL(t, srv, proto, nil)
		s.send("subscribe", "1", map[string]any{"query": "{ __typename }"})
		s.closed(gqlws.CloseUnauthorized)
	})
	t.Run("second connection_init: 4429", func(t *testing.T) {
		s := dialGraphQL(t, srv, proto, nil)
		s.init(auth(alice))
		s.send("connection_init", "", nil)
		s.closed(gqlws.CloseTooManyInitialisation)
	})
	t.Run("no connection_init in time: 4408", func(t *testing.T) {
		s := dialGraphQL(t, srv, proto, nil)
		s.closed(gqlws.CloseInitTimeout)
	})
	t.Run("duplicate subscription id: 4409", func(t *testing.T) {
		s := dialGraphQL(t, srv, proto, nil)
		s.init(auth(alice))
		sub(s, "a")
		if m := s.expect("next"); m.ID != "a" {
			t.Fatalf("next for a: %+v", m)
		}
		sub(s, "a")
		s.closed(gqlws.CloseSubscriberExists)
	})
	t.Run("unknown or malformed message: 4400", func(t *testing.T) {
		for _, text := range []string{
			`{"type":"hello"}`, `not json`, `{"type":"next","id":"1","payload":{}}`,
			`{"type":"subscribe","payload":{"query":"{ __typename }"}}`, // no id
			`{"type":"subscribe","id":"1","payload":{"variables":{}}}`,  // no query
		} {
			s := dialGraphQL(t, srv, proto, nil)
			s.init("")
			s.sendRaw(text)
			s.closed(gqlws.CloseBadRequest)
		}
	})
	t.Run("anonymous connection, operations, ping and complete", func(t *testing.T) {
		s := dialGraphQL(t, srv, proto, nil)
		s.init("")
		s.send("ping", "", nil)
		s.expect("pong")
		s.send("subscribe", "q", map[string]any{"query": "{ __typename }"})
		if m := s.expect("next"); m.ID != "q" || !strings.Contains(string(m.Payload), `"__typename":"Query"`) {
			t.Fatalf("query result: %s", m.Payload)
		}
		s.expect("complete")
		// A document that fails validation is an error message, and the
		// id is free again afterwards.
		s.send("subscribe", "q", map[string]any{"query": "{ nope }"})
		if m := s.expect("error"); m.ID != "q" || !strings.Contains(string(m.Payload), "nope") {
			t.Fatalf("validation error: %+v", m)
		}
		// roomEvents needs a login: an error result, then complete.
		sub(s, "q")
		if m := s.expect("next"); !strings.Contains(string(m.Payload), `"errors"`) {
			t.Fatalf("anonymous roomEvents: %s", m.Payload)
		}
		s.expect("complete")
	})
	t.Run("client complete ends a subscription and frees its id", func(t *testing.T) {
		s := dialGraphQL(t, srv, proto, nil)
		s.init(auth(alice))
		sub(s, "r")
		s.expect("next")
		s.send("complete", "r", nil)
		// The id is free again once the server has processed complete.
		sub(s, "r")
		if m := s.expect("next"); m.ID != "r" {
			t.Fatalf("resubscribed: %+v", m)
		}
		s.conn.Close(websocket.StatusNormalClosure, "")
	})
}

// TestGraphQLWSLegacySubprotocol: clients of the older graphql-ws
// subprotocol (subscriptions-transport-ws) keep working.
func TestGraphQLWSLegacySubprotocol(t *testing.T) {
	srv := resttest.Start(t)
	alice := srv.Onboard("Alice")
	s := dialGraphQL(t, srv, "graphql-ws", nil)
	s.send("connection_init", "", map[string]any{"Authorization": auth(alice)})
	s.expect("connection_ack")
	s.send("start", "1", map[string]any{"query": "{ viewer { uid } }"})
	if m := s.expect("data"); m.ID != "1" || !strings.Contains(string(m.Payload), alice.UID) {
		t.Fatalf("data with the viewer: %+v", m)
	}
	s.expect("complete")
	// Bad credentials are refused with the same code.
	bad := dialGraphQL(t, srv, "graphql-ws", nil)
	bad.send("connection_init", "", map[string]any{"Authorization": "Basic !!!"})
	bad.closed(gqlws.CloseForbidden)
}

// TestGraphQLWSPongTimeout: a subscriber that stops answering pings is
// closed and leaves its live room within the room idle timeout.
func TestGraphQLWSPongTimeout(t *testing.T) {
	const idle = time.Second
	srv := resttest.Start(t, fastRooms, func(c *app.Config) { c.Room.IdleTimeout = idle })
	alice := srv.Onboard("Alice")
	room := newRoom(t, srv, alice.UID)
	s := dialGraphQL(t, srv, gqlws.Subprotocol, nil)
	s.init(auth(alice))
	s.send("subscribe", "1", map[string]any{"query": roomEventsDoc, "variables": map[string]any{"r": room}})
	// Answering pings keeps the connection through several timeouts.
	stay := time.Now().Add(3 * idle)
	for time.Now().Before(stay) {
		if _, ok := s.read(time.Until(stay)); !ok && s.code != 0 {
			t.Fatalf("closed while answering pings: %d", s.code)
		}
	}
	// Stop answering: the server closes with 1001 and the host's leave
	// closes the room.
	s.pong.Store(false)
	s.closed(gqlws.CloseGoingAway)
	deadline := time.Now().Add(10 * time.Second)
	for !srv.App.DB.Client.Room.GetX(context.Background(), room).Closed {
		if time.Now().After(deadline) {
			t.Fatal("the silent subscriber still holds the room")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestGraphQLWSPerUIDLimitAfterInit: a graphql-transport-ws client that
// logs in through connection_init (not the upgrade's header) counts against
// CHAOQER_WS_PER_UID too: over the limit its socket closes with 1008.
func TestGraphQLWSPerUIDLimitAfterInit(t *testing.T) {
	srv := resttest.Start(t, func(c *app.Config) {
		c.Edge.Exempt = nil // the test client is on loopback
		c.Edge.Sockets.PerUID = 2
	})
	alice, bob := srv.Onboard("Alice"), srv.Onboard("Bob")
	first := dialGraphQL(t, srv, "graphql-transport-ws", nil)
	first.init(alice.AuthorizationHeader())
	second := dialGraphQL(t, srv, "graphql-transport-ws", nil)
	second.init(alice.AuthorizationHeader())
	third := dialGraphQL(t, srv, "graphql-transport-ws", nil)
	third.send("connection_init", "", map[string]any{"Authorization": alice.AuthorizationHeader()})
	third.closed(websocket.StatusPolicyViolation)
	// Another account is not affected; a closed socket frees its place.
	other := dialGraphQL(t, srv, "graphql-transport-ws", nil)
	other.init(bob.AuthorizationHeader())
	_ = first.conn.Close(websocket.StatusNormalClosure, "")
	deadline := time.Now().Add(5 * time.Second)
	for {
		again := dialGraphQL(t, srv, "graphql-transport-ws", nil)
		again.send("connection_init", "", map[string]any{"Authorization": alice.AuthorizationHeader()})
		if m, ok := again.read(2 * time.Second); ok && m.Type == "connection_ack" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the closed socket's place was not freed")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestGraphQLWSQueriesAnswerAsOverHTTP: a query or mutation sent over the
// WebSocket runs with every loader HTTP has (each operation gets fresh
// ones) and answers exactly as over HTTP: lists of clubs with their members,
// nodes of every type, the room feed with clubs and events with rooms.
func TestGraphQLWSQueriesAnswerAsOverHTTP(t *testing.T) {
	srv := resttest.Start(t)
	v := srv.Onboard("Viewer")
	seedRooms(t, srv, v, 6)
	club := list(t, v.Get("/club", P{"count": 1}).MustOK(t))[0]["clubId"].(string)
	clubGID := obj(t, gqlData(t, v.GraphQL(`query($c: ID!) { club(clubId: $c) { id } }`, map[string]any{"c": club}))["club"])["id"]
	userGID := obj(t, obj(t, gqlData(t, v.GraphQL(`{ viewer { profile { id } } }`, nil))["viewer"])["profile"])["id"]
	const members = `members(first: 3) { edges { cursor node { uid user { nickname viewerHasBlocked } } } pageInfo { hasNextPage } }`
	docs := []string{
		`{ viewer { clubs { edges { node { club { clubId memberTotal creator { nickname } ` + members + ` } } } } } }`,
		`query($c: ID!) { club(clubId: $c) { clubId ` + members + ` } }`,
		`{ roomFeed(first: 5) { edges { node { room { roomId creator { nickname } members { uid } club { clubId ` + members + ` } } } } } }`,
		`query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Club { clubId ` + members + ` } ... on User { uid nickname } } }`,
		`{ events { edges { node { eventId } } } }`,
		// Numbers in variables (decoded as gqlgen's HTTP transports do).
		`query($n: Int, $v: Int) { roomFeed(first: $n) { edges { cursor } } appUpgrade(clientType: 1, versionCode: $v) { versionCode } }`,
	}
	vars := map[string]any{"c": club, "ids": []any{clubGID, userGID}, "n": 5, "v": 1}
	s := dialGraphQL(t, srv, "graphql-transport-ws", nil)
	s.init(v.AuthorizationHeader())
	for i, doc := range docs {
		want := v.GraphQL(doc, vars)
		if want.HTTP != 200 || bytes.Contains(want.Raw, []byte("INTERNAL")) {
			t.Fatalf("over HTTP: %s", want)
		}
		id := fmt.Sprint(i + 1)
		s.send("subscribe", id, map[string]any{"query": doc, "variables": vars})
		next := s.expect("next")
		s.expect("complete")
		var got map[string]any
		if err := json.Unmarshal(next.Payload, &got); err != nil {
			t.Fatal(err)
		}
		if g, w := mustJSON(t, got), mustJSON(t, want.Body); g != w {
			t.Errorf("%s\nover the WebSocket: %s\nover HTTP:          %s", doc, g, w)
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
