package rest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"chaoqer/rest/resttest"
)

// TestGraphQLAuthenticationErrorShape pins that every authentication
// failure on /graphql is a GraphQL error with extensions.code
// UNAUTHENTICATED: a missing login and an invalid Authorization header
// alike (the latter with HTTP 401 and no data entry).
func TestGraphQLAuthenticationErrorShape(t *testing.T) {
	srv := resttest.Start(t)
	for _, accept := range []string{"", "application/json", "application/graphql-response+json"} {
		for _, header := range []string{"Basic nope", "Basic " + strings.Repeat("A", 40), "Bearer x"} {
			bad := srv.Anonymous()
			bad.Headers = map[string]string{"Authorization": header}
			if accept != "" {
				bad.Headers["Accept"] = accept
			}
			r := bad.GraphQL(`{ viewer { uid } }`, nil)
			msg, ext := gqlErr(t, r)
			if r.HTTP != http.StatusUnauthorized || ext["code"] != "UNAUTHENTICATED" || msg == "" {
				t.Fatalf("Authorization %q: %s", header, r)
			}
			if _, ok := r.Body["data"]; ok {
				t.Fatalf("a request that did not run has a data entry: %s", r)
			}
			want := "application/json"
			if accept == "application/graphql-response+json" {
				want = accept
			}
			if ct := r.Headers.Get("Content-Type"); !strings.HasPrefix(ct, want) {
				t.Fatalf("Accept %q: Content-Type %q", accept, ct)
			}
		}
	}
	_, ext := gqlErr(t, srv.Anonymous().GraphQL(`{ viewer { uid } }`, nil))
	if ext["code"] != "UNAUTHENTICATED" {
		t.Fatalf("missing login: %v", ext)
	}
	odd := srv.Anonymous()
	odd.Headers = map[string]string{"Version-Code": "abc"}
	if r := odd.GraphQL(`{ __typename }`, nil); r.HTTP != http.StatusBadRequest {
		t.Fatalf("malformed Version-Code: %s", r)
	} else if _, ext := gqlErr(t, r); ext["code"] != "BAD_REQUEST" {
		t.Fatalf("malformed Version-Code: %s", r)
	}
}

