package rest_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"chaoqer/graph"
	"chaoqer/graph/ids"
	"chaoqer/rest"
	"chaoqer/rest/resttest"
)

// The legacy routes answer HTTP as the Spring MVC gateway did (issue 12.1):
// HEAD on every GET route, a trailing slash on every route, the 32-hex id
// rule before the method check, and 404/405 before authentication.

var allMethods = []string{"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"}

// concrete fills a route pattern: fresh 32-hex ids, "abc" for raw parameters.
func concrete(r rest.RouteInfo, id func() string) string {
	segs := strings.Split(r.Path, "/")
	for i, s := range segs {
		if !strings.HasPrefix(s, ":") {
			continue
		}
		segs[i] = id()
		for _, raw := range r.RawPathParams {
			if raw == s[1:] {
				segs[i] = "abc"
			}
		}
	}
	return strings.Join(segs, "/")
}

// request sends method to path with the client's headers; a non-GET, non-HEAD
// request carries an empty JSON object.
func request(t *testing.T, srv *resttest.Server, c *resttest.Client, method, target string) *resttest.Response {
	t.Helper()
	var body *strings.Reader
	if method != "GET" && method != "HEAD" {
		body = strings.NewReader("{}")
	}
	var req *http.Request
	if body != nil {
		req, _ = http.NewRequest(method, srv.URL+target, body)
		req.Header.Set("Content-Type", "application/json")
	} else {
		req, _ = http.NewRequest(method, srv.URL+target, nil)
	}
	return c.Do(req)
}

// signedQuery is "?…" with p, ts and the client's sign.
func signedQuery(c *resttest.Client, p resttest.P) string {
	q := url.Values{}
	for k, v := range c.SignedParams(p) {
		switch x := v.(type) {
		case string:
			q.Set(k, x)
		case int64:
			q.Set(k, strconv.FormatInt(x, 10))
		default:
			q.Set(k, fmt.Sprint(x))
		}
	}
	return "?" + q.Encode()
}

// served is the methods the route table answers on pattern, HEAD with GET.
func served(table []rest.RouteInfo, pattern string) map[string]bool {
	m := map[string]bool{}
	for _, r := range table {
		if r.Path == pattern {
			m[r.Method] = true
			if r.Method == "GET" {
				m["HEAD"] = true
			}
		}
	}
	return m
}

func TestRouteTableHTTPConformance(t *testing.T) {
	srv := resttest.Start(t)
	a := srv.Onboard("Router")
	anon := srv.Anonymous()
	table, err := rest.Routes(graph.NewExecutableSchema(graph.Config{}).Schema())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range table {
		r := r
		t.Run(r.Method+" "+r.Path, func(t *testing.T) {
			path := concrete(r, ids.New)

			// A trailing slash is the same route: the same status as without
			// (the pipeline's 400/401/415 or an answer), never 404/405.
			plain, slash := request(t, srv, anon, r.Method, path), request(t, srv, anon, r.Method, path+"/")
			if plain.HTTP == 404 || plain.HTTP == 405 || slash.HTTP != plain.HTTP {
				t.Errorf("unsigned: %s → %s, %s/ → %s", path, plain, path, slash)
			}

			if r.Method == "GET" {
				// Signed and logged in, fresh ids each time (so no duplicate-call
				// guard meets the same call twice): the slash answers the same
				// envelope, and HEAD the same status and headers without a body.
				get := request(t, srv, a, "GET", concrete(r, ids.New)+signedQuery(a, resttest.P{"count": 10}))
				slash := request(t, srv, a, "GET", concrete(r, ids.New)+"/"+signedQuery(a, resttest.P{"count": 10}))
				if get.HTTP != 200 || slash.HTTP != get.HTTP || slash.Status() != get.Status() ||
					slash.ErrorCode() != get.ErrorCode() || slash.Message() != get.Message() {
					t.Errorf("signed GET %s, with a slash %s", get, slash)
				}
				head := request(t, srv, a, "HEAD", concrete(r, ids.New)+signedQuery(a, resttest.P{"count": 10}))
				for _, h := range []string{"Content-Type", "Content-Length"} {
					if head.Headers.Get(h) != get.Headers.Get(h) {
						t.Errorf("HEAD %s %q, GET %q", h, head.Headers.Get(h), get.Headers.Get(h))
					}
				}
				if head.HTTP != get.HTTP || len(head.Raw) != 0 || get.Headers.Get("Content-Length") != strconv.Itoa(len(get.Raw)) {
					t.Errorf("HEAD %s (%d body bytes), GET %s", head, len(head.Raw), get)
				}
			}

			// Every method not served on the path: 405 with Allow, before
			// authentication, with or without the slash.
			allow := served(table, r.Path)
			for _, m := range allMethods {
				if allow[m] {
					continue
				}
				for _, p := range []string{path, path + "/"} {
					res := request(t, srv, anon, m, p)
					got := map[string]bool{}
					for _, v := range strings.Split(res.Headers.Get("Allow"), ",") {
						got[strings.TrimSpace(v)] = true
					}
					if res.HTTP != 405 || len(res.Raw) != 0 || fmt.Sprint(got) != fmt.Sprint(allow) {
						t.Errorf("%s %s: %s, Allow %q; want 405 allowing %v", m, p, res, res.Headers.Get("Allow"), keys(allow))
					}
				}
			}

			// An id that fails the 32-hex rule matches no route: 404 for every
			// method, before authentication.
			if !strings.Contains(r.Path, ":") || len(r.RawPathParams) > 0 {
				return
			}
			for _, bad := range []string{"NOTHEX", strings.Repeat("A", 32), strings.Repeat("a", 31), strings.Repeat("a", 33)} {
				p := concrete(r, func() string { return bad })
				for _, m := range allMethods {
					for _, c := range []*resttest.Client{anon, a} {
						for _, q := range []string{p, p + "/"} {
							if res := request(t, srv, c, m, q); res.HTTP != 404 || len(res.Raw) != 0 {
								t.Errorf("%s %s: %s, want an empty 404", m, q, res)
							}
						}
					}
				}
			}
		})
	}
}

