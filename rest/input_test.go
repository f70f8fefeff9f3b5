package rest_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"chaoqer/ent/pushdevice"
	"chaoqer/rest/resttest"
)

// listPaths are the seven legacy list routes; clubMembers needs a club.
func listPaths(club string) []string {
	return []string{"/user/block", "/user/message", "/user/card", "/club", "/club/" + club + "/member", "/room", "/event"}
}

// Issue 8 item 3: the page echo is the parsed count, never the raw text.
func TestListCountIsParsedOnce(t *testing.T) {
	srv := resttest.Start(t)
	u := srv.Onboard("Counter")
	club := obj(t, u.Post("/club", P{"name": "计数", "cover": "https://cdn.example.com/c.jpg"}).MustOK(t))["clubId"].(string)
	cases := []struct {
		count string
		want  int64  // echoed count when accepted
		msg   string // validation failure otherwise
	}{
		{"5", 5, ""},
		{"05", 5, ""},
		{"+5", 5, ""},
		{" 5 ", 5, ""},
		{"010", 10, ""},
		{"100", 100, ""},
		{"0", 0, "count只能在0到100之间"},
		{"101", 0, "count只能在0到100之间"},
		{"-1", 0, "count只能在0到100之间"},
		{"", 0, "count类型不正确"},
		{"5x", 0, "count类型不正确"},
		{"1.5", 0, "count类型不正确"},
		{"0x10", 0, "count类型不正确"},
		{"99999999999", 0, "count类型不正确"},
		{"9223372036854775808", 0, "count类型不正确"},
	}
	for _, path := range listPaths(club) {
		// A missing count is 0, out of range (spec §1.9).
		u.SendRaw(resttest.Raw{Method: "GET", Path: path, Query: u.SignQuery()}).MustFail(t, "count只能在0到100之间", 0)
		for _, c := range cases {
			r := u.SendRaw(resttest.Raw{Method: "GET", Path: path, Query: u.SignQuery([2]string{"count", c.count}, [2]string{"lastId", "9"})})
			if c.msg != "" {
				r.MustFail(t, c.msg, 0)
				continue
			}
			page := obj(t, obj(t, r.MustOK(t))["page"])
			if numOf(t, page, "count") != c.want || page["lastId"] != "9" {
				t.Errorf("GET %s count=%q: page %v, want count %d", path, c.count, page, c.want)
			}
		}
	}
}

