package rest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"testing"
	"time"

	"chaoqer/graph"
	"chaoqer/rest"
	"chaoqer/rest/resttest"
)

// The fuzz tests feed the whole server (issue 8): any request must get a
// clear answer, never a 5xx, and JSON where JSON is promised. Plain
// `go test` runs their seeds (the inputs); .ci/run fuzzes each for
// a bounded time on SQLite and PostgreSQL.

// fuzzFlags select what the legacy fuzz target adds to a request.
const (
	fuzzSign = 1 << iota // add ts and a correct sign for the parameters sent
	fuzzAuth             // send the fuzzing user's Authorization
	fuzzJSON             // Content-Type: application/json
)

// fuzzClient never follows redirects and gives up on a request that hangs
// (a hang is a failure too).
var fuzzClient = &http.Client{
	Timeout:       30 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// skippedHeaders would change the transport, not the request (or open a
// socket that lives on).
var skippedHeaders = map[string]bool{"Upgrade": true, "Connection": true, "Content-Length": true,
	"Transfer-Encoding": true, "Host": true, "Expect": true, "Te": true, "Trailer": true}

// fuzzHeaders parses "Name: value" lines; malformed lines are dropped.
func fuzzHeaders(text string) http.Header {
	h := http.Header{}
	for _, line := range strings.Split(text, "\n") {
		name, value, ok := strings.Cut(line, ":")
		name = textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(name))
		if !ok || name == "" || skippedHeaders[name] || strings.HasPrefix(name, "Sec-Websocket") {
			continue
		}
		h.Add(name, strings.TrimSpace(value))
	}
	return h
}

