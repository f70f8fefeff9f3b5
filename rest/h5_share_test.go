package rest_test

import (
	"strings"
	"testing"
	"time"

	"chaoqer/rest/resttest"
)

// TestH5SharePages walks the share pages of a club, an event and a room,
// anonymously and on both GET and POST (spec §2.9).
func TestH5SharePages(t *testing.T) {
	srv := resttest.Start(t)
	a, b := srv.Onboard("Alice"), srv.Onboard("Bob")
	club := obj(t, a.Post("/club", P{"name": "分享圈", "cover": "c"}).MustOK(t))
	ev := obj(t, a.Post("/event", P{"name": "分享日程", "eventTime": time.Now().UnixMilli() + 2*3600*1000,
		"memberUidList": []string{a.UID, b.UID}}).MustOK(t))
	room := obj(t, a.Post("/room", P{"name": "分享活动", "clubId": club["clubId"]}).MustOK(t))
	connect(t, srv, room["roomId"].(string), a.UID, 2, 1)
	cacheID, _ := a.Get("/room/"+room["roomId"].(string)+"/cache", nil).MustOK(t).(string)

	for _, m := range []string{"GET", "POST"} {
		res := h5Call(t, m, srv.URL+"/h5/club/"+club["clubId"].(string), "", "").MustOK(t).(map[string]any)
		if res["clubId"] != club["clubId"] || num(res["joined"]) != "0" || num(res["memberTotal"]) != "1" || res["name"] != "分享圈" {
			t.Fatalf("%s club: %v", m, res)
		}
		res = h5Call(t, m, srv.URL+"/h5/event/"+ev["eventId"].(string), "", "").MustOK(t).(map[string]any)
		if got := uidsOf(t, res["memberList"]); len(got) != 2 || got[0] != a.UID || got[1] != b.UID {
			t.Fatalf("%s event hosts: %v", m, res)
		}
		if num(res["notify"]) != "0" || res["name"] != "分享日程" {
			t.Fatalf("%s event: %v", m, res)
		}
		res = h5Call(t, m, srv.URL+"/h5/room/"+cacheID, "", "").MustOK(t).(map[string]any)
		if res["roomCacheId"] != cacheID || res["roomId"] != room["roomId"] || obj(t, res["fromMember"])["uid"] != a.UID {
			t.Fatalf("%s room: %v", m, res)
		}
		if num(res["closed"]) != "0" || num(res["memberTotal"]) != "1" || obj(t, res["clubResult"])["clubId"] != club["clubId"] {
			t.Fatalf("%s room snapshot: %v", m, res)
		}
		if got := uidsOf(t, res["memberList"]); len(got) != 1 || got[0] != a.UID {
			t.Fatalf("%s room members: %v", m, res)
		}
	}
	// A logged-in viewer sees their own relation.
	if res := obj(t, b.Get("/club/"+club["clubId"].(string), nil).MustOK(t)); num(res["joined"]) != "0" {
		t.Fatalf("bob has not joined: %v", res)
	}

	// The snapshot stays frozen, except that it learns the room closed.
	a.Post("/room/"+room["roomId"].(string)+"/close", nil).MustOK(t)
	res := h5Call(t, "GET", srv.URL+"/h5/room/"+cacheID, "", "").MustOK(t).(map[string]any)
	if num(res["closed"]) != "1" || num(res["memberTotal"]) != "1" {
		t.Fatalf("closed snapshot: %v", res)
	}

	unknown := strings.Repeat("0", 32)
	h5Call(t, "GET", srv.URL+"/h5/club/"+unknown, "", "").MustFail(t, "圈子不存在", 500000)
	h5Call(t, "GET", srv.URL+"/h5/event/"+unknown, "", "").MustFail(t, "日程不存在", 600000)
	h5Call(t, "GET", srv.URL+"/h5/room/"+unknown, "", "").MustFail(t, "活动已解散", 400000)
	if r := h5Call(t, "GET", srv.URL+"/h5/room/NOT-HEX", "", ""); r.HTTP != 404 {
		t.Fatalf("malformed roomCacheId: %s", r)
	}

	// GraphQL clients read the same views anonymously.
	r := srv.Anonymous().GraphQL(`query($c: ID!, $e: ID!, $s: ID!) {
		publicClub(clubId: $c) { name viewerHasJoined }
		publicEvent(eventId: $e) { name hosts { nickname } viewerHasBooked }
		roomSnapshot(roomCacheId: $s) { closed sharer { nickname } club { name } }
	}`, map[string]any{"c": club["clubId"], "e": ev["eventId"], "s": cacheID})
	d := gqlData(t, r)
	if obj(t, d["publicClub"])["viewerHasJoined"] != false || obj(t, d["roomSnapshot"])["closed"] != true ||
		len(obj(t, d["publicEvent"])["hosts"].([]any)) != 2 {
		t.Fatalf("GraphQL share views: %v", d)
	}
}

// TestH5EventWithAnEmptyLiveRoom: the original answered 500 when an event's
// room was open but empty (spec §12 B9); the page shows the event without it.
func TestH5EventWithAnEmptyLiveRoom(t *testing.T) {
	srv := resttest.Start(t)
	a, b := srv.Onboard("Host"), srv.Onboard("Guest")
	ev := obj(t, a.Post("/event", P{"name": "马上开始", "eventTime": time.Now().UnixMilli() + 60*1000,
		"memberUidList": []string{a.UID, b.UID}}).MustOK(t))
	started := obj(t, a.Post("/event/"+ev["eventId"].(string)+"/start", nil).MustOK(t))
	res := h5Call(t, "GET", srv.URL+"/h5/event/"+ev["eventId"].(string), "", "").MustOK(t).(map[string]any)
	if res["roomId"] != started["roomId"] {
		t.Fatalf("started event: %v", res)
	}
	if _, ok := res["roomResult"]; ok {
		t.Fatalf("an empty room is not shown to anonymous viewers: %v", res)
	}
	connect(t, srv, started["roomId"].(string), a.UID, 2, 1)
	res = h5Call(t, "GET", srv.URL+"/h5/event/"+ev["eventId"].(string), "", "").MustOK(t).(map[string]any)
	if obj(t, res["roomResult"])["roomId"] != started["roomId"] {
		t.Fatalf("a live room is shown: %v", res)
	}
}
