package rest_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"chaoqer/app"
	"chaoqer/ent/presence"
	"chaoqer/ent/roominvite"
	"chaoqer/rest/resttest"
)

func TestCreateRoomRules(t *testing.T) {
	srv := resttest.Start(t)
	a, b := srv.Onboard("Alice"), srv.Onboard("Bob")
	a.Post("/room", P{}).MustFail(t, "标题不能为空", 0)
	a.Post("/room", P{"name": strings.Repeat("t", 101)}).MustFail(t, "标题不能超过100个字", 0)
	a.Post("/room", P{"name": "x", "clubId": strings.Repeat("a", 32)}).MustFail(t, "圈子不存在", 500000)
	a.Post("/room", P{"name": "x", "clubId": "nope"}).MustFail(t, "圈子不存在", 500000)
	if r := a.Send("POST", "/room", P{"name": "x"}, "text/plain"); r.HTTP != 415 {
		t.Fatalf("wrong content type: %s", r)
	}

	// A public room: the creator is its only member while nobody is connected.
	r := a.Post("/room", P{"name": "测试\n活动"})
	room := obj(t, r.MustOK(t))
	if r.Message() != "Success" || !hex32.MatchString(room["roomId"].(string)) || room["uid"] != a.UID ||
		room["name"] != "测试 活动" || numOf(t, room, "inviteOnly") != 0 || numOf(t, room, "memberTotal") != 0 ||
		room["clubId"] != nil || room["clubResult"] != nil || numOf(t, room, "createTime") == 0 {
		t.Fatalf("public room %v", room)
	}
	if m := room["memberList"].([]any); len(m) != 1 || obj(t, m[0])["uid"] != a.UID || obj(t, m[0])["nickname"] != "Alice" {
		t.Fatalf("memberList %v", room["memberList"])
	}
	a.Post("/room", P{"name": "测试\n活动"}).MustFail(t, "Call Duplicate", -1)

	// An empty name is allowed and stored as no name.
	unnamed := obj(t, a.Post("/room", P{"name": ""}).MustOK(t))
	if _, ok := unnamed["name"]; ok {
		t.Fatalf("empty name kept: %v", unnamed)
	}

	// A club room needs membership; it carries its club.
	club := obj(t, a.Post("/club", P{"name": "圈", "cover": "c"}).MustOK(t))
	cid := club["clubId"].(string)
	b.Post("/room", P{"name": "x", "clubId": cid}).MustFail(t, "圈子不存在", 500000)
	croom := obj(t, a.Post("/room", P{"name": "圈内", "clubId": cid}).MustOK(t))
	cr := obj(t, croom["clubResult"])
	if croom["clubId"] != cid || cr["clubId"] != cid || cr["name"] != "圈" || numOf(t, cr, "memberTotal") != 1 {
		t.Fatalf("club room %v", croom)
	}
	b.Post("/club/"+cid+"/join", nil).MustOK(t)
	resttest.Pause() // the refused call above was identical
	b.Post("/room", P{"name": "x", "clubId": cid}).MustOK(t)

	// A positive inviteOnly makes the room private and drops the club.
	priv := obj(t, a.Post("/room", P{"name": "私密", "clubId": cid, "inviteOnly": 7}).MustOK(t))
	if numOf(t, priv, "inviteOnly") != 1 || priv["clubId"] != nil || priv["clubResult"] != nil {
		t.Fatalf("private room %v", priv)
	}
	neg := obj(t, a.Post("/room", P{"name": "负", "inviteOnly": -3}).MustOK(t))
	if numOf(t, neg, "inviteOnly") != 0 {
		t.Fatalf("negative inviteOnly %v", neg)
	}
	if r := a.Post("/room", P{"name": "y", "inviteOnly": "yes"}); r.HTTP != 400 {
		t.Fatalf("inviteOnly of the wrong type: %s", r)
	}
}

