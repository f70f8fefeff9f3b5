package rest_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"chaoqer/app"
	"chaoqer/rest"
	"chaoqer/rest/resttest"
)

type P = resttest.P

func TestSignature(t *testing.T) {
	srv := resttest.Start(t)
	anon := srv.Anonymous()
	captcha := P{"countryCode": "86", "mobile": srv.Mobile()}

	r := anon.Post("/account/captcha", captcha)
	if r.MustOK(t); r.Message() != "请输入验证码8888直接登录" {
		t.Fatalf("test number message: %s", r)
	}
	if res, ok := r.Result().(map[string]any); !ok || len(res) != 0 {
		t.Fatalf("result must be {}: %s", r)
	}

	cases := []struct {
		name   string
		tamper func(P)
		want   int
	}{
		{"wrong sign", func(p P) { p["sign"] = strings.Repeat("0", 32) }, 401},
		{"missing sign", func(p P) { delete(p, "sign") }, 400},
		{"missing ts", func(p P) { delete(p, "ts") }, 400},
		{"changed parameter", func(p P) { p["mobile"] = "13800000999" }, 401},
		{"extra parameter", func(p P) { p["x"] = "1" }, 401},
	}
	for _, c := range cases {
		if r := anon.Call("POST", "/account/captcha", P{"countryCode": "86", "mobile": srv.Mobile()}, c.tamper); r.HTTP != c.want {
			t.Errorf("%s: want HTTP %d, got %s", c.name, c.want, r)
		}
	}
	upper := func(p P) { p["sign"] = strings.ToUpper(p["sign"].(string)) }
	anon.Call("POST", "/account/captcha", P{"countryCode": "86", "mobile": srv.Mobile()}, upper).MustOK(t)
	newline := func(p P) { p["sign"] = p["sign"].(string)[:10] + "\n" + p["sign"].(string)[10:] }
	anon.Call("POST", "/account/captcha", P{"countryCode": "86", "mobile": srv.Mobile()}, newline).MustOK(t)
}

func TestSignedNestedAndTypedValues(t *testing.T) {
	srv := resttest.Start(t)
	// Unknown parameters of every JSON type take part in the sign and are ignored by binding.
	p := P{"countryCode": "86", "mobile": srv.Mobile(), "list": []any{"b", "a"}, "obj": P{"z": 1, "a": "<&>"},
		"flag": true, "none": nil, "num": 1.5, "text": "中文"}
	srv.Anonymous().Post("/account/captcha", p).MustOK(t)
}

func TestSessionSecretSignsUserCalls(t *testing.T) {
	srv := resttest.Start(t)
	a := srv.Login()
	a.Get("/user/message/unread_total", nil).MustOK(t)
	secret := a.Secret
	a.Secret = ""
	if r := a.Get("/user/message/unread_total", nil); r.HTTP != 401 {
		t.Fatalf("a logged-in call signed with the anonymous secret: want 401, got %s", r)
	}
	a.Secret = secret
}

func TestAuthorizationHeader(t *testing.T) {
	srv := resttest.Start(t)
	a := srv.Login()
	if r := srv.Anonymous().Get("/user/message/unread_total", nil); r.HTTP != 401 {
		t.Fatalf("no Authorization on a login endpoint: want 401, got %s", r)
	}
	wrong := *a
	wrong.Token = strings.Repeat("f", 32)
	if r := wrong.Get("/user/message/unread_total", nil); r.HTTP != 401 {
		t.Fatalf("wrong token: want 401, got %s", r)
	}
	for name, header := range map[string]string{
		"short":           "Bas",
		"not base64":      "Basic ***",
		"no colon":        "Basic " + base64.StdEncoding.EncodeToString([]byte(a.UID)),
		"two colons":      "Basic " + base64.StdEncoding.EncodeToString([]byte(a.UID+":"+a.Token+":x")),
		"uid not hex":     "Basic " + base64.StdEncoding.EncodeToString([]byte("nothex:"+a.Token)),
		"unknown uid":     "Basic " + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("a", 32)+":"+a.Token)),
		"empty token":     "Basic " + base64.StdEncoding.EncodeToString([]byte(a.UID+":")),
		"bearer with uid": "Bearer " + a.UID,
	} {
		c := srv.Anonymous()
		c.Headers = map[string]string{"Authorization": header}
		if r := c.Get("/user/message/unread_total", nil); r.HTTP != 401 {
			t.Errorf("%s Authorization: want 401, got %s", name, r)
		}
	}
	// Login and captcha ignore a stale Authorization header (spec D26).
	stale := *a
	stale.Token = strings.Repeat("e", 32)
	stale.Secret = ""
	stale.Post("/account/captcha", P{"countryCode": "86", "mobile": srv.Mobile()}).MustOK(t)
}

