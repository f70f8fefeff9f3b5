package rest_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"chaoqer/app"
	"chaoqer/ent/eventreminder"
	"chaoqer/graph/ids"
	"chaoqer/rest/resttest"
)

func ms(d time.Duration) int64 { return time.Now().Add(d).UnixMilli() }

func TestCreateEventValidation(t *testing.T) {
	srv := resttest.Start(t)
	a, b := srv.Onboard("Alice"), srv.Onboard("Bob")
	body := func(over P) P {
		p := P{"name": "测试日程", "desc": "介绍", "eventTime": ms(time.Hour), "memberUidList": []string{a.UID, b.UID}}
		for k, v := range over {
			if v == nil {
				delete(p, k)
			} else {
				p[k] = v
			}
		}
		return p
	}
	cases := []struct {
		p   P
		msg string
	}{
		{body(P{"name": nil}), "标题不能为空"},
		{body(P{"name": "  "}), "标题不能为空"},
		{body(P{"name": "", "eventTime": nil, "memberUidList": nil}), "标题不能为空"},
		{body(P{"name": strings.Repeat("n", 101)}), "标题不能超过100个字"},
		{body(P{"desc": strings.Repeat("d", 501)}), "介绍不能超过500个字"},
		{body(P{"desc": strings.Repeat("d", 501), "eventTime": nil}), "介绍不能超过500个字"},
		{body(P{"eventTime": nil}), "日期时间不能为空"},
		{body(P{"eventTime": nil, "memberUidList": nil}), "日期时间不能为空"},
		{body(P{"memberUidList": nil}), "嘉宾或主持人不能为空"},
		{body(P{"memberUidList": []string{}}), "嘉宾或主持人不能为空"},
		{body(P{"memberUidList": []string{b.UID}}), "参数错误"},
		{body(P{"memberUidList": []string{a.UID, "not-a-uid"}}), "参数错误"},
	}
	for i, c := range cases {
		if _, has := c.p["desc"]; has && len(c.p["desc"].(string)) < 500 {
			c.p["desc"] = fmt.Sprint(i) // keep calls distinct for the duplicate guard
		}
		a.Post("/event", c.p).MustFail(t, c.msg, 0)
	}
	if r := a.Post("/event", body(P{"eventTime": "tomorrow"})); r.HTTP != 400 {
		t.Fatalf("eventTime of the wrong type: %s", r)
	}
	if r := a.Post("/event", body(P{"memberUidList": "x"})); r.HTTP != 400 {
		t.Fatalf("memberUidList of the wrong type: %s", r)
	}
	// Limits are inclusive; a blank desc is not stored; duplicates go.
	ev := obj(t, a.Post("/event", body(P{"name": strings.Repeat("名", 100), "desc": " ", "memberUidList": []string{a.UID, b.UID, a.UID}})).MustOK(t))
	if _, has := ev["desc"]; has || !sameStrings(toStrings(ev["memberUidList"]), []string{a.UID, b.UID}) {
		t.Fatalf("event %v", ev)
	}
	a.Post("/event", body(P{"desc": strings.Repeat("介", 500), "name": "另一个"})).MustOK(t)
}

func toStrings(v any) []string {
	raw, _ := v.([]any)
	out := make([]string, len(raw))
	for i, e := range raw {
		out[i], _ = e.(string)
	}
	return out
}

