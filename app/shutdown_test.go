package app_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

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
	_ = gql.Write(ctx, websocket.MessageText, []byte(`{"type":"connection_init","payload":{}}`))
	if _, b, err := gql.Read(ctx); err != nil || !strings.Contains(string(b), "connection_ack") {
		t.Fatalf("ack: %s %v", b, err)
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
}