func TestReadRoomFollowsPresence(t *testing.T) {
	srv := resttest.Start(t)
	a, b := srv.Onboard("Alice"), srv.Onboard("Bob")
	others := make([]*resttest.Client, 6)
	for i := range others {
		others[i] = srv.Onboard("U" + string(rune('0'+i)))
	}
	room := obj(t, a.Post("/room", P{"name": "r"}).MustOK(t))
	rid := room["roomId"].(string)

	// Nobody connected: the creator sees it, anyone else gets 400000.
	got := obj(t, a.Get("/room/"+rid, nil).MustOK(t))
	if !sameStrings(uidsOf(t, got["memberList"]), []string{a.UID}) || numOf(t, got, "memberTotal") != 0 {
		t.Fatalf("creator's view of an empty room %v", got)
	}
	b.Get("/room/"+rid, nil).MustFail(t, "活动已解散", 400000)
	b.Get("/room/"+strings.Repeat("f", 32), nil).MustFail(t, "活动已解散", 400000)

	// Connected users: hosts first, then by ruid, at most 6; the total counts all.
	connect(t, srv, rid, others[0].UID, 0, 5)
	connect(t, srv, rid, others[1].UID, 1, 3)
	connect(t, srv, rid, others[2].UID, 2, 9)
	connect(t, srv, rid, others[3].UID, 0, 1)
	connect(t, srv, rid, others[4].UID, 2, 7)
	connect(t, srv, rid, others[5].UID, 0, 2)
	connect(t, srv, rid, b.UID, 0, 8)
	got = obj(t, b.Get("/room/"+rid, nil).MustOK(t))
	want := []string{others[4].UID, others[2].UID, others[3].UID, others[5].UID, others[1].UID, others[0].UID}
	if !sameStrings(uidsOf(t, got["memberList"]), want) || numOf(t, got, "memberTotal") != 7 {
		t.Fatalf("members %v, want %v", got["memberList"], want)
	}
	// The creator is not connected, so is not listed any more.
	got = obj(t, a.Get("/room/"+rid, nil).MustOK(t))
	if numOf(t, got, "memberTotal") != 7 || strings.Contains(strings.Join(uidsOf(t, got["memberList"]), ","), a.UID) {
		t.Fatalf("creator's view of a busy room %v", got)
	}
	// Member profiles as the caller sees them.
	b.Post("/user/"+others[4].UID+"/block", nil).MustOK(t)
	got = obj(t, b.Get("/room/"+rid, nil).MustOK(t))
	if first := obj(t, got["memberList"].([]any)[0]); numOf(t, first, "blocked") != 1 || first["nickname"] != "U4" {
		t.Fatalf("member profile %v", first)
	}
}

