package rest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"chaoqer/app"
	"chaoqer/app/edge"
	"chaoqer/graph/errs"
	"chaoqer/graph/gqlws"
	"chaoqer/graph/limits"
	"chaoqer/rest/resttest"
)

// gqlError is the first GraphQL error of r: message and extensions.
func gqlError(t *testing.T, r *resttest.Response) (string, map[string]any) {
	t.Helper()
	list, _ := r.Body["errors"].([]any)
	if len(list) == 0 {
		t.Fatalf("no GraphQL error: HTTP %d %.300s", r.HTTP, r.Raw)
	}
	e := list[0].(map[string]any)
	ext, _ := e["extensions"].(map[string]any)
	msg, _ := e["message"].(string)
	return msg, ext
}

func aliasDocument(n int) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		fmt.Fprintf(&b, "a%d:__typename ", i)
	}
	return b.String() + "}"
}

func TestGraphQLOperationLimits(t *testing.T) {
	srv := resttest.Start(t)
	anon := srv.Anonymous()
	cases := []struct {
		name    string
		query   string
		code    string
		message string
		ext     map[string]any
	}{
		{"token limit", aliasDocument(3000), errs.ExtTokenLimit, "the document has more than 5000 tokens",
			map[string]any{"limit": json.Number("5000")}},
		{"selection limit", "{ viewer { " + strings.Repeat("uid ", 1000) + "} }", errs.ExtSelectionLimit,
			"the operation selects more than 400 fields", map[string]any{"selections": json.Number("1001"), "limit": json.Number("400")}},
		{"cost limit", "{" + strings.Repeat(" roomFeed(first: 100) { edges { node { room { creator { uid } members { uid } } } } }", 5) + "}",
			errs.ExtComplexityLimit, "operation cost 5005 is over the limit of 5000",
			map[string]any{"cost": json.Number("5005"), "limit": json.Number("5000")}},
	}
	for _, tc := range cases {
		r := anon.GraphQL(tc.query, nil)
		// A request error: 200 under application/json (GraphQL over HTTP).
		if r.HTTP != http.StatusOK {
			t.Errorf("%s: want HTTP 200, got %s", tc.name, r)
			continue
		}
		msg, ext := gqlError(t, r)
		if ext["code"] != tc.code || msg != tc.message {
			t.Errorf("%s: got %q %v, want %q %s", tc.name, msg, ext, tc.message, tc.code)
		}
		for k, v := range tc.ext {
			if ext[k] != v {
				t.Errorf("%s: extensions[%s] = %v, want %v", tc.name, k, ext[k], v)
			}
		}
	}
}

func TestBodyLimit(t *testing.T) {
	srv := resttest.Start(t)
	anon := srv.Anonymous()
	big := bytes.Repeat([]byte("x"), 1<<20+1)

	// GraphQL: 413 with a GraphQL error.
	req, _ := http.NewRequest("POST", srv.URL+"/graphql", bytes.NewReader(append([]byte(`{"query":"{ __typename }","x":"`), big...)))
	req.Header.Set("Content-Type", "application/json")
	r := anon.Do(req)
	if r.HTTP != http.StatusRequestEntityTooLarge {
		t.Fatalf("/graphql: want 413, got %d", r.HTTP)
	}
	if msg, ext := gqlError(t, r); ext["code"] != errs.ExtPayloadTooLarge || msg != "request body is over the limit of 1048576 bytes" {
		t.Errorf("/graphql 413: %s", r)
	}

	// Legacy: 413 with the envelope.
	req, _ = http.NewRequest("POST", srv.URL+"/account/captcha", bytes.NewReader(big))
	req.Header.Set("Content-Type", "application/json")
	r = anon.Do(req)
	if r.HTTP != http.StatusRequestEntityTooLarge || r.Status() != 0 || r.Message() != "请求内容过大" || r.ErrorCode() != 0 {
		t.Errorf("legacy 413: %s", r)
	}

	// An invalid JSON body under the limit is not echoed back.
	req, _ = http.NewRequest("POST", srv.URL+"/graphql", bytes.NewReader(append([]byte("{not json "), big[:500_000]...)))
	req.Header.Set("Content-Type", "application/json")
	r = anon.Do(req)
	if msg, _ := gqlError(t, r); r.HTTP >= 500 || len(msg) > 210 {
		t.Errorf("invalid JSON: HTTP %d, message of %d bytes", r.HTTP, len(msg))
	}
}

