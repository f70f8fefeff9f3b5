package rest_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"chaoqer/rest/resttest"
)

func obj(t testing.TB, v any) map[string]any {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("not an object: %#v", v)
	}
	return m
}

func list(t *testing.T, v any) []map[string]any {
	t.Helper()
	items, _ := obj(t, v)["list"].([]any)
	out := make([]map[string]any, len(items))
	for i, it := range items {
		out[i] = obj(t, it)
	}
	return out
}

func num(v any) string { return fmt.Sprint(v) }

func TestLoginRegistersThenLogsIn(t *testing.T) {
	srv := resttest.Start(t)
	mobile := srv.Mobile()
	r := srv.Anonymous().Post("/account/login/captcha", P{"countryCode": "86", "mobile": mobile, "captcha": "8888"})
	res := obj(t, r.MustOK(t))
	if r.Message() != "注册成功" {
		t.Fatalf("first login message: %s", r)
	}
	for _, k := range []string{"uid", "accessToken", "accessSecret"} {
		if s, _ := res[k].(string); len(s) != 32 {
			t.Fatalf("%s: %v", k, res)
		}
	}
	resttest.Pause()
	r = srv.Anonymous().Post("/account/login/captcha", P{"countryCode": "86", "mobile": mobile, "captcha": "8888"})
	if r.MustOK(t); r.Message() != "登录成功" || obj(t, r.Result())["uid"] != res["uid"] {
		t.Fatalf("second login: %s", r)
	}
	// Wrong code for a test number is an ordinary wrong code.
	r = srv.Anonymous().Post("/account/login/captcha", P{"countryCode": "86", "mobile": mobile, "captcha": "1234"})
	r.MustFail(t, "验证码已过期，请重新获取验证码", 0)
}

func TestLogout(t *testing.T) {
	srv := resttest.Start(t)
	a := srv.Login()
	r := a.Post("/account/logout", nil)
	if r.MustOK(t); r.Message() != "退出成功" {
		t.Fatalf("logout: %s", r)
	}
	if r := a.Get("/user/message/unread_total", nil); r.HTTP != 401 {
		t.Fatalf("after logout: %s", r)
	}
	if r := a.Post("/account/logout", nil); r.HTTP != 401 {
		t.Fatalf("second logout: %s", r)
	}
}

func TestProfileGate(t *testing.T) {
	srv := resttest.Start(t)
	c := srv.Login()
	c.Get("/user/"+c.UID+"/profile", nil).MustFail(t, "用户资料未初始化", 200000)
	c.Get("/user/block", P{"count": 10}).MustFail(t, "用户资料未初始化", 200000)
	c.Put("/user/profile", P{"nickname": "x", "avatar": "y"}).MustFail(t, "用户资料未初始化", 200000)
	// The gate answers before the sign is checked.
	r := c.Call("GET", "/user/block", P{"count": 10}, func(p P) { delete(p, "sign") })
	r.MustFail(t, "用户资料未初始化", 200000)
	// What a new account may do.
	c.Get("/user/message/unread_total", nil).MustOK(t)
	c.Post("/push/update/1a0018970a8b2c3d", nil).MustOK(t)

	c.Post("/user/profile/init", P{"nickname": "", "avatar": "x"}).MustFail(t, "名字不能为空", 0)
	c.Post("/user/profile/init", P{"avatar": "x"}).MustFail(t, "名字不能为空", 0)
	c.Post("/user/profile/init", P{"nickname": strings.Repeat("字", 21), "avatar": "x"}).MustFail(t, "设置的名字不能超过20个字", 0)
	c.Post("/user/profile/init", P{"nickname": strings.Repeat("😀", 11), "avatar": "x"}).MustFail(t, "设置的名字不能超过20个字", 0)
	c.Post("/user/profile/init", P{"nickname": "小明", "avatar": " "}).MustFail(t, "头像不能为空", 0)
	res := obj(t, c.Post("/user/profile/init", P{"nickname": strings.Repeat("字", 20), "avatar": "https://cdn.example.com/x.jpg", "bio": "ignored"}).MustOK(t))
	if res["uid"] != c.UID || res["bio"] != nil || num(res["blocked"]) != "0" || num(res["cardTotal"]) != "0" {
		t.Fatalf("init result: %v", res)
	}
	c.Get("/user/"+c.UID+"/profile", nil).MustOK(t)
	// Init again changes nothing.
	resttest.Pause()
	res = obj(t, c.Post("/user/profile/init", P{"nickname": "Other", "avatar": "https://cdn.example.com/y.jpg"}).MustOK(t))
	if res["nickname"] != strings.Repeat("字", 20) {
		t.Fatalf("second init changed the profile: %v", res)
	}
}