func TestEventLifecycle(t *testing.T) {
	srv := resttest.Start(t)
	a, b, c := srv.Onboard("Alice"), srv.Onboard("Bob"), srv.Onboard("Carol")
	soon := ms(10 * time.Minute)
	body := P{"name": "测试\n日程", "desc": "测试介绍", "eventTime": soon, "memberUidList": []string{a.UID, b.UID}}

	r := a.Post("/event", body)
	ev := obj(t, r.MustOK(t))
	eid := ev["eventId"].(string)
	if r.Message() != "Success" || !hex32.MatchString(eid) || ev["uid"] != a.UID || ev["name"] != "测试 日程" ||
		ev["desc"] != "测试介绍" || numOf(t, ev, "eventTime") != soon || numOf(t, ev, "eventTimeStatus") != 1 ||
		numOf(t, ev, "notify") != 0 || ev["roomId"] != nil || ev["roomResult"] != nil || ev["memberList"] != nil ||
		numOf(t, ev, "createTime") == 0 || !sameStrings(toStrings(ev["memberUidList"]), []string{a.UID, b.UID}) {
		t.Fatalf("created event %v", ev)
	}
	a.Post("/event", body).MustFail(t, "Call Duplicate", -1)

	// Guests are told; the creator is not.
	got := messagesTo(t, b, "chaoqer://event/"+eid)
	if len(got) != 1 || got[0]["title"] != "Alice已添加你为活动嘉宾" || got[0]["content"] != "测试 日程" ||
		numOf(t, got[0], "originPushType") != 2 || got[0]["originUid"] != a.UID {
		t.Fatalf("guest notice %v", got)
	}
	if n := len(messagesTo(t, a, "chaoqer://event/"+eid)); n != 0 {
		t.Fatalf("creator told about own event %d times", n)
	}

	// Anyone can read it; eventTimeStatus follows the time.
	if got := obj(t, c.Get("/event/"+eid, nil).MustOK(t)); got["name"] != "测试 日程" || got["memberList"] != nil {
		t.Fatalf("read %v", got)
	}
	c.Get("/event/"+strings.Repeat("a", 32), nil).MustFail(t, "日程不存在", 600000)

	// Editing: hosts and guests only; the creator stays the owner.
	c.Put("/event/"+eid, P{"name": "x", "eventTime": soon, "memberUidList": []string{c.UID}}).MustFail(t, "日程不存在", 600000)
	c.Put("/event/"+eid, P{"name": "x", "eventTime": soon, "memberUidList": []string{a.UID}}).MustFail(t, "日程不存在", 600000)
	b.Put("/event/"+eid, P{"name": "x", "eventTime": soon, "memberUidList": []string{a.UID}}).MustFail(t, "参数错误", 0)
	b.Put("/event/"+strings.Repeat("b", 32), body).MustFail(t, "日程不存在", 600000)
	b.Put("/event/"+eid, P{"name": "", "eventTime": soon, "memberUidList": []string{b.UID}}).MustFail(t, "标题不能为空", 0)
	edited := obj(t, b.Put("/event/"+eid, P{"name": "改名", "eventTime": soon + 1000, "memberUidList": []string{b.UID, c.UID}}).MustOK(t))
	if edited["uid"] != a.UID || edited["name"] != "改名" || edited["desc"] != nil || numOf(t, edited, "eventTime") != soon+1000 ||
		!sameStrings(toStrings(edited["memberUidList"]), []string{b.UID, c.UID}) || numOf(t, edited, "createTime") != numOf(t, ev, "createTime") {
		t.Fatalf("edited %v", edited)
	}
	// The creator, no longer a host, may still edit; the list must include them.
	a.Put("/event/"+eid, P{"name": "回来", "eventTime": soon, "memberUidList": []string{b.UID}}).MustFail(t, "参数错误", 0)
	back := obj(t, a.Put("/event/"+eid, P{"name": "回来", "desc": "d", "eventTime": soon, "memberUidList": []string{a.UID, b.UID}}).MustOK(t))
	if back["uid"] != a.UID || back["desc"] != "d" {
		t.Fatalf("creator's edit %v", back)
	}

	// Reminders: not for hosts, idempotent, shown as notify.
	b.Post("/event/"+eid+"/notify", nil).MustFail(t, "嘉宾或者主持人无法预约日程", 0)
	c.Post("/event/"+strings.Repeat("c", 32)+"/notify", nil).MustFail(t, "日程不存在", 600000)
	c.Post("/event/"+eid+"/notify", nil).MustOK(t)
	resttest.Pause()
	c.Post("/event/"+eid+"/notify", nil).MustOK(t)
	if got := obj(t, c.Get("/event/"+eid, nil).MustOK(t)); numOf(t, got, "notify") != 1 {
		t.Fatalf("booked %v", got)
	}
	if got := obj(t, b.Get("/event/"+eid, nil).MustOK(t)); numOf(t, got, "notify") != 0 {
		t.Fatalf("not booked %v", got)
	}
	d := srv.Onboard("Dave")
	d.Post("/event/"+eid+"/notify", nil).MustOK(t)

	// Starting: hosts and guests only, within 30 minutes.
	c.Post("/event/"+eid+"/start", nil).MustFail(t, "权限不足", 0)
	c.Post("/event/"+strings.Repeat("d", 32)+"/start", nil).MustFail(t, "日程不存在", 600000)
	started := obj(t, b.Post("/event/"+eid+"/start", nil).MustOK(t))
	rid, _ := started["roomId"].(string)
	rr := obj(t, started["roomResult"])
	if !hex32.MatchString(rid) || rr["roomId"] != rid || rr["uid"] != b.UID || rr["name"] != "回来" ||
		numOf(t, rr, "inviteOnly") != 0 || numOf(t, rr, "memberTotal") != 0 ||
		!sameStrings(uidsOf(t, rr["memberList"]), []string{b.UID}) || started["uid"] != a.UID {
		t.Fatalf("started %v", started)
	}
	// Every booker is told, once, with a system notice.
	for _, booker := range []*resttest.Client{c, d} {
		got := messagesTo(t, booker, "chaoqer://room/"+rid)
		if len(got) != 1 || got[0]["title"] != "你预约的活动已经开始了" || got[0]["content"] != "回来" ||
			numOf(t, got[0], "originPushType") != 0 || got[0]["originUid"] != nil {
			t.Fatalf("started notice %v", got)
		}
	}
	pending, _ := srv.App.DB.Client.EventReminder.Query().
		Where(eventreminder.EventID(eid), eventreminder.NotifyTimeIsNil()).Count(context.Background())
	if pending != 0 {
		t.Fatalf("%d reminders still pending after the start", pending)
	}
	// Starting again answers the same room; nobody is told twice.
	resttest.Pause()
	again := obj(t, b.Post("/event/"+eid+"/start", nil).MustOK(t))
	if again["roomId"] != rid {
		t.Fatalf("second start %v", again)
	}
	a.Post("/event/"+eid+"/start", nil).MustOK(t)
	if n := len(messagesTo(t, c, "chaoqer://room/"+rid)); n != 1 {
		t.Fatalf("%d started notices after starting again", n)
	}
	// The room is a public room: in everyone's feed while somebody is in it.
	connect(t, srv, rid, b.UID, 2, 1)
	if feed := list(t, c.Get("/room", P{"count": 10}).MustOK(t)); len(feed) != 1 || feed[0]["roomId"] != rid {
		t.Fatalf("feed %v", feed)
	}
	if got := obj(t, c.Get("/event/"+eid, nil).MustOK(t)); obj(t, got["roomResult"])["roomId"] != rid {
		t.Fatalf("event with its live room %v", got)
	}

	// A started event can no longer be edited, deleted or booked.
	a.Put("/event/"+eid, body).MustFail(t, "无法编辑已绑定活动的日程", 0)
	a.Delete("/event/"+eid, nil).MustFail(t, "无法删除已绑定活动的日程", 0)
	srv.Onboard("Erin").Post("/event/"+eid+"/notify", nil).MustFail(t, "无法预约已绑定活动的日程", 0)
	// Once its room closes, the event shows no roomResult (but keeps roomId).
	b.Post("/room/"+rid+"/close", nil).MustOK(t)
	if got := obj(t, c.Get("/event/"+eid, nil).MustOK(t)); got["roomId"] != rid || got["roomResult"] != nil {
		t.Fatalf("event of a closed room %v", got)
	}
}