// TestBodyLimitIsTheEdges raises CHAOQER_MAX_BODY_BYTES to 2 MiB: a legacy
// body of 1.5 MiB gets its normal answer (the legacy routes have no limit
// of their own), and one over 2 MiB the edge's 413 in the legacy envelope.
func TestBodyLimitIsTheEdges(t *testing.T) {
	const limit = 2 << 20
	srv := resttest.Start(t, func(c *app.Config) { c.Edge.MaxBodyBytes = limit })
	a := srv.Onboard("Alice")
	pad := strings.Repeat("x", 1536<<10)

	res := obj(t, a.Put("/user/profile", P{"nickname": "Alice", "avatar": "https://cdn.example.com/a.jpg", "bio": "hi", "pad": pad}).MustOK(t))
	if res["bio"] != "hi" {
		t.Fatalf("1.5 MiB body: %v", res)
	}
	// The body is read whole: a 1.5 MiB bio gets the validation answer.
	a.Put("/user/profile", P{"nickname": "Alice", "avatar": "x", "bio": pad}).MustFail(t, "介绍不能超过1000个字", 0)

	r := a.Put("/user/profile", P{"nickname": "Alice", "avatar": "x", "pad": pad + pad})
	if r.HTTP != http.StatusRequestEntityTooLarge || r.Status() != 0 || r.Message() != "请求内容过大" || r.ErrorCode() != 0 {
		t.Errorf("legacy body over the limit: %s", r)
	}
	r = a.GraphQL("{ __typename }", map[string]any{"pad": pad + pad})
	if msg, ext := gqlError(t, r); r.HTTP != http.StatusRequestEntityTooLarge || ext["code"] != errs.ExtPayloadTooLarge ||
		ext["limit"] != json.Number(fmt.Sprint(limit)) || msg != fmt.Sprintf("request body is over the limit of %d bytes", limit) {
		t.Errorf("GraphQL body over the limit: %s", r)
	}
}

func TestRateLimits(t *testing.T) {
	srv := resttest.Start(t, func(c *app.Config) {
		c.Edge.Exempt = nil
		c.Edge.PerAddr = edge.Rate{PerSecond: 0.01, Burst: 3}
	})
	anon := srv.Anonymous()
	for i := range 3 {
		r := anon.GraphQL("{ __typename }", nil)
		if r.HTTP != 200 || r.Headers.Get("RateLimit-Limit") != "3" || r.Headers.Get("RateLimit-Remaining") != fmt.Sprint(2-i) {
			t.Fatalf("request %d: %s %v", i, r, r.Headers)
		}
	}
	r := anon.GraphQL("{ __typename }", nil)
	if r.HTTP != http.StatusTooManyRequests || r.Headers.Get("Retry-After") != "100" || r.Headers.Get("RateLimit-Remaining") != "0" ||
		r.Headers.Get("RateLimit-Reset") != "300" {
		t.Fatalf("GraphQL 429: %s %v", r, r.Headers)
	}
	if msg, ext := gqlError(t, r); ext["code"] != errs.ExtRateLimited || msg != "too many requests; retry after 100 s" {
		t.Errorf("GraphQL 429: %s", r)
	}
	r = anon.Get("/app/version/upgrade", nil)
	if r.HTTP != http.StatusTooManyRequests || r.Status() != 0 || r.ErrorCode() != 0 || r.Message() != "请求太频繁，请稍后重试" ||
		r.Headers.Get("Retry-After") == "" {
		t.Fatalf("legacy 429: %s %v", r, r.Headers)
	}
}