// legacyRoute reports whether path has the shape of a legacy route.
func legacyRoute(routes []rest.RouteInfo, path string) bool {
	segs := strings.Split(path, "/")
	for _, r := range routes {
		pattern := strings.Split(r.Path, "/")
		if len(pattern) != len(segs) {
			continue
		}
		match := true
		for i, p := range pattern {
			if !strings.HasPrefix(p, ":") && p != segs[i] || strings.HasPrefix(p, ":") && segs[i] == "" {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}

// checkEnvelope fails unless raw is a legacy envelope: status 1 with a
// result, or status 0 with an errorCode and no result.
func checkEnvelope(t *testing.T, raw []byte) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var env map[string]any
	if err := dec.Decode(&env); err != nil {
		t.Fatalf("200 without a JSON envelope: %.300q", raw)
	}
	_, hasMessage := env["message"].(string)
	_, hasResult := env["result"]
	_, hasCode := env["errorCode"].(json.Number)
	switch env["status"] {
	case json.Number("1"):
		if !hasMessage || !hasResult {
			t.Fatalf("success envelope without message or result: %.300s", raw)
		}
	case json.Number("0"):
		if !hasMessage || !hasCode || hasResult {
			t.Fatalf("failure envelope malformed: %.300s", raw)
		}
	default:
		t.Fatalf("envelope status: %.300s", raw)
	}
}

// signFuzzRequest adds ts and the sign the server will compute to the
// query (GET or non-JSON) or to a JSON object body.
func signFuzzRequest(c *resttest.Client, method, query string, body []byte, isJSON bool) (string, []byte) {
	if method != "GET" && isJSON {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		var m map[string]any
		if dec.Decode(&m) != nil {
			return query, body
		}
		return query, c.SignJSON(m)
	}
	values, err := url.ParseQuery(query)
	if err != nil {
		return query, body
	}
	var pairs [][2]string
	for k, vs := range values {
		if k != "ts" && k != "sign" && len(vs) > 0 {
			pairs = append(pairs, [2]string{k, vs[0]})
		}
	}
	return c.SignQuery(pairs...), body
}

func FuzzLegacyPipeline(f *testing.F) {
	srv := resttest.Start(f)
	u := srv.Onboard("Fuzzer")
	routes, err := rest.Routes(graph.NewExecutableSchema(graph.Config{}).Schema())
	if err != nil {
		f.Fatal(err)
	}
	all := uint8(fuzzSign | fuzzAuth | fuzzJSON)
	eventBody := func(at string) []byte {
		return []byte(`{"name":"n","eventTime":` + at + `,"memberUidList":["` + u.UID + `"]}`)
	}
	// The inputs, then a few of each malformed kind.
	for _, count := range []string{"05", "%2B5", "%205%20", "010"} {
		for _, p := range []string{"/club", "/room", "/event", "/user/block", "/user/card", "/user/message"} {
			f.Add("GET", p, "count="+count, "", []byte(nil), all)
		}
	}
	f.Add("PUT", "/user/profile", "", "", []byte(`{"nickname":"a\u0000b","avatar":"x"}`), all)
	f.Add("GET", "/club", "count=10&lastId=%FF", "", []byte(nil), all)
	f.Add("POST", "/push/update/%FF", "", "", []byte(`{}`), all)
	f.Add("GET", "/club", "count=10", "Version-Name: \xff", []byte(nil), all)
	f.Add("GET", "/club", "count=10&%FF=1&%EF%BF%BD=1", "", []byte(nil), all)
	f.Add("POST", "/event", "", "", eventBody("9223372036854775807"), all)
	f.Add("POST", "/event", "", "", eventBody("9223372036854775808"), all)
	f.Add("POST", "/event", "", "", eventBody("-1e400"), all)
	f.Add("POST", "/push/template", "", "", []byte(`{}`), all)
	f.Add("POST", "/push/attach", "", "", []byte(`{}`), all)
	f.Add("POST", "/account/captcha", "", "", []byte(`{"countryCode":"86","mobile":"1380013800\u0000"}`), uint8(fuzzSign|fuzzJSON))
	f.Add("POST", "/club", "", "", []byte(`{"name":`), all)
	f.Add("POST", "/club", "", "", []byte(`{"name":["x"],"cover":{"a":1}}`), all)
	f.Add("POST", "/room", "", "", []byte(`{"name":"r","inviteOnly":2147483648}`), all)
	f.Add("GET", "/user/"+u.UID+"/profile", "", "Authorization: Basic !!!\nClient-Type: x", []byte(nil), uint8(fuzzSign))
	f.Add("GET", "/club/"+strings.Repeat("A", 32), "", "Version-Code: 99999999999999999999", []byte(nil), all)
	f.Add("POST", "/h5/profile/"+u.UID, "", "Content-Type: text/plain", []byte("\xff\xfe"), uint8(0))
	f.Add("DELETE", "/event/"+u.UID, "x=1&x=2", "", []byte(`{"a":1,"a":2}`), all)
	f.Add("GET", "/app/version/upgrade", "ts=1", "Client-Type: 2\nVersion-Code: -1", []byte(nil), uint8(0))

	f.Fuzz(func(t *testing.T, method, path, query, headers string, body []byte, flags uint8) {
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		if flags&fuzzSign != 0 {
			query, body = signFuzzRequest(u, method, query, body, flags&fuzzJSON != 0)
		}
		target := srv.URL + path
		if query != "" {
			target += "?" + query
		}
		req, err := http.NewRequest(method, target, bytes.NewReader(body))
		if err != nil {
			return // not an HTTP request a client can send
		}
		if strings.ContainsAny(req.URL.RequestURI(), " \t\r\n") {
			// A malformed request line: net/http answers it itself (400,
			// text/plain) before any handler runs.
			return
		}
		req.Header = fuzzHeaders(headers)
		if flags&fuzzJSON != 0 && req.Header.Get("Content-Type") == "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if flags&fuzzAuth != 0 && req.Header.Get("Authorization") == "" {
			req.Header.Set("Authorization", u.AuthorizationHeader())
		}
		resp, err := fuzzClient.Do(req)
		if err != nil {
			if strings.Contains(err.Error(), "Timeout") || strings.Contains(err.Error(), "deadline") {
				t.Fatalf("%s %q: no answer: %v", method, target, err)
			}
			return // refused by the client (invalid header, ...)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("%s %q: HTTP %d %.300s", method, target, resp.StatusCode, raw)
		}
		if !legacyRoute(routes, req.URL.Path) {
			return // GraphQL, the Playground, uploads: their own tests
		}
		if resp.StatusCode == http.StatusOK {
			checkEnvelope(t, raw)
		} else if len(raw) > 0 && !json.Valid(raw) {
			t.Fatalf("%s %q: HTTP %d body is not JSON: %.300q", method, target, resp.StatusCode, raw)
		}
	})
}

// fuzzGraphQL flags.
const (
	gqlAuth = 1 << iota // as the fuzzing user
	gqlGET              // send with GET query parameters
	gqlRaw              // send the variables text as the whole body
)

func FuzzGraphQL(f *testing.F) {
	srv := resttest.Start(f)
	u := srv.Onboard("GraphFuzzer")
	create := `mutation($in: EventInput!) { createEvent(input: $in) { message event { eventId } } }`
	f.Add(`mutation($n: String) { updateProfile(input: {nickname: $n, avatar: "x"}) { message } }`, `{"n":"a\u0000b"}`, "", uint8(gqlAuth))
	f.Add(`mutation { updateProfile(input: {nickname: "a\u0000b", avatar: "x"}) { message } }`, ``, "", uint8(gqlAuth))
	f.Add("mutation { updateProfile(input: {nickname: \"a\xffb\", avatar: \"x\"}) { message } }", ``, "", uint8(gqlAuth))
	f.Add(create, `{"in":{"name":"n","eventTime":9223372036854775807,"memberUidList":["`+u.UID+`"]}}`, "", uint8(gqlAuth))
	f.Add(create, `{"in":{"name":"n","eventTime":9223372036854775808,"memberUidList":["`+u.UID+`"]}}`, "", uint8(gqlAuth))
	f.Add(create, `{"in":{"name":"n","eventTime":"9223372036854775808","memberUidList":["\u0000"]}}`, "", uint8(gqlAuth))
	f.Add(`mutation { createEvent(input: {name: "n", eventTime: 9223372036854775808, memberUidList: []}) { message } }`, ``, "", uint8(gqlAuth))
	f.Add(`{ events(first: 2147483648) { edges { cursor } } }`, ``, "", uint8(0))
	f.Add(`query($n: Int) { events(first: $n, after: "\u0000") { edges { cursor } } }`, `{"n":1e400}`, "", uint8(0))
	f.Add(`{ club(clubId: "\u0000") { clubId } }`, ``, "", uint8(gqlAuth|gqlGET))
	f.Add(`query Q($id: ID!) { user(uid: $id) { uid } }`, `{"id":"\ud800"}`, "Q", uint8(gqlAuth))
	f.Add(`{ viewer { uid } }`, `{"query":"{ viewer { uid } }","variables":[1]}`, "", uint8(gqlAuth|gqlRaw))
	f.Add(`{ __schema { types { name fields { name args { name } } } } }`, ``, "", uint8(0))
	f.Add(strings.Repeat("{ a ", 500), ``, "", uint8(0))
	f.Add(`{ viewer { uid } }`, `{"x":{"y":[[[[[[]]]]]]}}`, "\x00", uint8(gqlAuth))

	f.Fuzz(func(t *testing.T, query, variables, operation string, flags uint8) {
		var req *http.Request
		var err error
		switch {
		case flags&gqlRaw != 0:
			req, err = http.NewRequest("POST", srv.URL+"/graphql", strings.NewReader(variables))
			if err == nil {
				req.Header.Set("Content-Type", "application/json")
			}
		case flags&gqlGET != 0:
			q := url.Values{"query": {query}}
			if variables != "" {
				q.Set("variables", variables)
			}
			if operation != "" {
				q.Set("operationName", operation)
			}
			req, err = http.NewRequest("GET", srv.URL+"/graphql?"+q.Encode(), nil)
		default:
			payload := map[string]any{"query": query}
			if json.Valid([]byte(variables)) {
				payload["variables"] = json.RawMessage(variables)
			}
			if operation != "" {
				payload["operationName"] = operation
			}
			b, merr := json.Marshal(payload)
			if merr != nil {
				return
			}
			req, err = http.NewRequest("POST", srv.URL+"/graphql", bytes.NewReader(b))
			if err == nil {
				req.Header.Set("Content-Type", "application/json")
			}
		}
		if err != nil {
			return
		}
		if flags&gqlAuth != 0 {
			req.Header.Set("Authorization", u.AuthorizationHeader())
		}
		resp, err := fuzzClient.Do(req)
		if err != nil {
			t.Fatalf("%q: no answer: %v", query, err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("%q %s: HTTP %d %.300s", query, variables, resp.StatusCode, raw)
		}
		ct := resp.Header.Get("Content-Type")
		if resp.StatusCode == http.StatusOK && !strings.Contains(ct, "json") {
			t.Fatalf("%q: 200 with Content-Type %q", query, ct)
		}
		if strings.Contains(ct, "json") && !json.Valid(raw) {
			t.Fatalf("%q: invalid JSON: %.300q", query, raw)
		}
		if bytes.Contains(raw, []byte(`"INTERNAL"`)) {
			t.Fatalf("%q %s: internal error: %.300s", query, variables, raw)
		}
	})
}