// TestGraphQLRequestErrorsOverHTTP pins GraphQL over HTTP for requests that
// never run: 200 under Accept: application/json, 400 under
// application/graphql-response+json, and no data entry in either.
func TestGraphQLRequestErrorsOverHTTP(t *testing.T) {
	srv := resttest.Start(t)
	a := srv.Onboard("Alice")
	docs := map[string]string{"parse": `{ viewer { `, "validation": `{ viewer { nope } }`}
	for kind, doc := range docs {
		for accept, status := range map[string]int{"application/json": 200, "application/graphql-response+json": 400} {
			a.Headers = map[string]string{"Accept": accept}
			r := a.GraphQL(doc, nil)
			if r.HTTP != status {
				t.Errorf("%s error under %s: %s", kind, accept, r)
			}
			if _, ext := gqlErr(t, r); ext["code"] == "INTERNAL" {
				t.Errorf("%s error presented as internal: %v", kind, ext)
			}
			if _, ok := r.Body["data"]; ok {
				t.Errorf("%s error under %s has a data entry: %s", kind, accept, r)
			}
		}
	}
	// GET answers alike.
	for accept, status := range map[string]int{"application/json": 200, "application/graphql-response+json": 400} {
		req, _ := http.NewRequest("GET", srv.URL+"/graphql?query="+url.QueryEscape(`{ viewer { nope } }`), nil)
		a.Headers = map[string]string{"Accept": accept}
		r := a.Do(req)
		if _, ok := r.Body["data"]; r.HTTP != status || ok || r.Body["errors"] == nil {
			t.Errorf("GET validation error under %s: %s", accept, r)
		}
	}
	// GET with undecodable variables or extensions: 400 BAD_REQUEST, no data.
	a.Headers = nil
	for _, q := range []string{"variables=notjson", "variables=%5B1%5D", "extensions=%7B"} {
		req, _ := http.NewRequest("GET", srv.URL+"/graphql?query="+url.QueryEscape(`{ __typename }`)+"&"+q, nil)
		r := a.Do(req)
		_, ext := gqlErr(t, r)
		if _, ok := r.Body["data"]; r.HTTP != 400 || ok || ext["code"] != "BAD_REQUEST" {
			t.Errorf("GET %s: %s", q, r)
		}
	}
	// Several operations: the one to run is named, or the request says so.
	two := `query A { __typename } query B { viewer { uid } }`
	if msg, ext := gqlErr(t, a.GraphQL(two, nil)); msg != "operationName is required: the document defines several operations" ||
		ext["code"] != "GRAPHQL_VALIDATION_FAILED" {
		t.Errorf("several operations without operationName: %q %v", msg, ext)
	}
	body, _ := json.Marshal(map[string]any{"query": two, "operationName": "C"})
	req, _ := http.NewRequest("POST", srv.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if msg, _ := gqlErr(t, a.Do(req)); msg != "operation C not found" {
		t.Errorf("unknown operationName: %q", msg)
	}
	// A request that ran keeps its data entry, null or not.
	if r := a.GraphQL(`{ user(uid: "`+strings.Repeat("0", 32)+`") { uid } }`, nil); r.HTTP != 200 || !strings.Contains(string(r.Raw), `"data":`) {
		t.Fatalf("executed request: %s", r)
	}
}

// TestGraphQLMalformedRequestsOverHTTP: a request /graphql cannot take is a
// 4xx with a coded GraphQL error and no data entry: a body in another media
// type (415 UNSUPPORTED_MEDIA_TYPE), a body that is not a JSON object or not
// a GraphQL request (400 BAD_REQUEST, naming no Go type and quoting nothing
// back), a mutation over GET (405 METHOD_NOT_ALLOWED with Allow).
func TestGraphQLMalformedRequestsOverHTTP(t *testing.T) {
	srv := resttest.Start(t)
	a := srv.Anonymous()
	post := func(contentType, body string) *resttest.Response {
		req, _ := http.NewRequest("POST", srv.URL+"/graphql", strings.NewReader(body))
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		return a.Do(req)
	}
	check := func(name string, r *resttest.Response, status int, code string) {
		t.Helper()
		_, ext := gqlErr(t, r)
		if _, ok := r.Body["data"]; r.HTTP != status || ok || ext["code"] != code {
			t.Errorf("%s: %s, want %d %s", name, r, status, code)
		}
		if strings.Contains(string(r.Raw), "Go ") || strings.Contains(string(r.Raw), "secret-body-text") {
			t.Errorf("%s: the error names Go types or quotes the body: %s", name, r.Raw)
		}
	}
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "application/graphql", "multipart/form-data; boundary=x", ""} {
		check("Content-Type "+ct, post(ct, `{"query":"{ __typename }"}`), http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE")
	}
	for _, body := range []string{"null", `[{"query":"{ __typename }"}]`, `"secret-body-text"`, "5", "", "  "} {
		check("body "+body, post("application/json", body), http.StatusBadRequest, "BAD_REQUEST")
	}
	for _, body := range []string{`{"query":5}`, `{"query":"{ __typename }","variables":[1]}`, `{"query":"secret-body-text`,
		`{"query":"{ __typename }"} xx`, `{"query":"{ __typename }"}{"query":"{ __typename }"}`, `{"query":"{ __typename }"},`} {
		check("body "+body, post("application/json", body), http.StatusBadRequest, "BAD_REQUEST")
	}
	req, _ := http.NewRequest("GET", srv.URL+"/graphql?query="+url.QueryEscape(`mutation { logout { message } }`), nil)
	r := a.Do(req)
	check("GET mutation", r, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED")
	if allow := r.Headers.Get("Allow"); !strings.Contains(allow, "POST") {
		t.Errorf("GET mutation: Allow %q", allow)
	}
	if r := post("application/json", `{"query":"{ __typename }"}`); r.HTTP != 200 || !strings.Contains(string(r.Raw), `"__typename":"Query"`) {
		t.Errorf("a well-formed request: %s", r)
	}
}

// TestMutationPayloadsReadAfterWrite pins that a mutation's payload shows
// the state after its write even when an earlier field of the same
// document loaded the object (the request's loader cache).
func TestMutationPayloadsReadAfterWrite(t *testing.T) {
	srv := resttest.Start(t)
	a, b := srv.Onboard("Alice"), srv.Onboard("Bob")
	d := gqlData(t, a.GraphQL(`mutation($u: ID!) {
		block: blockUser(uid: $u) { user { viewerHasBlocked } }
		unblock: unblockUser(uid: $u) { user { viewerHasBlocked } }
		card: sendCard(uid: $u) { user { viewerSentCard cardTotal } }
	}`, map[string]any{"u": b.UID}))
	if u := obj(t, obj(t, d["block"])["user"]); u["viewerHasBlocked"] != true {
		t.Fatalf("block payload: %v", u)
	}
	if u := obj(t, obj(t, d["unblock"])["user"]); u["viewerHasBlocked"] != false {
		t.Fatalf("unblock payload after block in the same document: %v", u)
	}
	if u := obj(t, obj(t, d["card"])["user"]); u["viewerSentCard"] != true || num(u["cardTotal"]) != "1" {
		t.Fatalf("card payload after loading the user: %v", u)
	}

	d = gqlData(t, a.GraphQL(`mutation {
		one: createClub(input: {name: "one", cover: "c"}) { club { creator { nickname } } }
		rename: updateProfile(input: {nickname: "Alicia", avatar: "https://cdn.example.com/a.jpg"}) { user { nickname } }
		two: createClub(input: {name: "two", cover: "c"}) { club { clubId memberTotal creator { nickname } } }
	}`, nil))
	if n := obj(t, obj(t, obj(t, d["one"])["club"])["creator"])["nickname"]; n != "Alice" {
		t.Fatalf("first creator: %v", n)
	}
	two := obj(t, obj(t, d["two"])["club"])
	if n := obj(t, two["creator"])["nickname"]; n != "Alicia" {
		t.Fatalf("creator after a rename in the same document: %v", n)
	}
	d = gqlData(t, b.GraphQL(`mutation($c: ID!) { join: joinClub(clubId: $c) { club { memberTotal viewerHasJoined } } }`,
		map[string]any{"c": two["clubId"]}))
	if c := obj(t, obj(t, d["join"])["club"]); num(c["memberTotal"]) != "2" || c["viewerHasJoined"] != true {
		t.Fatalf("join payload: %v", c)
	}
}

// An operation's answer goes out with its length, not chunked, small or
// large (the response is complete before it is written).
func TestGraphQLResponseHasContentLength(t *testing.T) {
	srv := resttest.Start(t)
	var many strings.Builder // about 6 KB of answer: past net/http's 4 KB write buffer
	for i := range 350 {
		fmt.Fprintf(&many, " alias%03d: __typename", i)
	}
	for _, q := range []string{`{ __typename }`, "{" + many.String() + " }"} {
		body, _ := json.Marshal(map[string]string{"query": q})
		resp, err := http.Post(srv.URL+"/graphql", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		raw, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK || bytes.Contains(raw, []byte(`"errors"`)) ||
			resp.ContentLength != int64(len(raw)) || len(resp.TransferEncoding) != 0 {
			t.Fatalf("%d-byte query: status %d, Content-Length %d for %d bytes, Transfer-Encoding %v: %.200s",
				len(q), resp.StatusCode, resp.ContentLength, len(raw), resp.TransferEncoding, raw)
		}
	}
}

// The edge's refusals of a /graphql request (a body that is not UTF-8)
// are written as the endpoint writes its own request errors (a body with
// bytes after its JSON object): message, then extensions with the code and
// errorCode 0, on one line.
func TestGraphQLEdgeErrorsShapedAsTheEndpoints(t *testing.T) {
	srv := resttest.Start(t)
	a := srv.Anonymous()
	shape := func(r *resttest.Response) string {
		raw := string(r.Raw)
		i, j := strings.Index(raw, `"message":"`), strings.Index(raw, `","extensions"`)
		if i < 0 || j < i {
			return raw
		}
		return raw[:i] + `"message":…` + raw[j+1:]
	}
	edge := a.SendRaw(resttest.Raw{Method: "POST", Path: "/graphql", ContentType: "application/json", Body: []byte("{\"query\":\"{ __typename \xff }\"}")})
	own := a.SendRaw(resttest.Raw{Method: "POST", Path: "/graphql", ContentType: "application/json", Body: []byte(`{"query":"{ __typename }"} x`)})
	want := `{"errors":[{"message":…,"extensions":{"code":"BAD_REQUEST","errorCode":0}}]}` + "\n"
	if edge.HTTP != 400 || own.HTTP != 400 || shape(edge) != want || shape(own) != want {
		t.Fatalf("edge %d %q, endpoint %d %q, want both %q", edge.HTTP, edge.Raw, own.HTTP, own.Raw, want)
	}
}