func TestRoutingStatuses(t *testing.T) {
	srv := resttest.Start(t)
	a := srv.Onboard("Router")
	if r := srv.Anonymous().Get("/no/such/route", nil); r.HTTP != 404 || len(r.Raw) != 0 {
		t.Errorf("unknown route: want empty 404, got %s", r)
	}
	if r := a.Get("/user/"+strings.Repeat("a", 24)+"/profile", nil); r.HTTP != 404 {
		t.Errorf("24-hex uid: want 404, got %s", r)
	}
	if r := a.Get("/user/"+strings.Repeat("A", 32)+"/profile", nil); r.HTTP != 404 {
		t.Errorf("upper-case hex uid: want 404, got %s", r)
	}
	if r := srv.Anonymous().Call("DELETE", "/account/captcha", P{}, nil); r.HTTP != 405 || len(r.Raw) != 0 {
		t.Errorf("wrong method: want empty 405, got %s", r)
	}
	// 404 and 405 come before authentication.
	if r := srv.Anonymous().Get("/user/"+strings.Repeat("z", 32)+"/profile", nil); r.HTTP != 404 {
		t.Errorf("bad id without Authorization: want 404, got %s", r)
	}
	if r := srv.Anonymous().Get("/user/profile", nil); r.HTTP != 405 {
		t.Errorf("GET of a PUT route without Authorization: want 405, got %s", r)
	}
	if r := a.Get("/user/profile/", nil); r.HTTP != 404 {
		t.Errorf("trailing slash: want 404 (no redirect), got %s", r)
	}
}

func TestContentTypeAndBody(t *testing.T) {
	srv := resttest.Start(t)
	anon := srv.Anonymous()
	post := func(contentType, body string) *resttest.Response {
		req, _ := http.NewRequest("POST", srv.URL+"/account/captcha", bytes.NewBufferString(body))
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		return anon.Do(req)
	}
	for name, c := range map[string]struct {
		contentType, body string
		want              int
	}{
		"form body":       {"application/x-www-form-urlencoded", "countryCode=86", 415},
		"no content type": {"", "{}", 415},
		"malformed JSON":  {"application/json", `{"countryCode":`, 400},
		"JSON array":      {"application/json", `["a"]`, 400},
		"JSON string":     {"application/json", `"a"`, 400},
		"JSON null":       {"application/json", `null`, 400},
		"empty body":      {"application/json", ``, 400},
		"trailing data":   {"application/json", `{} {}`, 400},
		"unsigned object": {"application/json", `{}`, 400},
	} {
		if r := post(c.contentType, c.body); r.HTTP != c.want {
			t.Errorf("%s: want %d, got %s", name, c.want, r)
		}
	}
	// A charset parameter is fine (the original broke signing there).
	r := anon.Send("POST", "/account/captcha", signed(P{"countryCode": "86", "mobile": srv.Mobile()}, ""), "application/json; charset=UTF-8")
	r.MustOK(t)
	// A JSON value of the wrong type for a parameter is a 400, like the original's binder.
	r = anon.Post("/account/captcha", P{"countryCode": P{"x": 1}, "mobile": srv.Mobile()})
	if r.HTTP != 400 {
		t.Errorf("object for a string parameter: want 400, got %s", r)
	}
	// Numbers are accepted for string parameters (the original's binder did that).
	anon.Post("/account/captcha", P{"countryCode": 86, "mobile": srv.Mobile()}).MustOK(t)
}

// signed returns p with ts and sign for secret ("" = the anonymous secret).
func signed(p P, secret string) P {
	c := &resttest.Client{Secret: secret}
	return c.SignedParams(p)
}

func TestClientHeaders(t *testing.T) {
	srv := resttest.Start(t)
	a := srv.Login()
	for _, h := range []map[string]string{{"Client-Type": "ios"}, {"Version-Code": "1.2"}} {
		c := *a
		c.Headers = h
		if r := c.Get("/user/message/unread_total", nil); r.HTTP != 400 {
			t.Errorf("header %v: want 400, got %s", h, r)
		}
	}
	c := *a
	c.Headers = map[string]string{"Client-Type": "7"} // unknown types count as web
	c.Get("/user/message/unread_total", nil).MustOK(t)
}