// Issue 8 item 4: text a database cannot store is refused where it enters,
// the same on SQLite and PostgreSQL.
func TestUnstorableTextIsRefused(t *testing.T) {
	srv := resttest.Start(t)
	u := srv.Onboard("Texter")
	cases := []struct {
		name string
		req  resttest.Raw
	}{
		{"NUL in a JSON string", resttest.Raw{Method: "PUT", Path: "/user/profile", ContentType: "application/json",
			Body: u.SignJSON(map[string]any{"nickname": "a\x00b", "avatar": "x"})}},
		{"NUL in a JSON key", resttest.Raw{Method: "PUT", Path: "/user/profile", ContentType: "application/json",
			Body: u.SignJSON(map[string]any{"nickname": "ab", "avatar": "x", "k\x00": "1"})}},
		{"NUL nested", resttest.Raw{Method: "POST", Path: "/event", ContentType: "application/json",
			Body: u.SignJSON(map[string]any{"name": "n", "eventTime": json.Number("1700000000000"), "memberUidList": []any{u.UID, "\x00"}})}},
		{"invalid UTF-8 in a query value", resttest.Raw{Method: "GET", Path: "/club", Query: u.SignQuery([2]string{"count", "10"}, [2]string{"lastId", "\xff"})}},
		{"NUL in a query value", resttest.Raw{Method: "GET", Path: "/club", Query: u.SignQuery([2]string{"count", "10"}, [2]string{"lastId", "\x00"})}},
		{"invalid UTF-8 in a query key", resttest.Raw{Method: "GET", Path: "/club", Query: u.SignQuery([2]string{"count", "10"}, [2]string{"\xff", "1"})}},
		{"invalid UTF-8 in a path id", resttest.Raw{Method: "POST", Path: "/push/update/%FF", ContentType: "application/json", Body: u.SignJSON(nil)}},
		{"NUL in a path id", resttest.Raw{Method: "POST", Path: "/push/a%00b", ContentType: "application/json", Body: u.SignJSON(nil)}},
		{"invalid UTF-8 in Version-Name", resttest.Raw{Method: "GET", Path: "/club", Query: u.SignQuery([2]string{"count", "10"}),
			Headers: map[string]string{"Version-Name": "\xff"}}},
		// Raw bytes encoding/json would have turned into U+FFFD: refused at
		// the edge, before the sign is checked.
		{"invalid UTF-8 in a JSON body", resttest.Raw{Method: "PUT", Path: "/user/profile", ContentType: "application/json",
			Body: []byte(`{"nickname":"a` + "\xff" + `b","avatar":"x","ts":1,"sign":"x"}`)}},
		{"invalid UTF-8 in a GraphQL body", resttest.Raw{Method: "POST", Path: "/graphql", ContentType: "application/json",
			Body: []byte(`{"query":"mutation { updateProfile(input: {nickname: \"q` + "\xff" + `r\", avatar: \"x\"}) { message } }"}`)}},
		{"invalid UTF-8 in GraphQL variables", resttest.Raw{Method: "POST", Path: "/graphql", ContentType: "application/json; charset=utf-8",
			Body: []byte(`{"query":"mutation($n: String) { updateProfile(input: {nickname: $n, avatar: \"x\"}) { message } }","variables":{"n":"q` + "\xff" + `r"}}`)}},
		{"invalid UTF-8 in Version-Name of an anonymous call", resttest.Raw{Method: "POST", Path: "/account/captcha", ContentType: "application/json",
			Body: srv.Anonymous().SignJSON(map[string]any{"countryCode": "86", "mobile": srv.Mobile()}), Headers: map[string]string{"Version-Name": "v\xfe1"}}},
	}
	for _, c := range cases {
		client := u
		if c.req.Path == "/account/captcha" {
			client = srv.Anonymous()
		}
		if r := client.SendRaw(c.req); r.HTTP != 400 {
			t.Errorf("%s: want HTTP 400, got %s", c.name, r)
		}
	}
	// Nothing was stored: the profile is unchanged.
	if p := obj(t, u.Get("/user/"+u.UID+"/profile", nil).MustOK(t)); p["nickname"] != "Texter" {
		t.Fatalf("profile changed: %v", p)
	}
	// Valid text around the edges still works, U+FFFD included.
	u.Put("/user/profile", P{"nickname": "a\ufffdb", "avatar": "x"}).MustOK(t)

	// GraphQL: String and ID inputs, in literals and in variables.
	gql := []struct {
		query string
		vars  map[string]any
	}{
		{`mutation($n: String) { updateProfile(input: {nickname: $n, avatar: "x"}) { message } }`, map[string]any{"n": "a\x00b"}},
		{`mutation { updateProfile(input: {nickname: "a\u0000b", avatar: "x"}) { message } }`, nil},
		{`mutation($in: ProfileInput!) { updateProfile(input: $in) { message } }`, map[string]any{"in": map[string]any{"nickname": "ok", "avatar": "\x00"}}},
		{`query($id: ID!) { user(uid: $id) { uid } }`, map[string]any{"id": "\x00"}},
		{`{ club(clubId: "\u0000") { clubId } }`, nil},
	}
	for _, c := range gql {
		r := u.GraphQL(c.query, c.vars)
		msg, ext := gqlErr(t, r)
		if ext["code"] != "GRAPHQL_VALIDATION_FAILED" || !strings.Contains(msg, "UTF-8 without NUL") || r.Body["data"] != nil {
			t.Errorf("%s: %s", c.query, r)
		}
	}
	// The same header rule on /graphql.
	h := *u
	h.Headers = map[string]string{"Version-Name": "1.0\xff"}
	if r := h.GraphQL(`{ viewer { uid } }`, nil); r.HTTP != 400 {
		t.Errorf("/graphql with a non-UTF-8 Version-Name: %s", r)
	}
	if p := obj(t, u.Get("/user/"+u.UID+"/profile", nil).MustOK(t)); p["nickname"] != "a\ufffdb" {
		t.Fatalf("profile changed by a refused mutation: %v", p)
	}
}

