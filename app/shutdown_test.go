package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"chaoqer/app"
	"chaoqer/graph/ids"
	"chaoqer/rest/resttest"
)

// TestShutdownSocketsGoAway: closing the app closes a legacy room socket
// and a GraphQL socket with 1001 (going away), so clients reconnect.
func TestShutdownSocketsGoAway(t *testing.T) {
	s := resttest.Start(t)
	c := s.Onboard("leaver")
	room, now := ids.New(), time.Now().UnixMilli()
	s.App.DB.Client.Room.Create().SetID(room).SetUID(c.UID).SetCreateTime(now).SetSequenceID(ids.Seq(now, room)).
		SaveX(context.Background())

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	before := scrape(t, s.URL+"/metrics")
	h := http.Header{"Authorization": {c.AuthorizationHeader()}}
	roomWS, _, err := websocket.Dial(ctx, wsURL(s.URL)+"/room-ws/"+room, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		t.Fatal(err)
	}
	defer roomWS.CloseNow()
	if _, b, err := roomWS.Read(ctx); err != nil || !strings.Contains(string(b), "connected") {
		t.Fatalf("room join: %s %v", b, err)
	}
	gql, _, err := websocket.Dial(ctx, wsURL(s.URL)+"/graphql", &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	defer gql.CloseNow()
	init, _ := json.Marshal(map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": c.AuthorizationHeader()}})
	_ = gql.Write(ctx, websocket.MessageText, init)
	if _, b, err := gql.Read(ctx); err != nil || !strings.Contains(string(b), "connection_ack") {
		t.Fatalf("ack: %s %v", b, err)
	}
	sub, _ := json.Marshal(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{
		"query":     `subscription($r: ID!) { roomEvents(roomId: $r) { event } }`,
		"variables": map[string]any{"r": room},
	}})
	_ = gql.Write(ctx, websocket.MessageText, sub)
	if _, b, err := gql.Read(ctx); err != nil || !strings.Contains(string(b), `"next"`) {
		t.Fatalf("subscription: %s %v", b, err)
	}
	// Open sockets, subscriptions and rooms are visible while they last.
	during := scrape(t, s.URL+"/metrics")
	for series, want := range map[string]float64{
		`chaoqer_graphql_subscriptions_active`:               before[`chaoqer_graphql_subscriptions_active`] + 1,
		`chaoqer_websocket_connections_open{kind="room"}`:    before[`chaoqer_websocket_connections_open{kind="room"}`] + 1,
		`chaoqer_websocket_connections_open{kind="graphql"}`: before[`chaoqer_websocket_connections_open{kind="graphql"}`] + 1,
		`chaoqer_rooms_open`:                                 1,
		`chaoqer_room_connections_open`:                      2, // the room socket and the subscription
	} {
		if during[series] != want {
			t.Errorf("%s = %v, want %v", series, during[series], want)
		}
	}

	closed := make(chan error, 1)
	go func() { closed <- s.App.Close() }()
	for name, ws := range map[string]*websocket.Conn{"room": roomWS, "graphql": gql} {
		var err error
		for err == nil {
			_, _, err = ws.Read(ctx)
		}
		if got := websocket.CloseStatus(err); got != websocket.StatusGoingAway {
			t.Errorf("%s socket closed with %v (%v), want 1001", name, got, err)
		}
	}
	if err := <-closed; err != nil {
		t.Errorf("Close: %v", err)
	}
	// Ended subscriptions and sockets leave the gauges.
	waitFor(t, func() bool {
		after := scrape(t, s.URL+"/metrics")
		return after[`chaoqer_graphql_subscriptions_active`] == before[`chaoqer_graphql_subscriptions_active`] &&
			after[`chaoqer_websocket_connections_open{kind="room"}`] == before[`chaoqer_websocket_connections_open{kind="room"}`] &&
			after[`chaoqer_rooms_open`] == 0
	})
}

// TestRoomListenerMetrics: sockets of the room listener's own address
// (CHAOQER_ROOM_WS_ADDR) count as websocket:room too.
func TestRoomListenerMetrics(t *testing.T) {
	s := resttest.Start(t, func(c *app.Config) { c.Room.WSAddr = "127.0.0.1:0" })
	c := s.Onboard("listener")
	room, now := ids.New(), time.Now().UnixMilli()
	s.App.DB.Client.Room.Create().SetID(room).SetUID(c.UID).SetCreateTime(now).SetSequenceID(ids.Seq(now, room)).
		SaveX(context.Background())
	before := scrape(t, s.URL+"/metrics")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws://"+s.App.RoomWSAddr+"/"+room,
		&websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {c.AuthorizationHeader()}}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	if _, b, err := ws.Read(ctx); err != nil || !strings.Contains(string(b), "connected") {
		t.Fatalf("room join: %s %v", b, err)
	}
	during := scrape(t, s.URL+"/metrics")
	for _, series := range []string{`chaoqer_websocket_connections_total{kind="room"}`, `chaoqer_websocket_connections_open{kind="room"}`} {
		if during[series] != before[series]+1 {
			t.Errorf("%s moved by %v, want 1", series, during[series]-before[series])
		}
	}
	ws.Close(websocket.StatusNormalClosure, "")
	waitFor(t, func() bool {
		return scrape(t, s.URL+"/metrics")[`chaoqer_http_request_duration_seconds_count{method="GET",route="websocket:room",status="101"}`] >
			before[`chaoqer_http_request_duration_seconds_count{method="GET",route="websocket:room",status="101"}`]
	})
}