func TestRateLimitPerUID(t *testing.T) {
	srv := resttest.Start(t, func(c *app.Config) {
		c.Edge.Exempt = nil
		c.Edge.PerUID = edge.Rate{PerSecond: 0.01, Burst: 4}
	})
	a := srv.Login() // one request: the login
	for range 4 {
		if r := a.GraphQL("{ viewer { uid } }", nil); r.HTTP != 200 {
			t.Fatalf("under the limit: %s", r)
		}
	}
	r := a.GraphQL("{ viewer { uid } }", nil)
	if r.HTTP != http.StatusTooManyRequests || r.Headers.Get("RateLimit-Limit") != "4" {
		t.Fatalf("per uid: %s %v", r, r.Headers)
	}
	// The legacy routes share the uid's bucket.
	if r := a.Get("/user/message/unread_total", nil); r.HTTP != http.StatusTooManyRequests || r.Message() != "请求太频繁，请稍后重试" {
		t.Fatalf("legacy per uid: %s", r)
	}
	// The same address, anonymous, still passes.
	if r := srv.Anonymous().GraphQL("{ __typename }", nil); r.HTTP != 200 {
		t.Fatalf("anonymous after the uid's limit: %s", r)
	}
}

func TestTrustedProxyAddress(t *testing.T) {
	srv := resttest.Start(t, func(c *app.Config) {
		c.Edge.Exempt = []netip.Prefix{netip.MustParsePrefix("10.9.9.9/32")}
		c.Edge.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
		c.Edge.PerAddr = edge.Rate{PerSecond: 0.01, Burst: 1}
	})
	from := func(xff string) *resttest.Response {
		c := srv.Anonymous()
		c.Headers = map[string]string{"X-Forwarded-For": xff}
		return c.GraphQL("{ __typename }", nil)
	}
	if r := from("203.0.113.1"); r.HTTP != 200 {
		t.Fatal(r)
	}
	if r := from("203.0.113.1"); r.HTTP != 429 {
		t.Fatalf("same forwarded client: %s", r)
	}
	if r := from("203.0.113.2"); r.HTTP != 200 {
		t.Fatalf("another forwarded client: %s", r)
	}
	// A spoofed left-most entry does not change the address the proxy saw.
	if r := from("10.9.9.9, 203.0.113.1"); r.HTTP != 429 {
		t.Fatalf("spoofed X-Forwarded-For: %s", r)
	}
}

func TestProductionDefaults(t *testing.T) {
	srv := resttest.Start(t, func(c *app.Config) {
		c.Dev = false
		c.Introspection = false
		c.AdminUIDs = []string{"operator"}
		c.CORSOrigins = []string{"https://h5.example.com"}
		c.GraphQL = limits.Defaults()
	})
	anon := srv.Anonymous()
	r := anon.GraphQL("{ __schema { queryType { name } } }", nil)
	if msg, ext := gqlError(t, r); r.HTTP != 200 || ext["code"] != errs.ExtIntrospectionDisabled || msg != "introspection is disabled on this server" {
		t.Errorf("introspection: %s", r)
	}
	for origin, want := range map[string]string{"https://h5.example.com": "https://h5.example.com", "https://evil.example": "", "null": ""} {
		c := srv.Anonymous()
		c.Headers = map[string]string{"Origin": origin}
		r := c.Get("/app/version/upgrade", nil)
		if got := r.Headers.Get("Access-Control-Allow-Origin"); got != want {
			t.Errorf("Origin %s: Allow-Origin %q, want %q", origin, got, want)
		}
		if cred := r.Headers.Get("Access-Control-Allow-Credentials"); (cred == "true") != (want != "") {
			t.Errorf("Origin %s: Allow-Credentials %q", origin, cred)
		}
	}
}