// Issue 8 item 5: the same correctly signed request gets the same answer
// every time; keys that are not UTF-8 are refused (400) before the sign.
func TestSignCheckIsDeterministic(t *testing.T) {
	srv := resttest.Start(t)
	u := srv.Onboard("Signer")
	for i := 0; i < 40; i++ {
		q := u.SignQuery([2]string{"count", "10"}, [2]string{"\xff", "1"}, [2]string{"\ufffd", "1"})
		if r := u.SendRaw(resttest.Raw{Method: "GET", Path: "/club", Query: q}); r.HTTP != 400 {
			t.Fatalf("try %d with a non-UTF-8 key: %s", i, r)
		}
		q = u.SignQuery([2]string{"count", "10"}, [2]string{"\ufffd", "1"}, [2]string{"\uffff", "1"}, [2]string{"\U0001F600", "2"})
		if r := u.SendRaw(resttest.Raw{Method: "GET", Path: "/club", Query: q}); r.HTTP != 200 {
			t.Fatalf("try %d with U+FFFD, U+FFFF and U+1F600 keys: %s", i, r)
		}
	}
}

// Issue 8 item 6: event times outside the sane range are a validation
// failure on both APIs; numbers beyond Int64 are a GraphQL validation error.
func TestEventTimeOutOfRange(t *testing.T) {
	srv := resttest.Start(t)
	u := srv.Onboard("Planner")
	body := func(at string) []byte {
		return u.SignJSON(map[string]any{"name": "日程" + at, "eventTime": json.Number(at), "memberUidList": []any{u.UID}})
	}
	for _, at := range []string{"9223372036854775807", "-9223372036854775808", "0", "999999999999", "10000000000000"} {
		r := u.SendRaw(resttest.Raw{Method: "POST", Path: "/event", ContentType: "application/json", Body: body(at)})
		r.MustFail(t, "日期时间不正确", 0)
	}
	for _, at := range []string{"9223372036854775808", "-9223372036854775809", "1e400", "1.5"} {
		if r := u.SendRaw(resttest.Raw{Method: "POST", Path: "/event", ContentType: "application/json", Body: body(at)}); r.HTTP != 400 {
			t.Errorf("REST eventTime %s: want 400, got %s", at, r)
		}
	}
	ok := time.Now().Add(time.Hour).UnixMilli()
	u.Post("/event", P{"name": "正常", "eventTime": ok, "memberUidList": []string{u.UID}}).MustOK(t)

	create := `mutation($in: EventInput!) { createEvent(input: $in) { message event { eventId } } }`
	for _, at := range []any{json.Number("9223372036854775807"), json.Number("0"), json.Number("-5")} {
		msg, ext := gqlErr(t, u.GraphQL(create, map[string]any{"in": map[string]any{"name": "g" + string(at.(json.Number)), "eventTime": at, "memberUidList": []string{u.UID}}}))
		if msg != "日期时间不正确" || ext["code"] != "BUSINESS" {
			t.Errorf("GraphQL eventTime %v: %s %v", at, msg, ext)
		}
	}
	msg, ext := gqlErr(t, u.GraphQL(`mutation { createEvent(input: {name: "lit", eventTime: 9223372036854775807, memberUidList: ["`+u.UID+`"]}) { message } }`, nil))
	if msg != "日期时间不正确" || ext["code"] != "BUSINESS" {
		t.Errorf("GraphQL literal max int64: %s %v", msg, ext)
	}
	overflow := []*resttest.Response{
		u.GraphQL(create, map[string]any{"in": map[string]any{"name": "o", "eventTime": json.Number("9223372036854775808"), "memberUidList": []string{u.UID}}}),
		u.GraphQL(create, map[string]any{"in": map[string]any{"name": "o", "eventTime": json.Number("1e400"), "memberUidList": []string{u.UID}}}),
		u.GraphQL(create, map[string]any{"in": map[string]any{"name": "o", "eventTime": "tomorrow", "memberUidList": []string{u.UID}}}),
		u.GraphQL(create, map[string]any{"in": map[string]any{"name": "o", "eventTime": true, "memberUidList": []string{u.UID}}}),
		u.GraphQL(`mutation { createEvent(input: {name: "lit", eventTime: 9223372036854775808, memberUidList: ["`+u.UID+`"]}) { message } }`, nil),
		u.GraphQL(`mutation { createEvent(input: {name: "lit", eventTime: -9223372036854775809, memberUidList: ["`+u.UID+`"]}) { message } }`, nil),
		u.GraphQL(`mutation { createEvent(input: {name: "lit", eventTime: 1.5, memberUidList: ["`+u.UID+`"]}) { message } }`, nil),
		u.GraphQL(`query($n: Int) { events(first: $n) { edges { cursor } } }`, map[string]any{"n": json.Number("2147483648")}),
		u.GraphQL(`{ events(first: 2147483648) { edges { cursor } } }`, nil),
	}
	for i, r := range overflow {
		_, ext := gqlErr(t, r)
		if ext["code"] != "GRAPHQL_VALIDATION_FAILED" || r.HTTP >= 500 {
			t.Errorf("overflow %d: want a validation error, got %s", i, r)
		}
	}
}

