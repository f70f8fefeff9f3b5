package rest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	entfeedback "chaoqer/ent/feedback"
	entreport "chaoqer/ent/report"
	"chaoqer/graph/admin"
	"chaoqer/graph/appinfo"
	"chaoqer/graph/ids"
	"chaoqer/graph/linkpreview"
	"chaoqer/rest/resttest"
)

const upToDate = "当前已经是最新版本"

// makeAdmin lets c use the operator mutations (CHAOQER_ADMIN_UIDS).
func makeAdmin(srv *resttest.Server, c *resttest.Client) {
	srv.App.Resolver.Admin = admin.New([]string{c.UID}, srv.App.Resolver.Messages)
}

// gqlData returns data.<field> of a GraphQL answer, failing on errors.
func gqlField(t *testing.T, r *resttest.Response, field string) map[string]any {
	t.Helper()
	if r.HTTP != 200 || r.Body["errors"] != nil {
		t.Fatalf("GraphQL failed: %s", r)
	}
	d, _ := r.Body["data"].(map[string]any)
	m, _ := d[field].(map[string]any)
	return m
}

// gqlError returns the first error message of a GraphQL answer.
func gqlMessage(r *resttest.Response) string {
	es, _ := r.Body["errors"].([]any)
	if len(es) == 0 {
		return ""
	}
	e, _ := es[0].(map[string]any)
	m, _ := e["message"].(string)
	return m
}

const publish = `mutation($in: AppVersionInput!) { publishAppVersion(input: $in) { message version { versionId versionCode forcedUpgrade } } }`

func versionVars(clientType, code int, forced bool) map[string]any {
	return map[string]any{"in": map[string]any{"clientType": clientType, "versionCode": code, "versionName": fmt.Sprintf("0.1.%d", code%10),
		"versionDesc": "修复了一些已知问题", "forcedUpgrade": forced, "downloadUrl": "https://apps.apple.com/cn/app/id1556448380"}}
}

// upgrade asks GET /app/version/upgrade as a client of that type and version.
func askUpgrade(srv *resttest.Server, clientType, code int) *resttest.Response {
	c := srv.Anonymous()
	c.ClientType, c.VersionCode = clientType, code
	req, _ := http.NewRequest("GET", srv.URL+"/app/version/upgrade", nil) // unsigned
	return c.Do(req)
}

