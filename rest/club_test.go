package rest_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"chaoqer/rest/resttest"
)

var hex32 = regexp.MustCompile(`^[a-f0-9]{32}$`)

func TestCreateClubValidation(t *testing.T) {
	srv := resttest.Start(t)
	a := srv.Onboard("Alice")
	cases := []struct {
		p   P
		msg string
	}{
		{P{"cover": "c"}, "名称不能为空"},
		{P{"name": "", "cover": "c"}, "名称不能为空"},
		{P{"name": " \t ", "cover": "c"}, "名称不能为空"},
		{P{"name": "", "cover": ""}, "名称不能为空"}, // the name is checked first
		{P{"name": strings.Repeat("n", 101), "cover": "c"}, "名称不能超过100个字"},
		{P{"name": strings.Repeat("😀", 51), "cover": "c"}, "名称不能超过100个字"}, // 102 UTF-16 units
		{P{"name": "n"}, "封面不能为空"},
		{P{"name": "n", "cover": "  "}, "封面不能为空"},
	}
	for _, c := range cases {
		a.Post("/club", c.p).MustFail(t, c.msg, 0)
	}
	if r := a.Send("POST", "/club", P{"name": 5, "cover": "c", "ts": 1, "sign": "x"}, "application/json"); r.HTTP != 401 {
		t.Fatalf("bad sign: %s", r)
	}
	for _, name := range []string{strings.Repeat("n", 100), strings.Repeat("圈", 100)} {
		a.Post("/club", P{"name": name, "cover": "c"}).MustOK(t)
	}
}

func TestCreateAndReadClub(t *testing.T) {
	srv := resttest.Start(t)
	a, b := srv.Onboard("Alice"), srv.Onboard("Bob")
	r := a.Post("/club", P{"name": "产品\r\n交流\u2028圈\t!", "cover": "https://cdn.example.com/c.jpg"})
	club := obj(t, r.MustOK(t))
	if r.Message() != "Success" || !hex32.MatchString(club["clubId"].(string)) || club["uid"] != a.UID ||
		club["name"] != "产品 交流 圈 !" || club["cover"] != "https://cdn.example.com/c.jpg" ||
		numOf(t, club, "memberTotal") != 1 || numOf(t, club, "joined") != 1 || numOf(t, club, "createTime") == 0 {
		t.Fatalf("created club %v", club)
	}
	a.Post("/club", P{"name": "产品\r\n交流\u2028圈\t!", "cover": "https://cdn.example.com/c.jpg"}).
		MustFail(t, "Call Duplicate", -1)

	id := club["clubId"].(string)
	got := obj(t, a.Get("/club/"+id, nil).MustOK(t))
	if got["name"] != club["name"] || numOf(t, got, "joined") != 1 || numOf(t, got, "memberTotal") != 1 ||
		numOf(t, got, "createTime") != numOf(t, club, "createTime") {
		t.Fatalf("creator reads %v", got)
	}
	got = obj(t, b.Get("/club/"+id, nil).MustOK(t))
	if numOf(t, got, "joined") != 0 || numOf(t, got, "memberTotal") != 1 {
		t.Fatalf("stranger reads %v", got)
	}
	b.Get("/club/"+strings.Repeat("a", 32), nil).MustFail(t, "圈子不存在", 500000)
	if r := b.Get("/club/ABC", nil); r.HTTP != 404 {
		t.Fatalf("malformed id: %s", r)
	}
}