func TestRoomFeed(t *testing.T) {
	srv := resttest.Start(t)
	a, b, c := srv.Onboard("Alice"), srv.Onboard("Bob"), srv.Onboard("Carol")
	club := obj(t, a.Post("/club", P{"name": "圈", "cover": "c"}).MustOK(t))
	cid := club["clubId"].(string)
	b.Post("/club/"+cid+"/join", nil).MustOK(t)

	mk := func(by *resttest.Client, p P) string {
		resttest.Pause()
		return obj(t, by.Post("/room", p).MustOK(t))["roomId"].(string)
	}
	pub1 := mk(a, P{"name": "pub1"})
	club1 := mk(a, P{"name": "club1", "clubId": cid})
	pub2 := mk(c, P{"name": "pub2"})
	club2 := mk(b, P{"name": "club2", "clubId": cid})
	priv := mk(a, P{"name": "priv", "inviteOnly": 1})
	pub3 := mk(b, P{"name": "pub3"})
	for _, rid := range []string{pub1, club1, pub2, club2, priv, pub3} {
		connect(t, srv, rid, c.UID, 2, 1)
	}

	// Members see their club rooms first, then the public rooms, newest first.
	feed := list(t, b.Get("/room", P{"count": 20}).MustOK(t))
	want := []string{club2, club1, pub3, pub2, pub1}
	if !sameStrings(field(feed, "roomId"), want) {
		t.Fatalf("member's feed %v, want %v", field(feed, "roomId"), want)
	}
	for _, it := range feed {
		rr := obj(t, it["roomResult"])
		if it["sequenceId"] != rr["createTime"].(json.Number).String()+":"+it["roomId"].(string) ||
			numOf(t, it, "createTime") != numOf(t, rr, "createTime") || numOf(t, rr, "memberTotal") != 1 {
			t.Fatalf("feed item %v", it)
		}
		if (it["roomId"] == club1 || it["roomId"] == club2) && obj(t, rr["clubResult"])["clubId"] != cid {
			t.Fatalf("club room without its club %v", it)
		}
	}
	// Non-members see the public rooms only; private rooms never appear.
	if got := field(list(t, c.Get("/room", P{"count": 20}).MustOK(t)), "roomId"); !sameStrings(got, []string{pub3, pub2, pub1}) {
		t.Fatalf("stranger's feed %v", got)
	}

	// Paging one by one crosses from the club segment into the public one.
	if paged := pageOneByOne(t, b, "/room", "roomId"); !sameStrings(paged, want) {
		t.Fatalf("paged feed %v, want %v", paged, want)
	}
	// Two per page: the page that ends the club segment fills from the public one.
	p1 := list(t, b.Get("/room", P{"count": 3}).MustOK(t))
	p2 := list(t, b.Get("/room", P{"count": 3, "lastId": p1[2]["sequenceId"]}).MustOK(t))
	if !sameStrings(field(p1, "roomId"), want[:3]) || !sameStrings(field(p2, "roomId"), want[3:]) {
		t.Fatalf("pages %v %v", field(p1, "roomId"), field(p2, "roomId"))
	}
	// A cursor without ':' continues in the club segment.
	seq := p1[0]["sequenceId"].(string)
	noColon := list(t, b.Get("/room", P{"count": 20, "lastId": seq[:strings.Index(seq, ":")]}).MustOK(t))
	if !sameStrings(field(noColon, "roomId"), []string{club1, pub3, pub2, pub1}) {
		t.Fatalf("cursor without ':' %v", field(noColon, "roomId"))
	}

	// An empty room keeps its item but loses its roomResult for others.
	disconnect(t, srv, pub2, c.UID)
	for _, it := range list(t, b.Get("/room", P{"count": 20}).MustOK(t)) {
		if _, has := it["roomResult"]; has == (it["roomId"] == pub2) {
			t.Fatalf("item %v", it)
		}
	}
	for _, it := range list(t, c.Get("/room", P{"count": 20}).MustOK(t)) {
		if it["roomId"] == pub2 && it["roomResult"] == nil {
			t.Fatalf("the creator lost the roomResult of an empty room: %v", it)
		}
	}
	// Leaving the club hides its rooms; closing a room removes it.
	b.Post("/club/"+cid+"/leave", nil).MustOK(t)
	a.Post("/room/"+pub1+"/close", nil).MustOK(t)
	if got := field(list(t, b.Get("/room", P{"count": 20}).MustOK(t)), "roomId"); !sameStrings(got, []string{pub3, pub2}) {
		t.Fatalf("feed after leaving and closing %v", got)
	}
	b.Get("/room", P{"count": 101}).MustFail(t, "count只能在0到100之间", 0)
	b.Get("/room", P{"count": "many"}).MustFail(t, "count类型不正确", 0)
}