func TestVersionUpgradeRules(t *testing.T) {
	srv := resttest.Start(t)
	op := srv.Onboard("Operator")
	makeAdmin(srv, op)

	askUpgrade(srv, 1, 1).MustFail(t, upToDate, 0) // nothing published
	for _, v := range []struct {
		clientType, code int
		forced           bool
	}{{1, 10, false}, {1, 11, false}, {1, 12, false}, {2, 30, true}, {2, 31, false}} {
		gqlField(t, op.GraphQL(publish, versionVars(v.clientType, v.code, v.forced)), "publishAppVersion")
	}

	res := askUpgrade(srv, 1, 10).MustOK(t).(map[string]any)
	want := map[string]any{"versionId": appinfo.VersionID(1, 12), "clientType": json.Number("1"), "versionName": "0.1.2",
		"versionCode": json.Number("12"), "versionDesc": "修复了一些已知问题", "forcedUpgrade": json.Number("0"),
		"downloadUrl": "https://apps.apple.com/cn/app/id1556448380"}
	for k, v := range want {
		if res[k] != v {
			t.Fatalf("%s = %v, want %v (%v)", k, res[k], v, res)
		}
	}
	if res["versionId"] != ids.MD5("1:12") || res["createTime"] == nil {
		t.Fatalf("result %v", res)
	}
	forced := func(clientType, code int) json.Number {
		return askUpgrade(srv, clientType, code).MustOK(t).(map[string]any)["forcedUpgrade"].(json.Number)
	}
	if forced(1, 3) != "0" { // unpublished old version, 3 newer releases, none forced
		t.Fatal("forced with 3 releases listed")
	}
	askUpgrade(srv, 1, 12).MustFail(t, upToDate, 0) // on the latest
	askUpgrade(srv, 1, 99).MustFail(t, upToDate, 0) // newer than anything published
	askUpgrade(srv, 0, 1).MustFail(t, upToDate, 0)  // the web never upgrades
	// Android: the client's own release (30) is forced, so 31 is reported forced.
	if forced(2, 30) != "1" {
		t.Fatal("a forced current release did not force the upgrade")
	}
	askUpgrade(srv, 2, 31).MustFail(t, upToDate, 0)
	// Five listed releases force the upgrade even if none is marked.
	gqlField(t, op.GraphQL(publish, versionVars(1, 13, false)), "publishAppVersion")
	if forced(1, 10) != "0" { // 10..13: four listed
		t.Fatal("forced with four listed")
	}
	gqlField(t, op.GraphQL(publish, versionVars(1, 14, false)), "publishAppVersion")
	if forced(1, 10) != "1" || forced(1, 11) != "0" { // 10..14: five listed; 11..14: four
		t.Fatal("five listed releases did not force the upgrade")
	}
	// A forced latest release is forced for everyone behind it.
	gqlField(t, op.GraphQL(publish, versionVars(1, 15, true)), "publishAppVersion")
	if forced(1, 14) != "1" {
		t.Fatal("forced latest")
	}
	// Republishing replaces the flag at once (nothing is cached).
	gqlField(t, op.GraphQL(publish, versionVars(1, 15, false)), "publishAppVersion")
	if forced(1, 14) != "0" {
		t.Fatal("republished release still forced")
	}
	// Unsigned and anonymous, but an Authorization header is still verified.
	bad := srv.Anonymous()
	bad.UID, bad.Token = op.UID, "0123456789abcdef0123456789abcdef"
	req, _ := http.NewRequest("GET", srv.URL+"/app/version/upgrade", nil)
	if r := bad.Do(req); r.HTTP != 401 {
		t.Fatalf("stale session: %s", r)
	}
	// GraphQL takes explicit arguments, defaulting to the headers.
	r := srv.Anonymous().GraphQL(`{ appUpgrade(clientType: 1, versionCode: 14) { versionCode forcedUpgrade } }`, nil)
	if v := gqlField(t, r, "appUpgrade"); v["versionCode"] != json.Number("15") || v["forcedUpgrade"] != false {
		t.Fatalf("%s", r)
	}
	if r := srv.Anonymous().GraphQL(`{ appUpgrade { versionCode } }`, nil); gqlMessage(r) != upToDate {
		t.Fatalf("headers say iOS 100: %s", r)
	}
}

func TestVersionAdministration(t *testing.T) {
	srv := resttest.Start(t)
	op, someone := srv.Onboard("Operator"), srv.Onboard("Someone")
	makeAdmin(srv, op)
	if m := gqlMessage(someone.GraphQL(publish, versionVars(1, 5, false))); m != "权限不足" {
		t.Fatalf("non-operator: %q", m)
	}
	if r := srv.Anonymous().GraphQL(publish, versionVars(1, 5, false)); !strings.Contains(string(r.Raw), "UNAUTHENTICATED") {
		t.Fatalf("anonymous: %s", r)
	}
	bad := versionVars(3, 5, false)
	if m := gqlMessage(op.GraphQL(publish, bad)); m != "客户端类型不存在" {
		t.Fatalf("client type 3: %q", m)
	}
	v := gqlField(t, op.GraphQL(publish, versionVars(2, 5, false)), "publishAppVersion")["version"].(map[string]any)
	askUpgrade(srv, 2, 4).MustOK(t)
	del := `mutation($id: ID!) { deleteAppVersion(versionId: $id) { message } }`
	gqlField(t, op.GraphQL(del, map[string]any{"id": v["versionId"]}), "deleteAppVersion")
	askUpgrade(srv, 2, 4).MustFail(t, upToDate, 0)
	if m := gqlMessage(op.GraphQL(del, map[string]any{"id": v["versionId"]})); m != "版本不存在" {
		t.Fatalf("deleting twice: %q", m)
	}
}