func TestUpdateProfile(t *testing.T) {
	srv := resttest.Start(t)
	a := srv.Onboard("Alice")
	res := obj(t, a.Put("/user/profile", P{"nickname": "Alice", "avatar": "https://cdn.example.com/a2.jpg", "bio": "你好哇"}).MustOK(t))
	if res["bio"] != "你好哇" || res["avatar"] != "https://cdn.example.com/a2.jpg" {
		t.Fatalf("update: %v", res)
	}
	a.Put("/user/profile", P{"nickname": "Alice", "avatar": "x", "bio": strings.Repeat("b", 1001)}).MustFail(t, "介绍不能超过1000个字", 0)
	a.Put("/user/profile", P{"nickname": " ", "avatar": "x"}).MustFail(t, "名字不能为空", 0)
	a.Put("/user/profile", P{"nickname": "A", "avatar": ""}).MustFail(t, "头像不能为空", 0)
	a.Put("/user/profile", P{"nickname": strings.Repeat("n", 21), "avatar": "x"}).MustFail(t, "设置的名字不能超过20个字", 0)
	// A blank bio removes it.
	res = obj(t, a.Put("/user/profile", P{"nickname": "Alice", "avatar": "x", "bio": ""}).MustOK(t))
	if _, ok := res["bio"]; ok {
		t.Fatalf("bio not removed: %v", res)
	}
}

func TestReadProfile(t *testing.T) {
	srv := resttest.Start(t)
	a := srv.Onboard("Alice")
	b := srv.Onboard("Bob")
	res := obj(t, a.Get("/user/"+b.UID+"/profile", nil).MustOK(t))
	for _, k := range []string{"uid", "nickname", "avatar", "blocked", "sendCard", "cardTotal", "allowLive"} {
		if _, ok := res[k]; !ok {
			t.Fatalf("profile lacks %s: %v", k, res)
		}
	}
	if _, ok := res["figure"]; ok {
		t.Fatal("figure must not be emitted")
	}
	a.Get("/user/"+strings.Repeat("0", 32)+"/profile", nil).MustFail(t, "用户不存在", 200002)
	// Accounts without a profile are not visible.
	c := srv.Login()
	a.Get("/user/"+c.UID+"/profile", nil).MustFail(t, "用户不存在", 200002)
}

func TestBlocks(t *testing.T) {
	srv := resttest.Start(t)
	a, b := srv.Onboard("Alice"), srv.Onboard("Bob")
	a.Post("/user/"+a.UID+"/block", nil).MustFail(t, "无法屏蔽自己", 0)
	a.Post("/user/"+strings.Repeat("1", 32)+"/block", nil).MustFail(t, "用户不存在", 200002)
	a.Delete("/user/"+strings.Repeat("1", 32)+"/block", nil).MustFail(t, "用户不存在", 200002)
	r := a.Post("/user/"+b.UID+"/block", nil)
	if r.MustOK(t); r.Message() != "屏蔽成功" {
		t.Fatalf("block: %s", r)
	}
	if res := obj(t, a.Get("/user/"+b.UID+"/profile", nil).MustOK(t)); num(res["blocked"]) != "1" {
		t.Fatalf("blocked flag: %v", res)
	}
	if res := obj(t, b.Get("/user/"+a.UID+"/profile", nil).MustOK(t)); num(res["blocked"]) != "0" {
		t.Fatalf("blocked is the viewer's relation: %v", res)
	}
	items := list(t, a.Get("/user/block", P{"count": 10}).MustOK(t))
	if len(items) != 1 || items[0]["uid"] != b.UID {
		t.Fatalf("block list: %v", items)
	}
	first := items[0]
	if first["sequenceId"] != fmt.Sprintf("%s:%s", num(first["createTime"]), b.UID) {
		t.Fatalf("sequenceId: %v", first)
	}
	if obj(t, first["userProfileResult"])["uid"] != b.UID {
		t.Fatalf("profile in item: %v", first)
	}
	// Blocking again keeps the first time.
	resttest.Pause()
	a.Post("/user/"+b.UID+"/block", nil).MustOK(t)
	again := list(t, a.Get("/user/block", P{"count": 10}).MustOK(t))
	if len(again) != 1 || again[0]["createTime"] != first["createTime"] {
		t.Fatalf("re-block changed the list: %v", again)
	}
	r = a.Delete("/user/"+b.UID+"/block", nil)
	if r.MustOK(t); r.Message() != "解除屏蔽成功" {
		t.Fatalf("unblock: %s", r)
	}
	if res := obj(t, a.Get("/user/"+b.UID+"/profile", nil).MustOK(t)); num(res["blocked"]) != "0" {
		t.Fatalf("unblocked flag: %v", res)
	}
	resttest.Pause()
	a.Delete("/user/"+b.UID+"/block", nil).MustOK(t) // not blocked: still success
}