// TestOperationDeadline: an operation still running at its deadline stops
// within a field and answers an error, well within a second of it.
func TestOperationDeadline(t *testing.T) {
	const deadline = 300 * time.Millisecond
	srv := resttest.Start(t, func(c *app.Config) {
		c.Edge.OperationTimeout = deadline
		c.GraphQL = limits.Config{Introspection: true} // no size or cost limits: a long operation
	})
	var q strings.Builder
	q.WriteString("{")
	for i := range 1500 {
		fmt.Fprintf(&q, " s%d: __schema { types { name fields { name args { name type { name } } type { name kind ofType { name kind } } } } }", i)
	}
	q.WriteString("}")
	start := time.Now()
	r := srv.Anonymous().GraphQL(q.String(), nil)
	took := time.Since(start)
	t.Logf("answered in %v: HTTP %d, %d bytes", took, r.HTTP, len(r.Raw))
	if took > deadline+time.Second {
		t.Errorf("answered %v after the %v deadline", took-deadline, deadline)
	}
	msg, ext := gqlError(t, r)
	if msg != "request canceled" || ext["code"] != "UNAVAILABLE" {
		t.Errorf("error: %q %v", msg, ext)
	}
	if list, _ := r.Body["errors"].([]any); len(list) > 20 {
		t.Errorf("%d errors, want at most 20", len(list))
	}
}

// TestSessionLoadStuckBehindALock: when the session cannot be read (its
// table locked by a migration, say), an authenticated request answers
// "request canceled" at the operation deadline, on both APIs, instead of
// waiting for the lock; once the lock goes, requests pass again. SQLite
// readers are not blocked by a writer, so this runs on PostgreSQL.
func TestSessionLoadStuckBehindALock(t *testing.T) {
	const deadline = 300 * time.Millisecond
	srv := resttest.Start(t, func(c *app.Config) {
		c.Edge.OperationTimeout = deadline
		c.SessionCacheTTL = time.Nanosecond // every request reads its session
		c.Edge.Exempt = nil                 // the edge checks the session too (per-uid rate)
	})
	if !srv.App.DB.IsPostgres() {
		t.Skip("PostgreSQL only: SQLite readers are not blocked by a lock")
	}
	a := srv.Onboard("Alice")
	ctx := context.Background()
	tx, err := srv.App.DB.SQL.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tx.Rollback() }) // a failed check must not leave the lock held
	if _, err := tx.ExecContext(ctx, "LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r := a.GraphQL(`{ viewer { uid } }`, nil)
	if msg, ext := gqlError(t, r); r.HTTP != http.StatusServiceUnavailable || msg != "request canceled" || ext["code"] != "UNAVAILABLE" {
		t.Errorf("GraphQL with the sessions locked: %s", r)
	}
	if r := a.Get("/user/message/unread_total", nil); r.HTTP != http.StatusServiceUnavailable {
		t.Errorf("legacy route with the sessions locked: HTTP %d", r.HTTP)
	}
	// Each at its deadline, not at the end of the shared load (10 s).
	if took := time.Since(start); took > 2*deadline+4*time.Second {
		t.Errorf("two requests answered in %v, want about %v", took, 2*deadline)
	}
	// A GraphQL WebSocket whose connection_init carries the credentials
	// is closed with 1013 Try Again Later at the deadline.
	start = time.Now()
	s := dialGraphQL(t, srv, "graphql-transport-ws", nil)
	s.send("connection_init", "", map[string]any{"Authorization": a.AuthorizationHeader()})
	s.closed(gqlws.CloseTryAgainLater)
	if took := time.Since(start); took > deadline+4*time.Second {
		t.Errorf("socket closed after %v, want about %v", took, deadline)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if r := a.GraphQL(`{ viewer { uid } }`, nil); r.HTTP != 200 || r.Body["errors"] != nil {
		t.Fatalf("after the lock: %s", r)
	}
}
