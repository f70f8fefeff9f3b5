package rest_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2/ast"

	"chaoqer/graph"
	"chaoqer/graph/ids"
	"chaoqer/rest"
	"chaoqer/rest/resttest"
)

// The malformed-input sweep (issue 8): every kind of bad input, sent to
// every route of rest's route table (a new route is covered without editing
// this file), must get a clear answer: never a 5xx, and a body that is
// either empty or JSON.

// sweep is one server with real objects for the routes' path ids.
type sweep struct {
	t      *testing.T
	srv    *resttest.Server
	user   *resttest.Client
	routes []rest.RouteInfo
	schema *ast.Schema
	ids    map[string]string // path parameter -> an existing object's id
}

func newSweep(t *testing.T) *sweep {
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	routes, err := rest.Routes(schema)
	if err != nil {
		t.Fatal(err)
	}
	srv := resttest.Start(t)
	u, other := srv.Onboard("Sweeper"), srv.Onboard("Other")
	club := obj(t, u.Post("/club", P{"name": "扫描", "cover": "https://cdn.example.com/c.jpg"}).MustOK(t))["clubId"].(string)
	room := newRoom(t, srv, u.UID)
	event := obj(t, u.Post("/event", P{"name": "扫描", "eventTime": time.Now().Add(time.Hour).UnixMilli(),
		"memberUidList": []string{u.UID, other.UID}}).MustOK(t))["eventId"].(string)
	return &sweep{t: t, srv: srv, user: u, routes: routes, schema: schema, ids: map[string]string{
		"uid": other.UID, "clubId": club, "roomId": room, "eventId": event, "roomCacheId": ids.New(),
		"linkMD5": ids.MD5("https://example.com/"), "jPushId": "1a0018970a8b1d2e3f4",
	}}
}

// client is who calls r: anonymous routes anonymously, logout with a fresh
// session each time (it ends it), everything else as the sweep's user.
func (s *sweep) client(r rest.RouteInfo) *resttest.Client {
	switch {
	case r.Anonymous:
		return s.srv.Anonymous()
	case r.Path == "/account/logout":
		return s.srv.Onboard("Leaver")
	}
	return s.user
}

// path fills r's path parameters; override maps a parameter to raw path text.
func (s *sweep) path(r rest.RouteInfo, override map[string]string) string {
	segs := strings.Split(r.Path, "/")
	for i, seg := range segs {
		if name, ok := strings.CutPrefix(seg, ":"); ok {
			if v, ok := override[name]; ok {
				segs[i] = v
				continue
			}
			v, ok := s.ids[name]
			if !ok {
				v = ids.New()
			}
			segs[i] = v
		}
	}
	return strings.Join(segs, "/")
}

// valid is a well-formed value for p (as the server decodes JSON).
func (s *sweep) valid(p rest.Param) any {
	var v any
	switch p.Type {
	case "Int":
		v = json.Number("10")
	case "Int64", "Timestamp":
		v = json.Number(strconv.FormatInt(time.Now().Add(time.Hour).UnixMilli(), 10))
	case "Boolean":
		v = true
	case "Float":
		v = json.Number("1.5")
	case "ID":
		if id, ok := s.ids[p.Name]; ok {
			v = id
		} else {
			v = s.user.UID
		}
	default:
		if def := s.schema.Types[p.Type]; def != nil && def.Kind == ast.Enum {
			v = def.EnumValues[0].Name
		} else {
			v = "x"
		}
	}
	if p.List {
		return []any{v}
	}
	return v
}

// baseline is every parameter of r with a valid value.
func (s *sweep) baseline(r rest.RouteInfo) map[string]any {
	m := map[string]any{}
	for _, p := range r.Params {
		m[p.Name] = s.valid(p)
	}
	return m
}

// queryText is how a value is written in a query string.
func queryText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

// request builds a signed request of r carrying params: a query string for
// GET, a JSON body otherwise.
func (s *sweep) request(r rest.RouteInfo, c *resttest.Client, params map[string]any) resttest.Raw {
	req := resttest.Raw{Method: r.Method, Path: s.path(r, nil)}
	if r.Method == "GET" {
		keys := make([]string, 0, len(params))
		for k := range params {
			keys = append(keys, k)
		}
		pairs := make([][2]string, 0, len(keys))
		for _, k := range keys {
			pairs = append(pairs, [2]string{k, queryText(params[k])})
		}
		req.Query = c.SignQuery(pairs...)
		return req
	}
	req.ContentType = "application/json"
	req.Body = c.SignJSON(params)
	return req
}