func TestJoinLeaveAndLists(t *testing.T) {
	srv := resttest.Start(t)
	a, b, c := srv.Onboard("Alice"), srv.Onboard("Bob"), srv.Onboard("Carol")
	club := obj(t, a.Post("/club", P{"name": "圈", "cover": "c"}).MustOK(t))
	id := club["clubId"].(string)

	b.Post("/club/"+strings.Repeat("b", 32)+"/join", nil).MustFail(t, "圈子不存在", 500000)
	joined := obj(t, b.Post("/club/"+id+"/join", nil).MustOK(t))
	if numOf(t, joined, "joined") != 1 || numOf(t, joined, "memberTotal") != 2 || joined["clubId"] != id {
		t.Fatalf("join result %v", joined)
	}
	b.Post("/club/"+id+"/join", nil).MustFail(t, "Call Duplicate", -1)
	resttest.Pause()
	again := obj(t, b.Post("/club/"+id+"/join", nil).MustOK(t))
	if numOf(t, again, "memberTotal") != 2 {
		t.Fatalf("joining twice counted twice: %v", again)
	}
	c.Post("/club/"+id+"/join", nil).MustOK(t)

	// My clubs: most recently joined first, sequenceId "{joinTime}:{clubId}".
	other := obj(t, b.Post("/club", P{"name": "Bob's", "cover": "c"}).MustOK(t))
	mine := list(t, b.Get("/club", P{"count": 10}).MustOK(t))
	if !sameStrings(field(mine, "clubId"), []string{other["clubId"].(string), id}) {
		t.Fatalf("my clubs %v", mine)
	}
	for _, it := range mine {
		if it["sequenceId"] != fmt.Sprintf("%d:%s", numOf(t, it, "createTime"), it["clubId"]) {
			t.Fatalf("sequenceId %v", it)
		}
		cr := obj(t, it["clubResult"])
		if cr["clubId"] != it["clubId"] || numOf(t, cr, "joined") != 1 {
			t.Fatalf("clubResult %v", cr)
		}
	}
	first := b.Get("/club", P{"count": 1}).MustOK(t)
	page1 := list(t, first)
	if pg := obj(t, obj(t, first)["page"]); numOf(t, pg, "count") != 1 || pg["lastId"] != nil {
		t.Fatalf("page echo %v", pg)
	}
	page2 := list(t, b.Get("/club", P{"count": 1, "lastId": page1[0]["sequenceId"]}).MustOK(t))
	if len(page2) != 1 || page2[0]["clubId"] != id {
		t.Fatalf("second page %v", page2)
	}
	if rest := list(t, b.Get("/club", P{"count": 1, "lastId": page2[0]["sequenceId"]}).MustOK(t)); len(rest) != 0 {
		t.Fatalf("past the end %v", rest)
	}
	b.Get("/club", P{"count": 0}).MustFail(t, "count只能在0到100之间", 0)
	b.Get("/club", nil).MustFail(t, "count只能在0到100之间", 0)
	b.Get("/club", P{"count": 101}).MustFail(t, "count只能在0到100之间", 0)
	b.Get("/club", P{"count": "x"}).MustFail(t, "count类型不正确", 0)

	// Members: most recent first, with profiles as the caller sees them.
	a.Post("/user/"+c.UID+"/block", nil).MustOK(t)
	members := list(t, a.Get("/club/"+id+"/member", P{"count": 10}).MustOK(t))
	if !sameStrings(field(members, "uid"), []string{c.UID, b.UID, a.UID}) {
		t.Fatalf("members %v", members)
	}
	for _, m := range members {
		p := obj(t, m["userProfileResult"])
		// The legacy "{joinTime}:{clubId}" plus the member's uid (spec §12 B5).
		if m["sequenceId"] != fmt.Sprintf("%d:%s:%s", numOf(t, m, "createTime"), id, m["uid"]) || p["uid"] != m["uid"] {
			t.Fatalf("member item %v", m)
		}
		if blocked := numOf(t, p, "blocked"); blocked != map[bool]int64{true: 1, false: 0}[m["uid"] == c.UID] {
			t.Fatalf("blocked flag of %v", m)
		}
	}
	a.Get("/club/"+strings.Repeat("c", 32)+"/member", P{"count": 10}).MustFail(t, "圈子不存在", 500000)
	a.Get("/club/"+id+"/member", P{"count": 0}).MustFail(t, "count只能在0到100之间", 0)

	// Leaving.
	a.Post("/club/"+id+"/leave", nil).MustFail(t, "创建人暂时无法退出圈子", 0)
	r := c.Post("/club/"+id+"/leave", nil)
	if r.MustOK(t); r.Message() != "Success" || len(obj(t, r.Result())) != 0 {
		t.Fatalf("leave answer %s", r)
	}
	resttest.Pause()
	c.Post("/club/"+id+"/leave", nil).MustFail(t, "圈子不存在", 500000)
	c.Post("/club/"+strings.Repeat("d", 32)+"/leave", nil).MustFail(t, "圈子不存在", 500000)
	if got := obj(t, a.Get("/club/"+id, nil).MustOK(t)); numOf(t, got, "memberTotal") != 2 {
		t.Fatalf("count after leave %v", got)
	}
	b.Post("/club/"+id+"/leave", nil).MustOK(t)
	resttest.Pause()
	a.Post("/club/"+id+"/leave", nil).MustOK(t) // the last member: the club goes
	a.Get("/club/"+id, nil).MustFail(t, "圈子不存在", 500000)
	if left := list(t, a.Get("/club", P{"count": 10}).MustOK(t)); len(left) != 0 {
		t.Fatalf("deleted club still listed %v", left)
	}
}

