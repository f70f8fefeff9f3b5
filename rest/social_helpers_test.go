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

// numOf reads a JSON number field as int64.
func numOf(t *testing.T, m map[string]any, key string) int64 {
	t.Helper()
	n, ok := m[key].(json.Number)
	if !ok {
		t.Fatalf("%s is not a number in %v", key, m)
	}
	v, _ := n.Int64()
	return v
}

// uids returns the uid fields of a list of objects.
func uidsOf(t *testing.T, v any) []string {
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
func connect(t *testing.T, srv *resttest.Server, roomID, uid string, role int, ruid int64) {
	t.Helper()
	now := time.Now().UnixMilli()
	err := srv.App.DB.Client.Presence.Create().SetRoomID(roomID).SetUID(uid).SetRuid(ruid).SetRole(role).
		SetConnID(ids.New()).SetInstanceID("test").SetCreateTime(now).SetSeenTime(now).
		Exec(context.Background())
	if err != nil {
		t.Fatalf("connecting %s to %s: %v", uid, roomID, err)
	}
}

func disconnect(t *testing.T, srv *resttest.Server, roomID, uid string) {
	t.Helper()
	_, err := srv.App.DB.Client.Presence.Delete().
		Where(presence.RoomID(roomID), presence.UID(uid)).Exec(context.Background())
	if err != nil {
		t.Fatal(err)
	}
}

// messages returns the bodies of c's stored messages, newest first.
func messages(t *testing.T, c *resttest.Client) []map[string]any {
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
func messagesTo(t *testing.T, c *resttest.Client, url string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, m := range messages(t, c) {
		if m["url"] == url {
			out = append(out, m)
		}
	}
	return out
}

// pageOneByOne pages path with count 1 until the end and returns each
// item's idKey, following the sequenceIds as lastId.
func pageOneByOne(t *testing.T, c *resttest.Client, path, idKey string) []string {
	t.Helper()
	var got []string
	last := ""
	for i := 0; i < 100; i++ {
		p := P{"count": 1}
		if last != "" {
			p["lastId"] = last
		}
		page := list(t, c.Get(path, p).MustOK(t))
		if len(page) == 0 {
			return got
		}
		got = append(got, page[0][idKey].(string))
		last = page[0]["sequenceId"].(string)
	}
	t.Fatalf("%s: paging did not end", path)
	return nil
}