func TestEventTimeRules(t *testing.T) {
	srv := resttest.Start(t)
	a, b, c := srv.Onboard("Alice"), srv.Onboard("Bob"), srv.Onboard("Carol")
	mk := func(name string, at time.Duration) string {
		ev := obj(t, a.Post("/event", P{"name": name, "eventTime": ms(at), "memberUidList": []string{a.UID, b.UID}}).MustOK(t))
		return ev["eventId"].(string)
	}
	early := mk("early", 3*time.Hour)
	if got := obj(t, c.Get("/event/"+early, nil).MustOK(t)); numOf(t, got, "eventTimeStatus") != 0 {
		t.Fatalf("status %v", got)
	}
	past := mk("past", -40*time.Minute)
	if got := obj(t, c.Get("/event/"+past, nil).MustOK(t)); numOf(t, got, "eventTimeStatus") != 2 {
		t.Fatalf("status %v", got)
	}
	recent := mk("recent", -20*time.Minute)
	if got := obj(t, c.Get("/event/"+recent, nil).MustOK(t)); numOf(t, got, "eventTimeStatus") != 1 {
		t.Fatalf("status %v", got)
	}
	b.Post("/event/"+early+"/start", nil).MustFail(t, "日程时间未开始", 0)
	b.Post("/event/"+past+"/start", nil).MustFail(t, "日程时间已过期", 0)
	c.Post("/event/"+past+"/notify", nil).MustFail(t, "无法预约已过期的日程", 0)
	c.Post("/event/"+early+"/notify", nil).MustOK(t)
	c.Post("/event/"+recent+"/notify", nil).MustOK(t) // startable still counts as bookable
	b.Post("/event/"+recent+"/start", nil).MustOK(t)
}