func TestCORS(t *testing.T) {
	srv := resttest.Start(t)
	req, _ := http.NewRequest("OPTIONS", srv.URL+"/user/profile", nil)
	req.Header.Set("Origin", "https://h5.example.com")
	req.Header.Set("Access-Control-Request-Method", "PUT")
	r := srv.Anonymous().Do(req)
	if r.HTTP != 200 || len(r.Raw) != 0 {
		t.Fatalf("preflight: want empty 200, got %s", r)
	}
	if got := r.Headers.Get("Access-Control-Allow-Origin"); got != "https://h5.example.com" {
		t.Errorf("allow-origin %q", got)
	}
	if r.Headers.Get("Access-Control-Allow-Credentials") != "true" || r.Headers.Get("Access-Control-Max-Age") != "3600" {
		t.Errorf("preflight headers %v", r.Headers)
	}
	// Unknown paths answer preflights too, and normal requests carry the headers.
	req, _ = http.NewRequest("OPTIONS", srv.URL+"/nowhere", nil)
	if r := srv.Anonymous().Do(req); r.HTTP != 200 {
		t.Errorf("preflight of an unknown path: %s", r)
	}
	anon := srv.Anonymous()
	anon.Headers = map[string]string{"Origin": "https://h5.example.com"}
	if r := anon.Post("/account/captcha", P{"countryCode": "86", "mobile": srv.Mobile()}); r.Headers.Get("Access-Control-Allow-Origin") == "" {
		t.Errorf("no CORS header on a normal answer: %v", r.Headers)
	}
}

func TestCORSAllowList(t *testing.T) {
	srv := resttest.Start(t, func(c *appConfig) { c.CORSOrigins = []string{"https://h5.chaoqer.com"} })
	for origin, allowed := range map[string]bool{"https://h5.chaoqer.com": true, "https://evil.example.com": false} {
		req, _ := http.NewRequest("OPTIONS", srv.URL+"/user/profile", nil)
		req.Header.Set("Origin", origin)
		r := srv.Anonymous().Do(req)
		if got := r.Headers.Get("Access-Control-Allow-Origin") != ""; got != allowed {
			t.Errorf("origin %s allowed=%v, want %v", origin, got, allowed)
		}
	}
}

func TestDuplicateCallGuard(t *testing.T) {
	srv := resttest.Start(t)
	a := srv.Onboard("Dup")
	b := srv.Onboard("Target")
	a.Post("/user/"+b.UID+"/block", nil).MustOK(t)
	a.Post("/user/"+b.UID+"/block", nil).MustFail(t, "Call Duplicate", -1)
	// Another caller, or other arguments, are not duplicates.
	b.Post("/user/"+a.UID+"/block", nil).MustOK(t)
	a.Post("/user/"+b.UID+"/card", nil).MustOK(t)
	resttest.Pause()
	a.Post("/user/"+b.UID+"/block", nil).MustOK(t)
	// Reads are never guarded.
	a.Get("/user/message/unread_total", nil).MustOK(t)
	a.Get("/user/message/unread_total", nil).MustOK(t)
}

type appConfig = app.Config

// TestSignFreshness: with CHAOQER_SIGN_MAX_SKEW set, ts must be recent and a
// signed request cannot be replayed (spec §1.4 [REC]).
func TestSignFreshness(t *testing.T) {
	srv := resttest.Start(t, func(c *appConfig) { c.SignMaxSkew = 5 * time.Minute })
	a := srv.Onboard("Fresh")
	a.Get("/user/message/unread_total", nil).MustOK(t)
	resign := func(ts int64) func(P) {
		return func(p P) {
			p["ts"] = ts
			delete(p, "sign")
			p["sign"] = rest.Sign(signable(p), a.Secret)
		}
	}
	if r := a.Call("GET", "/user/message/unread_total", nil, resign(time.Now().Add(-6*time.Minute).UnixMilli())); r.HTTP != 401 {
		t.Fatalf("stale ts: %s", r)
	}
	if r := a.Call("GET", "/user/message/unread_total", nil, resign(time.Now().Add(6*time.Minute).UnixMilli())); r.HTTP != 401 {
		t.Fatalf("future ts: %s", r)
	}
	time.Sleep(2 * time.Millisecond) // a new ts: the same request in the same ms is a replay too
	replayed := a.SignedParams(P{})
	first := a.Send("GET", "/user/message/unread_total", replayed, "")
	first.MustOK(t)
	if r := a.Send("GET", "/user/message/unread_total", replayed, ""); r.HTTP != 401 {
		t.Fatalf("replayed request: %s", r)
	}
	bad := func(p P) { p["ts"] = "soon"; delete(p, "sign"); p["sign"] = rest.Sign(signable(p), a.Secret) }
	if r := a.Call("GET", "/user/message/unread_total", nil, bad); r.HTTP != 400 {
		t.Fatalf("ts not a number: %s", r)
	}
}

// signable is p as the server sees a GET query: every value as text.
func signable(p P) map[string]any {
	out := map[string]any{}
	for k, v := range p {
		out[k] = fmt.Sprint(v)
	}
	return out
}