func TestClubGraphQL(t *testing.T) {
	srv := resttest.Start(t)
	a, b := srv.Onboard("Alice"), srv.Onboard("Bob")
	r := a.GraphQL(`mutation($in: CreateClubInput!) { createClub(input: $in) { message club { clubId memberTotal viewerHasJoined creator { nickname } } } }`,
		map[string]any{"in": map[string]any{"name": "圈", "cover": "c"}})
	data := obj(t, r.Body["data"])
	club := obj(t, obj(t, data["createClub"])["club"])
	if club["viewerHasJoined"] != true || numOf(t, club, "memberTotal") != 1 || obj(t, club["creator"])["nickname"] != "Alice" {
		t.Fatalf("createClub %s", r)
	}
	id := club["clubId"].(string)
	r = b.GraphQL(`mutation($id: ID!) { joinClub(clubId: $id) { club { viewerHasJoined memberTotal } } }`, map[string]any{"id": id})
	if c := obj(t, obj(t, obj(t, r.Body["data"])["joinClub"])["club"]); c["viewerHasJoined"] != true || numOf(t, c, "memberTotal") != 2 {
		t.Fatalf("joinClub %s", r)
	}
	r = b.GraphQL(`{ viewer { clubs(first: 5) { edges { cursor node { clubId club { name members(first: 5) { edges { node { user { nickname } } } } } } } pageInfo { hasNextPage } } } }`, nil)
	if !strings.Contains(string(r.Raw), `"nickname":"Alice"`) || !strings.Contains(string(r.Raw), `"nickname":"Bob"`) {
		t.Fatalf("viewer.clubs %s", r)
	}
	r = b.GraphQL(`{ club(clubId: "`+strings.Repeat("e", 32)+`") { name } }`, nil)
	if !strings.Contains(string(r.Raw), `"errorCode":500000`) {
		t.Fatalf("unknown club %s", r)
	}
	r = b.GraphQL(`mutation { createClub(input: {name: ""}) { message } }`, nil)
	if !strings.Contains(string(r.Raw), "名称不能为空") {
		t.Fatalf("validation over GraphQL %s", r)
	}
}

// Accounts without a profile get the legacy gate on the new routes: an
// empty success for the list pages old apps open first, 200000 otherwise.
func TestSocialRoutesBehindTheProfileGate(t *testing.T) {
	srv := resttest.Start(t)
	fresh := srv.Login()
	for _, path := range []string{"/club", "/room", "/event"} {
		r := fresh.Get(path, P{"count": 10})
		if r.MustOK(t); len(obj(t, r.Result())) != 0 {
			t.Fatalf("GET %s for a profile-less account: %s", path, r)
		}
	}
	fresh.Post("/room", P{"name": "x"}).MustFail(t, "用户资料未初始化", 200000)
	fresh.Get("/club/"+strings.Repeat("a", 32), nil).MustFail(t, "用户资料未初始化", 200000)
	if r := srv.Anonymous().Get("/room", P{"count": 10}); r.HTTP != 401 {
		t.Fatalf("anonymous feed: %s", r)
	}
}
