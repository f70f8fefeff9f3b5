package rest_test

import (
	"net/http"
	"strings"
	"testing"

	"chaoqer/rest/resttest"
)

func gqlErr(t *testing.T, r *resttest.Response) (string, map[string]any) {
	t.Helper()
	errs, _ := r.Body["errors"].([]any)
	if len(errs) == 0 {
		t.Fatalf("expected a GraphQL error: %s", r)
	}
	e := obj(t, errs[0])
	ext, _ := e["extensions"].(map[string]any)
	return e["message"].(string), ext
}

func gqlData(t *testing.T, r *resttest.Response) map[string]any {
	t.Helper()
	if r.HTTP != 200 || r.Body["errors"] != nil {
		t.Fatalf("GraphQL request failed: %s", r)
	}
	return obj(t, r.Body["data"])
}

func TestGraphQLLoginFlow(t *testing.T) {
	srv := resttest.Start(t)
	anon := srv.Anonymous()
	mobile := srv.Mobile()
	d := gqlData(t, anon.GraphQL(`mutation($m: String) { requestCaptcha(input: {countryCode: "86", mobile: $m}) { message } }`, map[string]any{"m": mobile}))
	if obj(t, d["requestCaptcha"])["message"] != "请输入验证码8888直接登录" {
		t.Fatalf("captcha: %v", d)
	}
	d = gqlData(t, anon.GraphQL(`mutation($m: String) { loginWithCaptcha(input: {countryCode: "86", mobile: $m, captcha: "8888"}) {
		message registered credentials { uid accessToken accessSecret expireTime } } }`, map[string]any{"m": mobile}))
	login := obj(t, d["loginWithCaptcha"])
	if login["registered"] != true || login["message"] != "注册成功" {
		t.Fatalf("login: %v", login)
	}
	cred := obj(t, login["credentials"])
	c := srv.Anonymous()
	c.UID, c.Token, c.Secret = cred["uid"].(string), cred["accessToken"].(string), cred["accessSecret"].(string)

	// A new account sees itself but nothing that needs a profile.
	d = gqlData(t, c.GraphQL(`{ viewer { uid profileInitialized unreadMessageCount } }`, nil))
	if v := obj(t, d["viewer"]); v["uid"] != c.UID || v["profileInitialized"] != false {
		t.Fatalf("viewer: %v", v)
	}
	msg, ext := gqlErr(t, c.GraphQL(`{ viewer { profile { uid } } }`, nil))
	if msg != "用户资料未初始化" || num(ext["errorCode"]) != "200000" || ext["code"] != "BUSINESS" {
		t.Fatalf("profile gate: %s %v", msg, ext)
	}
	d = gqlData(t, c.GraphQL(`mutation { initProfile(input: {nickname: "Neo", avatar: "https://cdn.example.com/n.jpg"}) { message user { uid nickname viewerHasBlocked } } }`, nil))
	if u := obj(t, obj(t, d["initProfile"])["user"]); u["nickname"] != "Neo" || u["viewerHasBlocked"] != false {
		t.Fatalf("init: %v", d)
	}
	d = gqlData(t, c.GraphQL(`{ viewer { profileInitialized profile { nickname } } }`, nil))
	if v := obj(t, d["viewer"]); v["profileInitialized"] != true {
		t.Fatalf("after init: %v", v)
	}
	d = gqlData(t, c.GraphQL(`mutation { logout { message } }`, nil))
	if obj(t, d["logout"])["message"] != "退出成功" {
		t.Fatalf("logout: %v", d)
	}
	if r := c.GraphQL(`{ viewer { uid } }`, nil); r.HTTP != 401 {
		t.Fatalf("dead token on GraphQL: %s", r)
	}
}