func TestRoomTokens(t *testing.T) {
	srv := resttest.Start(t)
	a, b, c := srv.Onboard("Alice"), srv.Onboard("Bob"), srv.Onboard("Carol")
	rid := obj(t, a.Post("/room", P{"name": "r"}).MustOK(t))["roomId"].(string)

	for _, method := range []string{"GET", "POST"} {
		tok := obj(t, b.Call(method, "/room/"+rid+"/token", nil, nil).MustOK(t))
		if tok["roomId"] != rid || !strings.HasPrefix(tok["token"].(string), "006"+resttest.AgoraAppID) {
			t.Fatalf("%s token %v", method, tok)
		}
	}
	b.Get("/room/"+strings.Repeat("a", 32)+"/token", nil).MustFail(t, "活动已解散", 400000)

	// Blocks count only from hosts connected to the room.
	a.Post("/user/"+b.UID+"/block", nil).MustOK(t)
	b.Get("/room/"+rid+"/token", nil).MustOK(t) // the creator is not connected
	connect(t, srv, rid, a.UID, 0, 1)
	b.Get("/room/"+rid+"/token", nil).MustOK(t) // connected, but not a host
	disconnect(t, srv, rid, a.UID)
	connect(t, srv, rid, a.UID, 2, 1)
	b.Get("/room/"+rid+"/token", nil).MustFail(t, "无法加入此活动", 400001)
	b.Post("/room/"+rid+"/token", nil).MustFail(t, "无法加入此活动", 400001)
	c.Get("/room/"+rid+"/token", nil).MustOK(t)
	connect(t, srv, rid, c.UID, 2, 2)
	c.Post("/user/"+b.UID+"/block", nil).MustOK(t)
	b.Get("/room/"+rid+"/token", nil).MustFail(t, "无法加入此活动", 400001)

	a.Post("/room/"+rid+"/close", nil).MustOK(t)
	b.Get("/room/"+rid+"/token", nil).MustFail(t, "活动已解散", 400000)
	c.Get("/room/"+rid+"/token", nil).MustFail(t, "活动已解散", 400000)
}

func TestRoomTokensWithoutAgora(t *testing.T) {
	for name, cfg := range map[string]func(*app.Config){
		"missing":   func(c *app.Config) { c.AgoraAppID, c.AgoraCertificate = "", "" },
		"malformed": func(c *app.Config) { c.AgoraAppID = "not-hex" },
	} {
		t.Run(name, func(t *testing.T) {
			srv := resttest.Start(t, cfg)
			a := srv.Onboard("Alice")
			rid := obj(t, a.Post("/room", P{"name": "r"}).MustOK(t))["roomId"].(string)
			if r := a.Get("/room/"+rid+"/token", nil); r.HTTP != 503 {
				t.Fatalf("REST token without credentials: %s", r)
			}
			r := a.GraphQL(`query($id: ID!) { roomToken(roomId: $id) { token } }`, map[string]any{"id": rid})
			if !strings.Contains(string(r.Raw), `"code":"UNAVAILABLE"`) || !strings.Contains(string(r.Raw), "未配置声网凭证") ||
				strings.Contains(string(r.Raw), `"token":"`) {
				t.Fatalf("GraphQL token without credentials: %s", r)
			}
		})
	}
}

func TestPrivateRooms(t *testing.T) {
	srv := resttest.Start(t)
	a, b, c, d := srv.Onboard("Alice"), srv.Onboard("Bob"), srv.Onboard("Carol"), srv.Onboard("Dave")
	rid := obj(t, a.Post("/room", P{"name": "私密", "inviteOnly": 1}).MustOK(t))["roomId"].(string)
	connect(t, srv, rid, a.UID, 2, 1)

	// Strangers cannot read it, get its token, share it or invite to it.
	b.Get("/room/"+rid, nil).MustFail(t, "活动已解散", 400000)
	b.Get("/room/"+rid+"/token", nil).MustFail(t, "活动已解散", 400000)
	b.Get("/room/"+rid+"/cache", nil).MustFail(t, "活动已解散", 400000)
	b.Post("/room/"+rid+"/invite/"+c.UID, nil).MustFail(t, "活动已解散", 400000)
	// The creator can, and invites Bob (R7 records the invitation).
	a.Get("/room/"+rid, nil).MustOK(t)
	a.Get("/room/"+rid+"/token", nil).MustOK(t)
	a.Post("/room/"+rid+"/invite/"+b.UID, nil).MustOK(t)
	n, err := srv.App.DB.Client.RoomInvite.Query().Where(roominvite.RoomID(rid), roominvite.UID(b.UID)).Count(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("invitation rows %d, %v", n, err)
	}
	// Invited users can, and can invite others in turn.
	if got := obj(t, b.Get("/room/"+rid, nil).MustOK(t)); numOf(t, got, "inviteOnly") != 1 || numOf(t, got, "memberTotal") != 1 {
		t.Fatalf("invited view %v", got)
	}
	b.Get("/room/"+rid+"/token", nil).MustOK(t)
	b.Post("/room/"+rid+"/invite/"+c.UID, nil).MustOK(t)
	c.Get("/room/"+rid+"/token", nil).MustOK(t)
	// Somebody already in the room can too (e.g. let in by the WebSocket hub).
	connect(t, srv, rid, d.UID, 0, 3)
	d.Get("/room/"+rid, nil).MustOK(t)
	// Over GraphQL the room is simply not there for strangers.
	stranger := srv.Onboard("Eve")
	r := stranger.GraphQL(`query($id: ID!) { room(roomId: $id) { name } }`, map[string]any{"id": rid})
	if !strings.Contains(string(r.Raw), `"errorCode":400000`) {
		t.Fatalf("GraphQL private room for a stranger: %s", r)
	}
	// Private rooms appear in nobody's feed.
	for _, cl := range []*resttest.Client{a, b, d} {
		if items := list(t, cl.Get("/room", P{"count": 20}).MustOK(t)); len(items) != 0 {
			t.Fatalf("private room in a feed: %v", items)
		}
	}
}