// Issue 8 item 9: the unserved push admin paths are not device ids.
func TestReservedPushPathsAnswer404(t *testing.T) {
	srv := resttest.Start(t)
	u := srv.Onboard("Pusher")
	for _, p := range []string{"/push/template", "/push/attach"} {
		r := u.SendRaw(resttest.Raw{Method: "POST", Path: p, ContentType: "application/json", Body: u.SignJSON(nil)})
		if r.HTTP != 404 || len(r.Raw) != 0 {
			t.Errorf("POST %s: want an empty 404, got %s", p, r)
		}
	}
	ctx := context.Background()
	for _, id := range []string{"template", "attach"} {
		if n, err := srv.App.DB.Client.PushDevice.Query().Where(pushdevice.ID(id)).Count(ctx); err != nil || n != 0 {
			t.Fatalf("device %q bound (%d, %v)", id, n, err)
		}
	}
	// The same names are ordinary ids on the implemented path, and other
	// ids on the documented one still bind.
	u.Post("/push/update/template", nil).MustOK(t)
	u.Post("/push/"+url.PathEscape("1a0018970a8b1d2e3f4"), nil).MustOK(t)
}

// An Int variable that is not a 32-bit integer is refused with one message
// whatever gqlparser or the input check caught it (a fraction, an exponent,
// beyond int64 or beyond 32 bits), naming the variable, never the zero
// gqlparser failed to read ("cannot use value 0 as Int").
func TestIntVariableMessages(t *testing.T) {
	srv := resttest.Start(t)
	u := srv.Onboard("Counter")
	const q = `query($n: Int) { events(first: $n) { edges { cursor } } }`
	for _, n := range []any{json.Number("1.5"), json.Number("1.0"), json.Number("1e3"), json.Number("-0.5"), json.Number("1e400"),
		json.Number("99999999999999999999"), json.Number("2147483648"), json.Number("-2147483649"), true, []any{5}, map[string]any{"a": 1}} {
		r := u.GraphQL(q, map[string]any{"n": n})
		msg, ext := gqlErr(t, r)
		if msg != "$n: Int must be a 32-bit integer" || ext["code"] != "GRAPHQL_VALIDATION_FAILED" || r.Body["data"] != nil {
			t.Errorf("$n = %v: %q %v (%s)", n, msg, ext, r)
		}
	}
	// The same inside an input object, and other types: the variable's
	// path and the GraphQL type, never a Go type.
	const create = `mutation($in: CreateRoomInput!) { createRoom(input: $in) { message } }`
	for _, c := range []struct {
		in   any
		want string
	}{
		{map[string]any{"name": "r", "inviteOnly": json.Number("1.5")}, "$in.inviteOnly: Int must be a 32-bit integer"},
		{map[string]any{"name": "r", "inviteOnly": json.Number("1e30")}, "$in.inviteOnly: Int must be a 32-bit integer"},
		{map[string]any{"name": "r", "inviteOnly": json.Number("2147483648")}, "$in.inviteOnly: Int must be a 32-bit integer"},
		{map[string]any{"name": true}, "$in.name: must be a value of type String"},
		{map[string]any{"name": []any{"a"}}, "$in.name: must be a value of type String"},
		{"room", "$in: must be a value of type CreateRoomInput"},
	} {
		r := u.GraphQL(create, map[string]any{"in": c.in})
		msg, ext := gqlErr(t, r)
		if msg != c.want || ext["code"] != "GRAPHQL_VALIDATION_FAILED" || r.HTTP >= 500 {
			t.Errorf("$in = %v: %q %v, want %q", c.in, msg, ext, c.want)
		}
	}
	if r := u.GraphQL(q, map[string]any{"n": json.Number("2147483647")}); r.Body["errors"] == nil {
		// In range: the page size rule answers, not the type.
		t.Logf("$n = 2147483647: %s", r)
	} else if msg, _ := gqlErr(t, r); strings.Contains(msg, "32-bit") {
		t.Errorf("$n = 2147483647 refused as out of range: %s", msg)
	}
}