// variant is one malformed request; want is its exact status, or 0 for
// "any clear answer".
type variant struct {
	name string
	req  resttest.Raw
	want int
}

// run sends every variant of every route and checks the answers.
func (s *sweep) run(t *testing.T, variants func(r rest.RouteInfo, c *resttest.Client) []variant) {
	n := 0
	for _, r := range s.routes {
		c := s.client(r)
		for _, v := range variants(r, c) {
			n++
			resp := c.SendRaw(v.req)
			what := fmt.Sprintf("%s %s (%s)", r.Method, r.Path, v.name)
			if resp.HTTP >= 500 {
				t.Errorf("%s: HTTP %d %.300s", what, resp.HTTP, resp.Raw)
				continue
			}
			if len(resp.Raw) > 0 && !json.Valid(resp.Raw) {
				t.Errorf("%s: body is not JSON: %.300q", what, resp.Raw)
			}
			if v.want != 0 && resp.HTTP != v.want {
				t.Errorf("%s: want HTTP %d, got %d %.300s", what, v.want, resp.HTTP, resp.Raw)
			}
			if r.Path == "/account/logout" {
				c = s.client(r)
			}
		}
	}
	if n == 0 {
		t.Fatal("no requests sent")
	}
}

// with returns a copy of params with k set to v.
func with(params map[string]any, k string, v any) map[string]any {
	out := make(map[string]any, len(params)+1)
	for kk, vv := range params {
		out[kk] = vv
	}
	out[k] = v
	return out
}

func without(params map[string]any, k string) map[string]any {
	out := with(params, k, nil)
	delete(out, k)
	return out
}