func TestCloseRoom(t *testing.T) {
	srv := resttest.Start(t)
	a, b, c := srv.Onboard("Alice"), srv.Onboard("Bob"), srv.Onboard("Carol")
	var mu sync.Mutex
	var closed []string
	srv.App.Resolver.Rooms.OnClose = func(_ context.Context, roomID string) {
		mu.Lock()
		defer mu.Unlock()
		closed = append(closed, roomID)
	}
	r1 := obj(t, a.Post("/room", P{"name": "one"}).MustOK(t))["roomId"].(string)
	r2 := obj(t, a.Post("/room", P{"name": "two"}).MustOK(t))["roomId"].(string)
	connect(t, srv, r1, b.UID, 1, 1)
	connect(t, srv, r1, c.UID, 2, 2)

	// Strangers, audience and speakers may not close it.
	srv.Onboard("Dave").Post("/room/"+r1+"/close", nil).MustFail(t, "活动已解散", 400000)
	b.Post("/room/"+r1+"/close", nil).MustFail(t, "活动已解散", 400000)
	b.Post("/room/"+strings.Repeat("0", 32)+"/close", nil).MustFail(t, "活动已解散", 400000)
	// A connected host may (even one who did not create it).
	r := c.Post("/room/"+r1+"/close", nil)
	if r.MustOK(t); r.Message() != "Success" || len(obj(t, r.Result())) != 0 {
		t.Fatalf("close answer %s", r)
	}
	n, _ := srv.App.DB.Client.Presence.Query().Where(presence.RoomID(r1)).Count(context.Background())
	if n != 0 {
		t.Fatalf("%d presence rows left after close", n)
	}
	a.Get("/room/"+r1, nil).MustFail(t, "活动已解散", 400000)
	c.Post("/room/"+r1+"/close", nil).MustFail(t, "活动已解散", 400000) // already closed
	// The creator may close without being connected.
	a.Post("/room/"+r2+"/close", nil).MustOK(t)
	// Close (the live service's auto-close) needs no caller; closing a
	// closed room does nothing, and OnClose runs once per closed room.
	r3 := obj(t, a.Post("/room", P{"name": "three"}).MustOK(t))["roomId"].(string)
	connect(t, srv, r3, b.UID, 2, 1)
	if err := srv.App.Resolver.Rooms.Close(context.Background(), r3); err != nil {
		t.Fatal(err)
	}
	if err := srv.App.Resolver.Rooms.Close(context.Background(), r3); err != nil {
		t.Fatalf("closing twice: %v", err)
	}
	b.Get("/room/"+r3, nil).MustFail(t, "活动已解散", 400000)
	mu.Lock()
	defer mu.Unlock()
	if !sameStrings(closed, []string{r1, r2, r3}) {
		t.Fatalf("OnClose calls %v", closed)
	}
}