func TestFeedback(t *testing.T) {
	srv := resttest.Start(t)
	c := srv.Onboard("Fay")
	c.ClientType, c.VersionCode = 2, 42
	ok := resttest.P{"originFeedbackType": 0, "originId": "", "feedbackType": 0, "feedbackContent": "很好用",
		"feedbackImageList": []string{"https://cdn/1.jpg", "https://cdn/2.jpg"}}
	with := func(k string, v any) resttest.P { return withParam(ok, k, v) }
	for _, c2 := range []struct {
		p   resttest.P
		msg string
	}{
		{with("originFeedbackType", 2), "反馈来源类型不存在"},
		{with("originFeedbackType", -1), "反馈来源类型不存在"},
		{with("originId", nil), "反馈来源ID不能为空"},
		{with("feedbackType", 1), "反馈类型不存在"},
		{with("feedbackContent", nil), "反馈内容不能为空"},
		{with("feedbackContent", "  "), "反馈内容不能为空"},
		{with("feedbackContent", strings.Repeat("长", 501)), "反馈内容不能超过500个字"},
		{with("feedbackImageList", []string{"1", "2", "3", "4"}), "至多添加三张图片"},
	} {
		c.Post("/app/feedback", c2.p).MustFail(t, c2.msg, 0)
	}
	r := c.Post("/app/feedback", with("feedbackContent", strings.Repeat("长", 500)))
	r.MustOK(t)
	if r.Message() != "反馈成功" {
		t.Fatalf("message %s", r)
	}
	c.Post("/app/feedback", with("feedbackContent", strings.Repeat("长", 500))).MustFail(t, "Call Duplicate", -1)

	db := srv.App.DB.Client
	ctx := context.Background()
	rows, err := db.Feedback.Query().Where(entfeedback.UID(c.UID)).All(ctx)
	if err != nil || len(rows) != 1 {
		t.Fatalf("rows %v %v", rows, err)
	}
	f := rows[0]
	if f.OriginFeedbackType != 0 || f.OriginID != "-1" || f.ClientType != 2 || f.VersionCode != 42 || f.VersionName != "9.9.9" ||
		len(f.FeedbackImages) != 2 || f.Status != 0 || f.OriginUID != nil {
		t.Fatalf("stored %+v", f)
	}

	// Feedback on a room keeps a copy of the room; an unknown room is dropped silently.
	roomID := ids.New()
	name := "周五夜聊"
	if err := db.Room.Create().SetID(roomID).SetUID(c.UID).SetName(name).SetCreateTime(1620000000000).
		SetSequenceID(ids.Seq(1620000000000, roomID)).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	c.Post("/app/feedback", resttest.P{"originFeedbackType": 1, "originId": roomID, "feedbackContent": "太吵了"}).MustOK(t)
	c.Post("/app/feedback", resttest.P{"originFeedbackType": 1, "originId": ids.New(), "feedbackContent": "不存在"}).MustOK(t)
	c.Post("/app/feedback", resttest.P{"originFeedbackType": 1, "originId": "not-an-id", "feedbackContent": "坏的"}).MustOK(t)
	rf, err := db.Feedback.Query().Where(entfeedback.OriginFeedbackType(1)).All(ctx)
	if err != nil || len(rf) != 1 {
		t.Fatalf("room feedback rows %v %v", rf, err)
	}
	if rf[0].OriginID != roomID || *rf[0].OriginUID != c.UID || *rf[0].OriginContentCreateTime != 1620000000000 ||
		!strings.Contains(*rf[0].OriginContent, `"name":"周五夜聊"`) || rf[0].FeedbackImages != nil {
		t.Fatalf("room feedback %+v", rf[0])
	}
	if r := srv.Anonymous().Post("/app/feedback", ok); r.HTTP != 401 {
		t.Fatalf("anonymous: %s", r)
	}
	srv.Login().Post("/app/feedback", ok).MustFail(t, "用户资料未初始化", 200000)
}