func TestDeleteEvent(t *testing.T) {
	srv := resttest.Start(t)
	a, b, c := srv.Onboard("Alice"), srv.Onboard("Bob"), srv.Onboard("Carol")
	mk := func(name string) string {
		ev := obj(t, a.Post("/event", P{"name": name, "eventTime": ms(2 * time.Hour), "memberUidList": []string{a.UID, b.UID}}).MustOK(t))
		return ev["eventId"].(string)
	}
	e1, e2 := mk("one"), mk("two")
	c.Post("/event/"+e1+"/notify", nil).MustOK(t)

	c.Delete("/event/"+e1, nil).MustFail(t, "权限不足", 0)
	c.Delete("/event/"+strings.Repeat("e", 32), nil).MustFail(t, "日程不存在", 600000)
	r := a.Delete("/event/"+e1, nil)
	if r.MustOK(t); r.Message() != "Success" || len(obj(t, r.Result())) != 0 {
		t.Fatalf("delete answer %s", r)
	}
	a.Get("/event/"+e1, nil).MustFail(t, "日程不存在", 600000)
	resttest.Pause()
	a.Delete("/event/"+e1, nil).MustFail(t, "日程不存在", 600000)
	c.Post("/event/"+e1+"/notify", nil).MustFail(t, "日程不存在", 600000)
	if n, _ := srv.App.DB.Client.EventReminder.Query().Where(eventreminder.EventID(e1)).Count(context.Background()); n != 0 {
		t.Fatalf("%d reminders of a deleted event", n)
	}
	b.Delete("/event/"+e2, nil).MustOK(t) // a guest may delete too
	if items := list(t, c.Get("/event", P{"count": 10}).MustOK(t)); len(items) != 0 {
		t.Fatalf("deleted events listed %v", items)
	}
}

func TestEventList(t *testing.T) {
	srv := resttest.Start(t)
	a, c := srv.Onboard("Alice"), srv.Onboard("Carol")
	var want []string
	for _, at := range []time.Duration{3 * time.Hour, -2 * time.Hour, 10 * time.Minute, -50 * time.Minute, 24 * time.Hour} {
		ev := obj(t, a.Post("/event", P{"name": fmt.Sprint(at), "eventTime": ms(at), "memberUidList": []string{a.UID}}).MustOK(t))
		if at > -time.Hour {
			want = append(want, ev["eventId"].(string))
		}
	}
	// Ascending by time, from one hour ago.
	want = []string{want[2], want[1], want[0], want[3]}
	items := list(t, c.Get("/event", P{"count": 100}).MustOK(t))
	if !sameStrings(field(items, "eventId"), want) {
		t.Fatalf("list %v, want %v", field(items, "eventId"), want)
	}
	for _, it := range items {
		er := obj(t, it["eventResult"])
		if it["sequenceId"] != fmt.Sprintf("%d:%s", numOf(t, it, "eventTime"), it["eventId"]) ||
			numOf(t, er, "eventTime") != numOf(t, it, "eventTime") || er["eventId"] != it["eventId"] {
			t.Fatalf("item %v", it)
		}
	}
	if paged := pageOneByOne(t, c, "/event", "eventId"); !sameStrings(paged, want) {
		t.Fatalf("paged %v", paged)
	}
	c.Get("/event", P{"count": 0}).MustFail(t, "count只能在0到100之间", 0)
}