func TestPagination(t *testing.T) {
	srv := resttest.Start(t)
	a := srv.Onboard("Pager")
	targets := srv.SeedUsers(3)
	for _, u := range targets {
		a.Post("/user/"+u+"/block", nil).MustOK(t)
		time.Sleep(5 * time.Millisecond)
	}
	page := a.Get("/user/block", P{"count": 2}).MustOK(t)
	items := list(t, page)
	if pg := obj(t, obj(t, page)["page"]); num(pg["count"]) != "2" || pg["lastId"] != nil {
		t.Fatalf("page echo: %v", pg)
	}
	if len(items) != 2 || items[0]["uid"] != targets[2] || items[1]["uid"] != targets[1] {
		t.Fatalf("first page: %v", items)
	}
	last := items[1]["sequenceId"].(string)
	page2 := a.Get("/user/block", P{"count": 2, "lastId": last}).MustOK(t)
	if pg := obj(t, obj(t, page2)["page"]); pg["lastId"] != last {
		t.Fatalf("page echo of lastId: %v", pg)
	}
	items = list(t, page2)
	if len(items) != 1 || items[0]["uid"] != targets[0] {
		t.Fatalf("second page: %v", items)
	}
	if items := list(t, a.Get("/user/block", P{"count": 2, "lastId": items[0]["sequenceId"]}).MustOK(t)); len(items) != 0 {
		t.Fatalf("past the end: %v", items)
	}
	// Blank lastId is the first page; a lastId that is no row still pages by order.
	if items := list(t, a.Get("/user/block", P{"count": 5, "lastId": ""}).MustOK(t)); len(items) != 3 {
		t.Fatalf("blank lastId: %v", items)
	}
	if items := list(t, a.Get("/user/block", P{"count": 5, "lastId": "zzz"}).MustOK(t)); len(items) != 3 {
		t.Fatalf("lastId after everything: %v", items)
	}
	for _, bad := range []any{0, 101, -1} {
		a.Get("/user/block", P{"count": bad}).MustFail(t, "count只能在0到100之间", 0)
	}
	a.Get("/user/block", nil).MustFail(t, "count只能在0到100之间", 0)
	a.Get("/user/block", P{"count": "x"}).MustFail(t, "count类型不正确", 0)
	a.Get("/user/block", P{"count": "1.5"}).MustFail(t, "count类型不正确", 0)
	a.Get("/user/block", P{"count": 100}).MustOK(t)
}