func TestReport(t *testing.T) {
	srv := resttest.Start(t)
	a, b := srv.Onboard("Ann"), srv.Onboard("Ben")
	ok := resttest.P{"originReportType": 1, "originId": b.UID, "reportReasonType": 4, "reason": "发广告"}
	with := func(k string, v any) resttest.P { return withParam(ok, k, v) }
	for _, c := range []struct {
		p   resttest.P
		msg string
	}{
		{with("originReportType", nil), "投诉来源类型不存在"},
		{with("originReportType", 3), "投诉来源类型不存在"},
		{with("originId", ""), "投诉来源ID不能为空"},
		{with("reportReasonType", 0), "投诉原因类型不存在"},
		{with("reportReasonType", 9), "投诉原因类型不存在"},
		{with("reason", " "), "投诉原因不能为空"},
		{with("reason", strings.Repeat("x", 501)), "投诉原因不能超过500个字"},
	} {
		a.Post("/app/report", c.p).MustFail(t, c.msg, 0)
	}
	r := a.Post("/app/report", ok)
	r.MustOK(t)
	if r.Message() != "投诉成功" {
		t.Fatalf("%s", r)
	}
	resttest.Pause()
	a.Post("/app/report", with("reportReasonType", 5)).MustOK(t) // a second report on Ben: ignored
	a.Post("/app/report", with("originId", ids.New())).MustOK(t) // unknown user: ignored
	roomID := ids.New()
	ctx := context.Background()
	db := srv.App.DB.Client
	if err := db.Room.Create().SetID(roomID).SetUID(b.UID).SetCreateTime(1).SetSequenceID(ids.Seq(1, roomID)).SetClosed(true).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	a.Post("/app/report", resttest.P{"originReportType": 2, "originId": roomID, "reportReasonType": 5, "reason": "其他原因：骂人"}).MustOK(t)

	rows, err := db.Report.Query().Where(entreport.UID(a.UID)).Order(entreport.ByOriginReportType()).All(ctx)
	if err != nil || len(rows) != 2 {
		t.Fatalf("rows %v %v", rows, err)
	}
	u, room := rows[0], rows[1]
	if u.OriginID != b.UID || u.OriginUID != b.UID || u.ReportReasonType != 4 || u.Reason != "广告营销" ||
		!strings.Contains(u.OriginContent, `"nickname":"Ben"`) || u.OriginContentCreateTime == 0 {
		t.Fatalf("user report %+v", u)
	}
	if room.OriginID != roomID || room.OriginUID != b.UID || room.Reason != "其他原因：骂人" || !strings.Contains(room.OriginContent, roomID) {
		t.Fatalf("room report %+v", room)
	}
}

func TestLinkPreview(t *testing.T) {
	srv := resttest.Start(t)
	c := srv.Onboard("Lin")
	text := "blog.toby.vip/archives/1 "
	key := linkpreview.Key(text)
	for _, m := range []string{"GET", "POST"} {
		res := c.Call(m, "/app/link/preview/"+key, nil, nil).MustOK(t).(map[string]any)
		if len(res) != 4 || res["title"] != "" || res["url"] != "" || res["image"] != "" || res["description"] != "" {
			t.Fatalf("%s unknown: %v", m, res)
		}
	}
	if err := srv.App.DB.Client.LinkPreview.Create().SetID(key).SetLink(text).SetStatus(linkpreview.StatusFetched).
		SetTitle("创业路上").SetDescription("d").SetImage("https://blog.toby.vip/a.jpeg").SetURL("http://blog.toby.vip/archives/1").
		SetCreateTime(1).SetUpdateTime(1).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"GET", "POST"} {
		res := c.Call(m, "/app/link/preview/"+key, nil, nil).MustOK(t).(map[string]any)
		if res["title"] != "创业路上" || res["url"] != "http://blog.toby.vip/archives/1" || res["image"] != "https://blog.toby.vip/a.jpeg" {
			t.Fatalf("%s cached: %v", m, res)
		}
	}
	r := c.GraphQL(`query($l: String) { linkPreview(link: $l) { title url } }`, map[string]any{"l": text})
	if gqlField(t, r, "linkPreview")["title"] != "创业路上" {
		t.Fatalf("%s", r)
	}
	if r := c.Get("/app/link/preview/"+strings.ToUpper(key), nil); r.HTTP != 404 {
		t.Fatalf("upper-case key: %s", r)
	}
	if r := srv.Anonymous().Get("/app/link/preview/"+key, nil); r.HTTP != 401 {
		t.Fatalf("anonymous: %s", r)
	}
}

// withParam is a copy of base with k set to v, or removed when v is nil.
func withParam(base resttest.P, k string, v any) resttest.P {
	p := resttest.P{}
	for kk, vv := range base {
		p[kk] = vv
	}
	if v == nil {
		delete(p, k)
	} else {
		p[k] = v
	}
	return p
}