func TestShareSnapshot(t *testing.T) {
	srv := resttest.Start(t)
	a, b := srv.Onboard("Alice"), srv.Onboard("Bob")
	club := obj(t, a.Post("/club", P{"name": "圈", "cover": "c"}).MustOK(t))
	rid := obj(t, a.Post("/room", P{"name": "分享", "clubId": club["clubId"]}).MustOK(t))["roomId"].(string)
	connect(t, srv, rid, a.UID, 2, 1)

	var ids []string
	for _, method := range []string{"GET", "POST"} {
		id, ok := b.Call(method, "/room/"+rid+"/cache", nil, nil).MustOK(t).(string)
		if !ok || !hex32.MatchString(id) {
			t.Fatalf("%s roomCacheId %v", method, id)
		}
		ids = append(ids, id)
	}
	if ids[0] == ids[1] {
		t.Fatal("every share makes a new snapshot")
	}
	snap, err := srv.App.Resolver.Rooms.Snapshot(context.Background(), ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if snap.RoomID != rid || snap.UID != a.UID || *snap.Name != "分享" || snap.Closed != 0 || snap.MemberTotal != 1 ||
		len(snap.MemberList) != 1 || snap.MemberList[0].UID != a.UID || snap.FromMember.UID != b.UID ||
		snap.ClubResult.ClubID != club["clubId"] {
		t.Fatalf("snapshot %+v", snap)
	}
	a.Post("/room/"+rid+"/close", nil).MustOK(t)
	if snap, _ := srv.App.Resolver.Rooms.Snapshot(context.Background(), ids[0]); snap.Closed != 1 {
		t.Fatalf("closed room's snapshot %+v", snap)
	}
	// Closed rooms can still be shared; unknown ones cannot.
	b.Get("/room/"+rid+"/cache", nil).MustOK(t)
	b.Get("/room/"+strings.Repeat("9", 32)+"/cache", nil).MustFail(t, "活动已解散", 400000)
	if _, err := srv.App.Resolver.Rooms.Snapshot(context.Background(), strings.Repeat("9", 32)); err == nil {
		t.Fatal("unknown snapshot read")
	}
}

func TestInviteNotifications(t *testing.T) {
	srv := resttest.Start(t)
	a, b, c := srv.Onboard("Alice"), srv.Onboard("Bob"), srv.Onboard("Carol")
	named := obj(t, a.Post("/room", P{"name": "周末聊"}).MustOK(t))["roomId"].(string)
	unnamed := obj(t, a.Post("/room", P{"name": ""}).MustOK(t))["roomId"].(string)

	// Without Bob's card in Alice's holder: success, but no notice.
	r := a.Post("/room/"+named+"/invite/"+b.UID, nil)
	if r.MustOK(t); r.Message() != "邀请成功" {
		t.Fatalf("invite answer %s", r)
	}
	if n := len(messagesTo(t, b, "chaoqer://room/"+named)); n != 0 {
		t.Fatalf("%d notices without a card", n)
	}
	// With it: an interactive notice.
	b.Post("/user/"+a.UID+"/card", nil).MustOK(t)
	resttest.Pause()
	a.Post("/room/"+named+"/invite/"+b.UID, nil).MustOK(t)
	a.Post("/room/"+unnamed+"/invite/"+b.UID, nil).MustOK(t)
	got := messagesTo(t, b, "chaoqer://room/"+named)
	if len(got) != 1 || got[0]["title"] != "Alice邀请你加入活动" || got[0]["content"] != "周末聊" ||
		numOf(t, got[0], "originPushType") != 2 || got[0]["originUid"] != a.UID {
		t.Fatalf("invite notices %v", got)
	}
	if got := messagesTo(t, b, "chaoqer://room/"+unnamed); len(got) != 1 || got[0]["content"] != "Alice创建的活动" {
		t.Fatalf("unnamed room notice %v", got)
	}
	// Identical invitations within 500 ms notify once.
	resttest.Pause()
	a.Post("/room/"+named+"/invite/"+b.UID, nil).MustOK(t)
	a.Post("/room/"+named+"/invite/"+b.UID, nil).MustOK(t)
	if n := len(messagesTo(t, b, "chaoqer://room/"+named)); n != 2 {
		t.Fatalf("%d notices after a repeated invite, want 2", n)
	}
	// Nobody already in the room is notified.
	resttest.Pause()
	connect(t, srv, named, b.UID, 0, 1)
	a.Post("/room/"+named+"/invite/"+b.UID, nil).MustOK(t)
	if n := len(messagesTo(t, b, "chaoqer://room/"+named)); n != 2 {
		t.Fatalf("%d notices to a connected invitee, want 2", n)
	}
	// Closed or unknown rooms.
	a.Post("/room/"+unnamed+"/close", nil).MustOK(t)
	a.Post("/room/"+unnamed+"/invite/"+c.UID, nil).MustFail(t, "活动已解散", 400000)
	a.Post("/room/"+strings.Repeat("1", 32)+"/invite/"+c.UID, nil).MustFail(t, "活动已解散", 400000)
	if r := a.Post("/room/"+named+"/invite/NOTHEX", nil); r.HTTP != 404 {
		t.Fatalf("malformed invitee: %s", r)
	}
}

func TestRoomGraphQL(t *testing.T) {
	srv := resttest.Start(t)
	a, b := srv.Onboard("Alice"), srv.Onboard("Bob")
	r := a.GraphQL(`mutation { createRoom(input: {name: "GQL"}) { message room { roomId inviteOnly members { uid } memberTotal creator { nickname } club { name } } } }`, nil)
	room := obj(t, obj(t, obj(t, r.Body["data"])["createRoom"])["room"])
	if room["inviteOnly"] != false || !sameStrings(uidsOf(t, room["members"]), []string{a.UID}) || numOf(t, room, "memberTotal") != 0 ||
		obj(t, room["creator"])["nickname"] != "Alice" || room["club"] != nil {
		t.Fatalf("createRoom %s", r)
	}
	rid := room["roomId"].(string)
	feed := `{ roomFeed(first: 10) { edges { cursor node { roomId room { roomId } } } pageInfo { hasNextPage endCursor } } }`
	if r := b.GraphQL(feed, nil); !strings.Contains(string(r.Raw), `"node":{"roomId":"`+rid+`","room":null}`) {
		t.Fatalf("feed item of an empty room for a stranger: %s", r)
	}
	connect(t, srv, rid, a.UID, 2, 1)
	if r := b.GraphQL(feed, nil); !strings.Contains(string(r.Raw), `"room":{"roomId":"`+rid+`"}`) {
		t.Fatalf("feed item of a live room: %s", r)
	}
	r = b.GraphQL(`query($id: ID!) { room(roomId: $id) { members { nickname } memberTotal } roomToken(roomId: $id) { roomId token } }`, map[string]any{"id": rid})
	if !strings.Contains(string(r.Raw), `"members":[{"nickname":"Alice"}],"memberTotal":1`) || !strings.Contains(string(r.Raw), `"token":"006`) {
		t.Fatalf("room and token %s", r)
	}
	r = b.GraphQL(`mutation($id: ID!) { shareRoom(roomId: $id) { roomCacheId } inviteToRoom(roomId: $id, uid: "`+a.UID+`") { message } }`, map[string]any{"id": rid})
	if !strings.Contains(string(r.Raw), `"message":"邀请成功"`) || !strings.Contains(string(r.Raw), `"roomCacheId":"`) {
		t.Fatalf("share and invite %s", r)
	}
	r = b.GraphQL(`mutation($id: ID!) { closeRoom(roomId: $id) { message } }`, map[string]any{"id": rid})
	if !strings.Contains(string(r.Raw), `"errorCode":400000`) {
		t.Fatalf("stranger closes %s", r)
	}
	r = a.GraphQL(`mutation($id: ID!) { closeRoom(roomId: $id) { message } }`, map[string]any{"id": rid})
	if !strings.Contains(string(r.Raw), `"closeRoom":{"message":"Success"}`) {
		t.Fatalf("creator closes %s", r)
	}
	if r := b.GraphQL(`{ roomFeed(first: 0) { edges { cursor } } }`, nil); !strings.Contains(string(r.Raw), "count只能在0到100之间") {
		t.Fatalf("page size 0 %s", r)
	}
}
