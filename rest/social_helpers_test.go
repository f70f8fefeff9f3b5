package rest_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"chaoqer/ent/presence"
	"chaoqer/graph/ids"
	"chaoqer/rest/resttest"
)

// obj and list read decoded JSON.
func obj(t testing.TB, v any) map[string]any {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("expected an object, got %#v", v)
	}
	return m
}

func list(t testing.TB, v any) []map[string]any {
	t.Helper()
	raw, ok := obj(t, v)["list"].([]any)
	if !ok {
		t.Fatalf("expected a list page, got %#v", v)
	}
	out := make([]map[string]any, len(raw))
	for i, e := range raw {
		out[i] = obj(t, e)
	}
	return out
}

// num reads a JSON number field as int64.
func num(t testing.TB, m map[string]any, key string) int64 {
	t.Helper()
	n, ok := m[key].(json.Number)
	if !ok {
		t.Fatalf("%s is not a number in %v", key, m)
	}
	v, _ := n.Int64()
	return v
}

// uids returns the uid fields of a list of objects.
func uidsOf(t testing.TB, v any) []string {
	t.Helper()
	raw, _ := v.([]any)
	out := make([]string, len(raw))
	for i, e := range raw {
		out[i], _ = obj(t, e)["uid"].(string)
	}
	return out
}

func field(items []map[string]any, key string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i], _ = it[key].(string)
	}
	return out
}

func sameStrings(a, b []string) bool {
	return strings.Join(a, ",") == strings.Join(b, ",")
}

// connect simulates uid being connected to a room (the live presence the
// WebSocket hub keeps) with a role (0 audience, 1 speaker, 2 host) and ruid.
func connect(t testing.TB, srv *resttest.Server, roomID, uid string, role int, ruid int64) {
	t.Helper()
	now := time.Now().UnixMilli()
	err := srv.App.DB.Client.Presence.Create().SetRoomID(roomID).SetUID(uid).SetRuid(ruid).SetRole(role).
		SetConnID(ids.New()).SetInstanceID("test").SetCreateTime(now).SetSeenTime(now).
		Exec(context.Background())
	if err != nil {
		t.Fatalf("connecting %s to %s: %v", uid, roomID, err)
	}
}

func disconnect(t testing.TB, srv *resttest.Server, roomID, uid string) {
	t.Helper()
	_, err := srv.App.DB.Client.Presence.Delete().
		Where(presence.RoomID(roomID), presence.UID(uid)).Exec(context.Background())
	if err != nil {
		t.Fatal(err)
	}
}

// messages returns the bodies of c's stored messages, newest first.
func messages(t testing.TB, c *resttest.Client) []map[string]any {
	t.Helper()
	items := list(t, c.Get("/user/message", resttest.P{"count": 100}).MustOK(t))
	out := make([]map[string]any, len(items))
	for i, it := range items {
		m := obj(t, it["userMessageResult"])
		body := obj(t, m["messageBody"])
		body["originPushType"] = m["originPushType"]
		body["originUid"] = m["originUid"]
		out[i] = body
	}
	return out
}

// messagesTo counts c's messages whose url is url.
func messagesTo(t testing.TB, c *resttest.Client, url string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, m := range messages(t, c) {
		if m["url"] == url {
			out = append(out, m)
		}
	}
	return out
}