// The cases, as the apps send them.
func TestLegacyHTTPCases(t *testing.T) {
	srv := resttest.Start(t)
	a := srv.Onboard("Slash")
	a.Post("/club", resttest.P{"name": "斜杠圈", "cover": "https://cdn.example.com/c.jpg"}).MustOK(t)

	// HEAD /app/version/upgrade: the GET's status and headers, no body.
	get := request(t, srv, a, "GET", "/app/version/upgrade")
	head := request(t, srv, a, "HEAD", "/app/version/upgrade")
	if get.HTTP != 200 || head.HTTP != 200 || len(head.Raw) != 0 ||
		head.Headers.Get("Content-Type") != "application/json;charset=UTF-8" ||
		head.Headers.Get("Content-Length") != strconv.Itoa(len(get.Raw)) {
		t.Fatalf("HEAD %s %v; GET %s", head, head.Headers, get)
	}

	// GET /club/?count=10, signed like /club?count=10: the sign covers the
	// parameters, not the path (spec §1.4), so the same sign is valid on both.
	q := signedQuery(a, resttest.P{"count": 10})
	want := request(t, srv, a, "GET", "/club"+q)
	got := request(t, srv, a, "GET", "/club/"+q)
	if want.Status() != 1 || !strings.Contains(string(want.Raw), "斜杠圈") || string(got.Raw) != string(want.Raw) {
		t.Fatalf("GET /club/ %s, GET /club %s", got, want)
	}

	// POST /room/NOTHEX: no route (the id rule), not a wrong method.
	if r := a.Post("/room/NOTHEX", nil); r.HTTP != 404 {
		t.Fatalf("POST /room/NOTHEX: %s", r)
	}
	if r := a.Post("/room/"+ids.New(), nil); r.HTTP != 405 || r.Headers.Get("Allow") != "GET, HEAD" {
		t.Fatalf("POST /room/{id}: %s %v", r, r.Headers)
	}

	// The profile gate compares the raw path (spec §1.3): an old app's
	// GET /club gets the empty success, GET /club/ the profile error.
	b := srv.Login()
	b.VersionCode = 26
	if r := b.Get("/club", resttest.P{"count": 10}); r.MustOK(t) == nil || string(r.Raw) != `{"status":1,"message":"Success","result":{}}` {
		t.Fatalf("GET /club before the profile: %s", r)
	}
	b.Get("/club/", resttest.P{"count": 10}).MustFail(t, "用户资料未初始化", 200000)
	// Its allow-list too: /user/message/unread_total passes, with a slash not.
	b.Get("/user/message/unread_total", nil).MustOK(t)
	b.Get("/user/message/unread_total/", nil).MustFail(t, "用户资料未初始化", 200000)
}

// TestAllowIsOneList pins the Allow header (RFC 9110 §10.2.1) wherever it
// is answered: a wrong method's 405 and an OPTIONS request give the same
// list for a path, in one order, with HEAD beside GET (every GET answers
// HEAD), on the legacy routes and the app's own paths alike; a 404 carries
// none.
func TestAllowIsOneList(t *testing.T) {
	srv := resttest.Start(t)
	anon := srv.Anonymous()
	for path, want := range map[string]string{
		"/room":                    "GET, HEAD, POST",
		"/room/" + ids.New():       "GET, HEAD",
		"/user/profile":            "PUT",
		"/livez":                   "GET, HEAD",
		"/readyz":                  "GET, HEAD",
		"/graphql":                 "GET, HEAD, POST",
		"/":                        "GET, HEAD",
		"/room/" + ids.New() + "/": "GET, HEAD",
	} {
		wrong := "DELETE"
		if strings.Contains(want, "DELETE") {
			wrong = "PATCH"
		}
		r := request(t, srv, anon, wrong, path)
		if r.HTTP != 405 || r.Headers.Get("Allow") != want {
			t.Errorf("%s %s: %s, Allow %q; want 405 allowing %q", wrong, path, r, r.Headers.Get("Allow"), want)
		}
		o := request(t, srv, anon, "OPTIONS", path)
		if o.HTTP != 200 || o.Headers.Get("Allow") != want {
			t.Errorf("OPTIONS %s: %s, Allow %q; want 200 allowing %q", path, o, o.Headers.Get("Allow"), want)
		}
	}
	// GET on a push path the route leaves unserved: 404 as POST is, not
	// a 405 naming POST.
	for _, path := range []string{"/room/NOTHEX", "/nowhere", "/push/template", "/push/attach"} {
		if r := request(t, srv, anon, "DELETE", path); r.HTTP != 404 || r.Headers.Get("Allow") != "" {
			t.Errorf("DELETE %s: %s, Allow %q; want 404 without Allow", path, r, r.Headers.Get("Allow"))
		}
	}
}
