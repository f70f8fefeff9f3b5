package rest_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"

	"chaoqer/app"
	"chaoqer/graph/wechat"
	"chaoqer/rest/resttest"
)

// fakeWeChat answers the token and ticket calls and counts them.
func fakeWeChat(t *testing.T, calls *atomic.Int64) string {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		switch r.URL.Path {
		case "/cgi-bin/token":
			json.NewEncoder(w).Encode(map[string]any{"access_token": "AT", "expires_in": 7200})
		case "/cgi-bin/ticket/getticket":
			json.NewEncoder(w).Encode(map[string]any{"errcode": 0, "errmsg": "ok", "ticket": "TICKET", "expires_in": 7200})
		}
	}))
	t.Cleanup(hs.Close)
	return hs.URL
}

// h5Call sends an unsigned request without any client headers and decodes
// the answer like resttest does.
func h5Call(t *testing.T, method, target, contentType, body string) *resttest.Response {
	t.Helper()
	code, raw, headers := plainHTTP(t, method, target, contentType, []byte(body))
	r := &resttest.Response{HTTP: code, Raw: raw, Headers: headers}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	_ = dec.Decode(&r.Body)
	return r
}

func TestWeixinConfig(t *testing.T) {
	var calls atomic.Int64
	api := fakeWeChat(t, &calls)
	srv := resttest.Start(t, func(c *app.Config) {
		c.WeChat = app.WeChatConfig{AppID: "wxdf43cbdae5004909", AppSecret: "secret", APIBase: api}
	})
	page := "https://h5.chaoqer.com/room/26a9bc4b4a524e68b75c46eeb9bf58fa/6ce4443c8fcd4a2b8b407bda86ab4408?from=timeline&x=1"
	q := "?url=" + url.QueryEscape(page)
	for name, r := range map[string]*resttest.Response{
		"GET query":  h5Call(t, "GET", srv.URL+"/h5/weixin/config"+q, "", ""),
		"POST query": h5Call(t, "POST", srv.URL+"/h5/weixin/config"+q, "", ""),
		"POST form":  h5Call(t, "POST", srv.URL+"/h5/weixin/config", "application/x-www-form-urlencoded", "url="+url.QueryEscape(page)),
		"POST JSON":  h5Call(t, "POST", srv.URL+"/h5/weixin/config", "application/json", `{"url":"`+page+`"}`),
	} {
		res, _ := r.MustOK(t).(map[string]any)
		if res["appId"] != "wxdf43cbdae5004909" || res["url"] != page || len(res["nonceStr"].(string)) != 32 {
			t.Fatalf("%s: %v", name, res)
		}
		if _, leaked := res["jsapi_ticket"]; leaked {
			t.Fatalf("%s: the ticket is not for the browser: %v", name, res)
		}
		if want := wechat.Signature("TICKET", res["nonceStr"].(string), res["timestamp"].(string), page); res["signature"] != want {
			t.Fatalf("%s: signature %v, want %s", name, res["signature"], want)
		}
	}
	if calls.Load() != 2 {
		t.Fatalf("WeChat API called %d times; the token and ticket are cached", calls.Load())
	}
	// Without url, "null" is signed and the key is left out.
	res := h5Call(t, "GET", srv.URL+"/h5/weixin/config", "", "").MustOK(t).(map[string]any)
	if _, ok := res["url"]; ok || res["signature"] != wechat.Signature("TICKET", res["nonceStr"].(string), res["timestamp"].(string), "null") {
		t.Fatalf("without url: %v", res)
	}
	// Share pages check an Authorization header when one is sent (spec §2.9).
	stale := srv.Anonymous()
	stale.UID, stale.Token = "0123456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcdef"
	req, _ := http.NewRequest("GET", srv.URL+"/h5/weixin/config"+q, nil)
	if r := stale.Do(req); r.HTTP != 401 {
		t.Fatalf("stale Authorization on a share page: %s", r)
	}
	// GraphQL
	r := srv.Anonymous().GraphQL(`query($u: String) { wechatJSConfig(url: $u) { appId url signature } }`, map[string]any{"u": page})
	if gqlField(t, r, "wechatJSConfig")["url"] != page {
		t.Fatalf("%s", r)
	}
}

func TestWeixinConfigWithoutCredentials(t *testing.T) {
	srv := resttest.Start(t)
	h5Call(t, "GET", srv.URL+"/h5/weixin/config?url=x", "", "").MustFail(t, "微信公众号未配置", 0)
}