func TestMalformedInputSweep(t *testing.T) {
	s := newSweep(t)

	t.Run("missing parameters", func(t *testing.T) {
		s.run(t, func(r rest.RouteInfo, c *resttest.Client) []variant {
			full := s.baseline(r)
			vs := []variant{
				{name: "all", req: s.request(r, c, full)},
				{name: "none", req: s.request(r, c, nil)},
				{name: "no ts or sign", req: resttest.Raw{Method: r.Method, Path: s.path(r, nil), ContentType: "application/json", Body: []byte("{}")}},
			}
			for k := range full {
				vs = append(vs, variant{name: "without " + k, req: s.request(r, c, without(full, k))})
			}
			return vs
		})
	})

	t.Run("duplicated parameters", func(t *testing.T) {
		s.run(t, func(r rest.RouteInfo, c *resttest.Client) []variant {
			full := s.baseline(r)
			var vs []variant
			for _, k := range append(keys(full), "ts", "sign") {
				req := s.request(r, c, full)
				if r.Method == "GET" {
					req.Query += "&" + k + "=dup&" + k + "=" + strings.Repeat("9", 20)
				} else {
					// A repeated JSON key: the decoder keeps the last one.
					req.Body = append([]byte(`{"`+k+`":"dup",`), req.Body[1:]...)
				}
				vs = append(vs, variant{name: k + " twice", req: req})
			}
			return vs
		})
	})

	t.Run("oversized parameters", func(t *testing.T) {
		s.run(t, func(r rest.RouteInfo, c *resttest.Client) []variant {
			full := s.baseline(r)
			var vs []variant
			for _, p := range r.Params {
				long := strings.Repeat("长", 20_000)
				vs = append(vs, variant{name: p.Name + " 60 KB", req: s.request(r, c, with(full, p.Name, long))})
				many := make([]any, 5_000)
				for i := range many {
					many[i] = s.user.UID
				}
				if r.Method != "GET" {
					vs = append(vs, variant{name: p.Name + " 5000 items", req: s.request(r, c, with(full, p.Name, many))})
				}
			}
			if r.Method != "GET" {
				body := append([]byte(`{"pad":"`), bytes.Repeat([]byte("x"), 1<<20)...)
				body = append(body, `"}`...)
				vs = append(vs, variant{name: "body over 1 MiB", req: resttest.Raw{Method: r.Method, Path: s.path(r, nil), ContentType: "application/json", Body: body}})
			} else {
				vs = append(vs, variant{name: "query of 200 KB", req: resttest.Raw{Method: r.Method, Path: s.path(r, nil), Query: "pad=" + strings.Repeat("x", 200_000) + "&" + c.SignQuery()}})
			}
			return vs
		})
	})

	t.Run("mistyped parameters", func(t *testing.T) {
		wrong := []any{map[string]any{"a": json.Number("1")}, []any{json.Number("1"), "b"}, true, json.Number("1.5"), "text", nil, json.Number("-1"), "", " 05 ", "+5"}
		s.run(t, func(r rest.RouteInfo, c *resttest.Client) []variant {
			full := s.baseline(r)
			var vs []variant
			for _, p := range r.Params {
				for _, w := range wrong {
					vs = append(vs, variant{name: fmt.Sprintf("%s=%v", p.Name, w), req: s.request(r, c, with(full, p.Name, w))})
				}
			}
			return vs
		})
	})

	t.Run("bad JSON", func(t *testing.T) {
		bodies := []string{"", " ", "{", `{"a":}`, `{"a":1,}`, "[]", `"s"`, "null", "1", `{} x`, `{"a":1}{"b":2}`,
			"\xff\xfe{}", `{"a":"\ud800"}`, strings.Repeat("[", 20_000), `{"ts":1e999,"sign":"x"}`, `{"ts":{"a":1},"sign":[1]}`}
		s.run(t, func(r rest.RouteInfo, c *resttest.Client) []variant {
			var vs []variant
			if r.Method == "GET" {
				// GET reads the query; a body must not change that.
				return []variant{{name: "body on GET", req: resttest.Raw{Method: "GET", Path: s.path(r, nil), Query: c.SignQuery(pairs(s.baseline(r))...), ContentType: "application/json", Body: []byte("{")}}}
			}
			for _, b := range bodies {
				want := 0 // an object: the sign check or binding answers
				if !isObject(b) {
					want = 400 // not one JSON object
				}
				if r.Unsigned && strings.TrimSpace(b) == "" {
					want = 0 // unsigned routes take an empty body as no parameters
				}
				vs = append(vs, variant{name: fmt.Sprintf("%.20q", b), req: resttest.Raw{Method: r.Method, Path: s.path(r, nil), ContentType: "application/json", Body: []byte(b)}, want: want})
			}
			return vs
		})
	})

	t.Run("bad headers", func(t *testing.T) {
		b64 := base64.StdEncoding.EncodeToString
		headers := []map[string]string{
			{"Client-Type": "ios"}, {"Client-Type": "-1"}, {"Client-Type": "99999999999999999999"},
			{"Version-Code": "1e3"}, {"Version-Code": "99999999999999999999"}, {"Version-Name": "\xff"}, {"Version-Name": strings.Repeat("v", 10_000)},
			{"Authorization": "x"}, {"Authorization": "Basic"}, {"Authorization": "Basic !!!"}, {"Authorization": "Basic " + b64([]byte("a"))},
			{"Authorization": "Basic " + b64([]byte("a:b:c"))}, {"Authorization": "Basic " + b64([]byte("\xff:\x00"))},
			{"Authorization": "Basic " + b64([]byte(strings.Repeat("a", 32)+":token"))},
			{"Content-Type": "text/plain"}, {"Content-Type": "application/json; charset=\xff"}, {"Content-Type": "application/json;;"},
			{"Content-Type": "multipart/form-data; boundary="}, {"Content-Type": "application/x-www-form-urlencoded"},
			{"X-Real-IP": "\xff"}, {"X-Forwarded-For": "1.1.1.1, garbage, \xff"},
		}
		s.run(t, func(r rest.RouteInfo, c *resttest.Client) []variant {
			var vs []variant
			for _, h := range headers {
				req := s.request(r, c, s.baseline(r))
				req.Headers = h
				want := 0
				if _, ok := h["Version-Name"]; ok && strings.HasPrefix(h["Version-Name"], "\xff") {
					want = 400
				}
				vs = append(vs, variant{name: fmt.Sprintf("%q", h), req: req, want: want})
			}
			return vs
		})
	})

	t.Run("bad ids", func(t *testing.T) {
		bad := []string{"zz", strings.Repeat("a", 31), strings.Repeat("a", 33), strings.Repeat("A", 32), "%2e%2e", "%00", "%FF", "a%00b",
			strings.Repeat("f", 10_000), "%EF%BF%BD", "template", "-1", "9223372036854775808"}
		s.run(t, func(r rest.RouteInfo, c *resttest.Client) []variant {
			var vs []variant
			for _, name := range r.PathParams {
				for _, b := range bad {
					req := s.request(r, c, s.baseline(r))
					req.Path = s.path(r, map[string]string{name: b})
					vs = append(vs, variant{name: name + "=" + b, req: req})
				}
			}
			return vs
		})
	})

	t.Run("NUL", func(t *testing.T) {
		s.run(t, func(r rest.RouteInfo, c *resttest.Client) []variant {
			full := s.baseline(r)
			vs := []variant{{name: "NUL key", req: s.request(r, c, with(full, "k\x00", "1")), want: 400}}
			for _, p := range r.Params {
				vs = append(vs, variant{name: p.Name, req: s.request(r, c, with(full, p.Name, "a\x00b")), want: 400})
				if r.Method != "GET" { // a query string has no lists
					vs = append(vs, variant{name: p.Name + " in a list", req: s.request(r, c, with(full, p.Name, []any{"\x00"})), want: 400})
				}
			}
			for _, name := range r.RawPathParams {
				req := s.request(r, c, full)
				req.Path = s.path(r, map[string]string{name: "a%00b"})
				vs = append(vs, variant{name: "path " + name, req: req, want: 400})
			}
			return vs
		})
	})

	t.Run("invalid UTF-8", func(t *testing.T) {
		s.run(t, func(r rest.RouteInfo, c *resttest.Client) []variant {
			full := s.baseline(r)
			var vs []variant
			if r.Method == "GET" {
				vs = append(vs, variant{name: "key", req: s.request(r, c, with(full, "\xff", "1")), want: 400})
				for _, p := range r.Params {
					vs = append(vs, variant{name: p.Name, req: s.request(r, c, with(full, p.Name, "a\xffb")), want: 400})
				}
			} else {
				// JSON text: the decoder reads bad bytes as U+FFFD, which is
				// storable, so these are ordinary requests.
				for _, p := range r.Params {
					req := s.request(r, c, full)
					req.Body = append([]byte(`{"`+p.Name+"\":\"\xff\xfe\",\"\xc0\xaf\":1,"), req.Body[1:]...)
					vs = append(vs, variant{name: p.Name, req: req})
				}
			}
			for _, name := range r.RawPathParams {
				req := s.request(r, c, full)
				req.Path = s.path(r, map[string]string{name: "%FF"})
				vs = append(vs, variant{name: "path " + name, req: req, want: 400})
			}
			return vs
		})
	})

	t.Run("overflowing numbers", func(t *testing.T) {
		numbers := []string{"9223372036854775808", "-9223372036854775809", "18446744073709551616", "2147483648", "-2147483649", "1e400", "1e-400", "9223372036854775807"}
		s.run(t, func(r rest.RouteInfo, c *resttest.Client) []variant {
			full := s.baseline(r)
			var vs []variant
			for _, p := range append(r.Params, rest.Param{Name: "ts"}) {
				for _, n := range numbers {
					var v any = json.Number(n)
					if r.Method == "GET" {
						v = n
					}
					vs = append(vs, variant{name: p.Name + "=" + n, req: s.request(r, c, with(full, p.Name, v))})
				}
			}
			return vs
		})
	})
}

// keys lists a map's keys in order.
func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func pairs(m map[string]any) [][2]string {
	out := make([][2]string, 0, len(m))
	for k, v := range m {
		out = append(out, [2]string{k, queryText(v)})
	}
	return out
}

// isObject reports whether b is exactly one JSON object (numbers kept as
// text, as the server reads them).
func isObject(b string) bool {
	dec := json.NewDecoder(strings.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if dec.Decode(&m) != nil || m == nil {
		return false
	}
	_, err := dec.Token()
	return err == io.EOF
}