func TestGraphQLErrors(t *testing.T) {
	srv := resttest.Start(t)
	a := srv.Onboard("Alice")
	// Anonymous callers get null viewer with an UNAUTHENTICATED error.
	_, ext := gqlErr(t, srv.Anonymous().GraphQL(`{ viewer { uid } }`, nil))
	if ext["code"] != "UNAUTHENTICATED" {
		t.Fatalf("anonymous viewer: %v", ext)
	}
	msg, ext := gqlErr(t, a.GraphQL(`{ user(uid: "`+strings.Repeat("0", 32)+`") { uid } }`, nil))
	if msg != "用户不存在" || num(ext["errorCode"]) != "200002" {
		t.Fatalf("unknown user: %s %v", msg, ext)
	}
	msg, ext = gqlErr(t, a.GraphQL(`{ user(uid: "not-hex") { uid } }`, nil))
	if msg != "用户不存在" {
		t.Fatalf("malformed uid: %s %v", msg, ext)
	}
	msg, ext = gqlErr(t, a.GraphQL(`{ viewer { blockedUsers(first: 0) { edges { cursor } } } }`, nil))
	if msg != "first must be between 1 and 100" || ext["code"] != "BAD_USER_INPUT" || ext["argument"] != "first" {
		t.Fatalf("first 0: %s %v", msg, ext)
	}
	msg, ext = gqlErr(t, a.GraphQL(`mutation { blockUser(uid: "`+a.UID+`") { message } }`, nil))
	if msg != "无法屏蔽自己" {
		t.Fatalf("block self: %s %v", msg, ext)
	}
	// Malformed queries are GraphQL validation errors, not server errors.
	r := a.GraphQL(`{ viewer { nope } }`, nil)
	if r.HTTP != 422 && r.HTTP != 200 {
		t.Fatalf("unknown field: %s", r)
	}
	if _, ext := gqlErr(t, r); ext["code"] == "INTERNAL" {
		t.Fatalf("validation error presented as internal: %v", ext)
	}
	// Bad Authorization is a 401 for GraphQL too.
	bad := srv.Anonymous()
	bad.Headers = map[string]string{"Authorization": "Basic nope"}
	if r := bad.GraphQL(`{ __typename }`, nil); r.HTTP != http.StatusUnauthorized {
		t.Fatalf("bad Authorization: %s", r)
	}
}

func TestGraphQLRelationsAndPaging(t *testing.T) {
	srv := resttest.Start(t)
	a, b, c := srv.Onboard("Alice"), srv.Onboard("Bob"), srv.Onboard("Carol")
	gqlData(t, a.GraphQL(`mutation($u: ID!) { blockUser(uid: $u) { message user { uid viewerHasBlocked } } }`, map[string]any{"u": b.UID}))
	gqlData(t, c.GraphQL(`mutation($u: ID!) { sendCard(uid: $u) { message } }`, map[string]any{"u": a.UID}))
	if d := gqlData(t, a.GraphQL(`{ viewer { unreadMessageCount } }`, nil)); num(obj(t, d["viewer"])["unreadMessageCount"]) != "1" {
		t.Fatalf("unread before listing: %v", d)
	}
	d := gqlData(t, a.GraphQL(`{ viewer {
		blockedUsers(first: 1) { edges { cursor node { uid createTime user { nickname viewerHasBlocked } } } pageInfo { hasNextPage endCursor } }
		cardHolder { edges { node { user { nickname viewerSentCard cardTotal } } } }
		messages { edges { node { messageBody { title url } origin { nickname } unread } } }
	} }`, nil))
	v := obj(t, d["viewer"])
	bl := obj(t, v["blockedUsers"])
	edges := bl["edges"].([]any)
	if len(edges) != 1 || obj(t, obj(t, obj(t, edges[0])["node"])["user"])["viewerHasBlocked"] != true {
		t.Fatalf("blocked users: %v", bl)
	}
	if pi := obj(t, bl["pageInfo"]); pi["hasNextPage"] != false || pi["endCursor"] != obj(t, edges[0])["cursor"] {
		t.Fatalf("pageInfo: %v", pi)
	}
	msgs := obj(t, v["messages"])["edges"].([]any)
	if len(msgs) != 1 || obj(t, obj(t, obj(t, msgs[0])["node"])["origin"])["nickname"] != "Carol" {
		t.Fatalf("messages: %v", msgs)
	}
	if d := gqlData(t, a.GraphQL(`{ viewer { unreadMessageCount } }`, nil)); num(obj(t, d["viewer"])["unreadMessageCount"]) != "0" {
		t.Fatalf("unread after listing: %v", d)
	}
}