func TestH5Profile(t *testing.T) {
	srv := resttest.Start(t)
	a, b := srv.Onboard("Amy"), srv.Onboard("Bo")
	a.Post("/user/"+b.UID+"/block", nil).MustOK(t)
	a.Post("/user/"+b.UID+"/card", nil).MustOK(t)
	for _, m := range []string{"GET", "POST"} {
		res := h5Call(t, m, srv.URL+"/h5/profile/"+a.UID, "", "").MustOK(t).(map[string]any)
		if res["uid"] != a.UID || res["nickname"] != "Amy" || res["blocked"] != json.Number("0") ||
			res["sendCard"] != json.Number("0") || res["allowLive"] != json.Number("0") || res["avatar"] == nil {
			t.Fatalf("%s: %v", m, res)
		}
		if _, ok := res["bio"]; ok {
			t.Fatalf("no bio is omitted: %v", res)
		}
	}
	// Bo holds Amy's card. Anonymously the page shows no relations; with
	// Amy's session (spec §2.9: a sent Authorization is checked and used)
	// it shows hers, and a stale session is refused.
	res := h5Call(t, "GET", srv.URL+"/h5/profile/"+b.UID, "", "").MustOK(t).(map[string]any)
	if res["cardTotal"] != json.Number("1") || res["blocked"] != json.Number("0") || res["sendCard"] != json.Number("0") {
		t.Fatalf("as seen by nobody: %v", res)
	}
	req, _ := http.NewRequest("GET", srv.URL+"/h5/profile/"+b.UID, nil)
	res = a.Do(req).MustOK(t).(map[string]any)
	if res["cardTotal"] != json.Number("1") || res["blocked"] != json.Number("1") || res["sendCard"] != json.Number("1") {
		t.Fatalf("as seen by Amy: %v", res)
	}
	stale := *a
	stale.Token = "ffffffffffffffffffffffffffffffff"
	req, _ = http.NewRequest("GET", srv.URL+"/h5/profile/"+b.UID, nil)
	if r := stale.Do(req); r.HTTP != 401 {
		t.Fatalf("stale session on a share page: %s", r)
	}
	h5Call(t, "GET", srv.URL+"/h5/profile/0123456789abcdef0123456789abcdef", "", "").MustFail(t, "用户不存在", 200002)
	h5Call(t, "GET", srv.URL+"/h5/profile/"+srv.Login().UID, "", "").MustFail(t, "用户不存在", 200002)
	if r := h5Call(t, "GET", srv.URL+"/h5/profile/xyz", "", ""); r.HTTP != 404 {
		t.Fatalf("bad id: %d", r.HTTP)
	}
	r := srv.Anonymous().GraphQL(`query($u: ID!) { publicUser(uid: $u) { nickname viewerHasBlocked } }`, map[string]any{"u": b.UID})
	if gqlField(t, r, "publicUser")["nickname"] != "Bo" {
		t.Fatalf("%s", r)
	}
}

// TestPushAdminEndpointsAreNotServed: spec §12 S3. POST /push/template and
// /push/attach only reach the documented device-binding route, which needs
// a session.
func TestPushAdminEndpointsAreNotServed(t *testing.T) {
	srv := resttest.Start(t)
	form := "application/x-www-form-urlencoded"
	if r := h5Call(t, "GET", srv.URL+"/push", "", ""); r.HTTP != 404 {
		t.Fatalf("GET /push: %d", r.HTTP)
	}
	for _, p := range []string{"/push/template", "/push/attach"} {
		if r := h5Call(t, "POST", srv.URL+p, form, "uid=x&title=t&content=c&url=u&store=1&alert=1&originPushType=1"); r.HTTP == 200 {
			t.Fatalf("POST %s answered 200", p)
		}
	}
}

func TestSendNotice(t *testing.T) {
	srv := resttest.Start(t)
	op, u := srv.Onboard("Operator"), srv.Onboard("User")
	makeAdmin(srv, op)
	send := `mutation($in: NoticeInput!) { sendNotice(input: $in) { message } }`
	in := map[string]any{"in": map[string]any{"uid": u.UID, "title": "系统通知", "content": "欢迎", "url": "chaoqer://profile/" + u.UID}}
	if m := gqlMessage(u.GraphQL(send, in)); m != "权限不足" {
		t.Fatalf("non-operator: %q", m)
	}
	gqlField(t, op.GraphQL(send, in), "sendNotice")
	list := u.Get("/user/message", resttest.P{"count": 10}).MustOK(t).(map[string]any)["list"].([]any)
	if len(list) != 1 {
		t.Fatalf("messages %v", list)
	}
	msg := list[0].(map[string]any)["userMessageResult"].(map[string]any)
	if msg["originPushType"] != json.Number("1") || msg["messageBody"].(map[string]any)["title"] != "系统通知" {
		t.Fatalf("message %v", msg)
	}
	in["in"].(map[string]any)["originPushType"] = 2
	if m := gqlMessage(op.GraphQL(send, in)); m != "推送类型不存在" {
		t.Fatalf("interactive: %q", m)
	}
}