func TestCardsAndMessages(t *testing.T) {
	srv := resttest.Start(t)
	a, b := srv.Onboard("CardGiver"), srv.Onboard("CardHolder")
	a.Post("/user/"+a.UID+"/card", nil).MustFail(t, "无法发送名片给自己", 0)
	a.Post("/user/"+strings.Repeat("2", 32)+"/card", nil).MustFail(t, "用户不存在", 200002)
	r := a.Post("/user/"+b.UID+"/card", nil)
	if r.MustOK(t); r.Message() != "你给了对方一张自己的名片" {
		t.Fatalf("send card: %s", r)
	}
	prof := obj(t, a.Get("/user/"+b.UID+"/profile", nil).MustOK(t))
	if num(prof["sendCard"]) != "1" || num(prof["cardTotal"]) != "1" {
		t.Fatalf("sendCard/cardTotal: %v", prof)
	}
	cards := list(t, b.Get("/user/card", P{"count": 10}).MustOK(t))
	if len(cards) != 1 || cards[0]["uid"] != a.UID || obj(t, cards[0]["userProfileResult"])["nickname"] != "CardGiver" {
		t.Fatalf("card holder: %v", cards)
	}
	if cards[0]["sequenceId"] != fmt.Sprintf("%s:%s", num(cards[0]["createTime"]), a.UID) {
		t.Fatalf("card sequenceId: %v", cards[0])
	}
	if n := b.Get("/user/message/unread_total", nil).MustOK(t); num(n) != "1" {
		t.Fatalf("unread total %v", n)
	}
	msgs := list(t, b.Get("/user/message", P{"count": 10}).MustOK(t))
	if len(msgs) != 1 {
		t.Fatalf("messages: %v", msgs)
	}
	m := msgs[0]
	um := obj(t, m["userMessageResult"])
	body := obj(t, um["messageBody"])
	if m["sequenceId"] != num(m["messageId"]) || num(um["messageId"]) != num(m["messageId"]) {
		t.Fatalf("message ids: %v", m)
	}
	if um["originUid"] != a.UID || num(um["originPushType"]) != "2" || num(um["messageType"]) != "0" || um["uid"] != b.UID {
		t.Fatalf("message fields: %v", um)
	}
	if body["title"] != "CardGiver" || body["content"] != "给你发送了一张名片" || body["url"] != "chaoqer://profile/"+a.UID {
		t.Fatalf("message body: %v", body)
	}
	if num(um["unread"]) != "1" {
		t.Fatalf("first listing shows the message as it was: %v", um)
	}
	if n := b.Get("/user/message/unread_total", nil).MustOK(t); num(n) != "0" {
		t.Fatalf("listing reads messages: %v", n)
	}
	if um := obj(t, list(t, b.Get("/user/message", P{"count": 10}).MustOK(t))[0]["userMessageResult"]); num(um["unread"]) != "0" {
		t.Fatalf("second listing: %v", um)
	}
	// Sending again changes nothing and notifies nobody.
	resttest.Pause()
	a.Post("/user/"+b.UID+"/card", nil).MustOK(t)
	if n := b.Get("/user/message/unread_total", nil).MustOK(t); num(n) != "0" {
		t.Fatalf("resend notified: %v", n)
	}
	// Deleting works (the original never removed a card).
	r = b.Delete("/user/"+a.UID+"/card", nil)
	if r.MustOK(t); r.Message() != "删除成功" {
		t.Fatalf("delete card: %s", r)
	}
	if cards := list(t, b.Get("/user/card", P{"count": 10}).MustOK(t)); len(cards) != 0 {
		t.Fatalf("deleted card listed: %v", cards)
	}
	prof = obj(t, a.Get("/user/"+b.UID+"/profile", nil).MustOK(t))
	if num(prof["sendCard"]) != "0" || num(prof["cardTotal"]) != "0" {
		t.Fatalf("after delete: %v", prof)
	}
	b.Delete("/user/"+strings.Repeat("3", 32)+"/card", nil).MustFail(t, "用户不存在", 200002)
	// Re-sending after deletion files it again and notifies again.
	resttest.Pause()
	a.Post("/user/"+b.UID+"/card", nil).MustOK(t)
	if n := b.Get("/user/message/unread_total", nil).MustOK(t); num(n) != "1" {
		t.Fatalf("re-send after deletion: %v", n)
	}
	// Message paging: lastId must be a number.
	b.Get("/user/message", P{"count": 10, "lastId": "not-a-number"}).MustFail(t, "lastId类型不正确", 0)
	if items := list(t, b.Get("/user/message", P{"count": 10, "lastId": "1"}).MustOK(t)); len(items) != 0 {
		t.Fatalf("messages before id 1: %v", items)
	}
}

func TestCardFromBlockedSender(t *testing.T) {
	srv := resttest.Start(t)
	a, b := srv.Onboard("Sender"), srv.Onboard("Blocker")
	b.Post("/user/"+a.UID+"/block", nil).MustOK(t)
	a.Post("/user/"+b.UID+"/card", nil).MustOK(t)
	if cards := list(t, b.Get("/user/card", P{"count": 10}).MustOK(t)); len(cards) != 0 {
		t.Fatalf("card from a blocked sender listed: %v", cards)
	}
	if n := b.Get("/user/message/unread_total", nil).MustOK(t); num(n) != "0" {
		t.Fatalf("blocked sender's card notified: %v", n)
	}
	if prof := obj(t, a.Get("/user/"+b.UID+"/profile", nil).MustOK(t)); num(prof["sendCard"]) != "0" {
		t.Fatalf("sendCard for a filed-away card: %v", prof)
	}
}

func TestPushDevicePaths(t *testing.T) {
	srv := resttest.Start(t)
	a := srv.Onboard("Pusher")
	a.Post("/push/1a0018970a8b2c3d", nil).MustOK(t)
	a.Post("/push/update/1a0018970a8b2c3e", nil).MustOK(t)
	a.Post("/push/update/"+strings.Repeat("x", 200), nil).MustFail(t, "jPushId格式不正确", 0)
	if r := srv.Anonymous().Post("/push/update/1a0018970a8b2c3e", nil); r.HTTP != 401 {
		t.Fatalf("anonymous push binding: %s", r)
	}
}