func TestEventGraphQL(t *testing.T) {
	srv := resttest.Start(t)
	a, b, c := srv.Onboard("Alice"), srv.Onboard("Bob"), srv.Onboard("Carol")
	r := a.GraphQL(`mutation($in: EventInput!) { createEvent(input: $in) { event { eventId creator { nickname } hosts { nickname } eventTimeStatus viewerHasBooked } } }`,
		map[string]any{"in": map[string]any{"name": "GQL", "eventTime": ms(5 * time.Minute), "memberUidList": []string{a.UID, b.UID, ids.New()}}})
	ev := obj(t, obj(t, obj(t, r.Body["data"])["createEvent"])["event"])
	if obj(t, ev["creator"])["nickname"] != "Alice" || len(ev["hosts"].([]any)) != 2 || ev["viewerHasBooked"] != false {
		t.Fatalf("createEvent %s", r)
	}
	eid := ev["eventId"].(string)
	r = c.GraphQL(`mutation($id: ID!) { bookEvent(eventId: $id) { event { viewerHasBooked } } }`, map[string]any{"id": eid})
	if !strings.Contains(string(r.Raw), `"viewerHasBooked":true`) {
		t.Fatalf("bookEvent %s", r)
	}
	r = b.GraphQL(`mutation($id: ID!) { startEvent(eventId: $id) { event { room { roomId creator { nickname } members { nickname } memberTotal } } } }`, map[string]any{"id": eid})
	if !strings.Contains(string(r.Raw), `"members":[{"nickname":"Bob"}],"memberTotal":0`) {
		t.Fatalf("startEvent %s", r)
	}
	r = c.GraphQL(`{ events(first: 5) { edges { cursor node { eventId event { name viewerHasBooked room { roomId } } } } pageInfo { hasNextPage endCursor } } }`, nil)
	if !strings.Contains(string(r.Raw), `"viewerHasBooked":true,"room":null`) {
		t.Fatalf("events %s", r) // nobody is connected: Carol may not see the room
	}
	r = c.GraphQL(`mutation($id: ID!) { deleteEvent(eventId: $id) { message } }`, map[string]any{"id": eid})
	if !strings.Contains(string(r.Raw), "无法删除已绑定活动的日程") {
		t.Fatalf("deleteEvent %s", r)
	}
}

func TestReminderJobRunsInTheApp(t *testing.T) {
	srv := resttest.Start(t, func(c *app.Config) { c.ReminderInterval = 20 * time.Millisecond })
	a, c := srv.Onboard("Alice"), srv.Onboard("Carol")
	ev := obj(t, a.Post("/event", P{"name": "马上开始", "eventTime": ms(-2 * time.Minute), "memberUidList": []string{a.UID}}).MustOK(t))
	eid := ev["eventId"].(string)
	c.Post("/event/"+eid+"/notify", nil).MustOK(t)
	var got []map[string]any
	for i := 0; i < 500 && len(got) == 0; i++ {
		time.Sleep(20 * time.Millisecond)
		got = messagesTo(t, c, "chaoqer://event/"+eid)
	}
	if len(got) != 1 || got[0]["title"] != "你预约的日程开始了" || got[0]["content"] != "马上开始" || numOf(t, got[0], "originPushType") != 0 {
		t.Fatalf("due reminder %v", got)
	}
}

func TestStartedEventsGetNoDueReminder(t *testing.T) {
	srv := resttest.Start(t) // the job is off: run its rounds by hand
	a, c := srv.Onboard("Alice"), srv.Onboard("Carol")
	ev := obj(t, a.Post("/event", P{"name": "已开始", "eventTime": ms(-time.Minute), "memberUidList": []string{a.UID}}).MustOK(t))
	eid := ev["eventId"].(string)
	c.Post("/event/"+eid+"/notify", nil).MustOK(t)
	a.Post("/event/"+eid+"/start", nil).MustOK(t)
	if n, err := srv.App.Resolver.Events.SendDueReminders(context.Background()); err != nil || n != 0 {
		t.Fatalf("due reminders after the start: %d, %v", n, err)
	}
	if got := messagesTo(t, c, "chaoqer://event/"+eid); len(got) != 0 {
		t.Fatalf("due reminder for a started event %v", got)
	}
	if got := messages(t, c); len(got) != 1 || got[0]["title"] != "你预约的活动已经开始了" {
		t.Fatalf("booker's messages %v", got)
	}
}
