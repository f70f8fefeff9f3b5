package app_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"chaoqer/app"
	"chaoqer/app/edge"
	"chaoqer/app/health"
	"chaoqer/rest/resttest"
)

// TestProbes checks /livez and /readyz on a whole server: unauthenticated
// and unsigned, every check named, and a broken schema turns readiness off
// naming the schema check.
func TestProbes(t *testing.T) {
	s := resttest.Start(t)
	get := func(path string) (int, map[string]any) {
		t.Helper()
		res, err := http.Get(s.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body map[string]any
		if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return res.StatusCode, body
	}
	if code, body := get("/livez"); code != http.StatusOK || body["status"] != "ok" {
		t.Fatalf("/livez: %d %v", code, body)
	}
	code, body := get("/readyz")
	if code != http.StatusOK || body["status"] != "ok" {
		t.Fatalf("/readyz: %d %v", code, body)
	}
	names := map[string]bool{}
	for _, c := range body["checks"].([]any) {
		m := c.(map[string]any)
		names[m["name"].(string)] = m["status"] == "ok"
	}
	for _, n := range []string{"database", "schema", "room_bus"} {
		if !names[n] {
			t.Errorf("/readyz: check %s missing or failing: %v", n, body)
		}
	}

	// A migration file of this binary not applied: not ready.
	if _, err := s.App.DB.SQL.Exec("DELETE FROM atlas_schema_revisions"); err != nil {
		t.Fatal(err)
	}
	code, body = get("/readyz")
	if code != http.StatusServiceUnavailable {
		t.Fatalf("/readyz with a migration pending: %d %v", code, body)
	}
	if f, _ := body["failing"].([]any); len(f) != 1 || f[0] != "schema" {
		t.Errorf("/readyz failing = %v, want [schema]", body["failing"])
	}
}

// TestProbePathsBypassEdgeUntraced sends each of health.Paths, repeatedly,
// from a client address the edge limits to one request: none is refused
// or rate limited, and none makes a span, while a GraphQL request under
// the same configuration is limited and traced.
func TestProbePathsBypassEdgeUntraced(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	s := resttest.Start(t, func(c *app.Config) {
		c.TracerProvider = tp
		c.Edge.Exempt = nil
		c.Edge.PerAddr = edge.Rate{PerSecond: 0.001, Burst: 1}
	})
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	// get answers the status and the RateLimit-Limit header.
	get := func(path string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, s.URL+path, nil)
		req.Header.Set("traceparent", "00-"+traceID+"-00f067aa0ba902b7-01")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		return res.StatusCode, res.Header.Get("RateLimit-Limit")
	}
	for _, p := range health.Paths() {
		for range 3 {
			if code, limit := get(p); code != http.StatusOK || limit != "" {
				t.Errorf("%s: HTTP %d, RateLimit-Limit %q: went through the edge", p, code, limit)
			}
		}
	}
	// The control: the edge and tracing are on for everything else.
	if code, limit := get("/graphql?query=%7B__typename%7D"); code != http.StatusOK || limit != "1" {
		t.Fatalf("first GraphQL request: HTTP %d, RateLimit-Limit %q", code, limit)
	}
	if code, _ := get("/graphql?query=%7B__typename%7D"); code != http.StatusTooManyRequests {
		t.Fatalf("second GraphQL request: HTTP %d, want 429", code)
	}
	servers := func() (n int) {
		for _, sp := range exp.GetSpans() {
			if sp.SpanKind == trace.SpanKindServer {
				n++
			}
		}
		return n
	}
	waitFor(t, func() bool { return servers() >= 2 })
	for _, sp := range exp.GetSpans() {
		if sp.SpanKind == trace.SpanKindServer && !hasAttr(sp.Attributes, "url.path", "/graphql") {
			t.Errorf("server span %q %v: a probe was traced", sp.Name, sp.Attributes)
		}
	}
	if n := servers(); n != 2 {
		t.Errorf("%d server spans, want the 2 GraphQL requests' only", n)
	}
}

// TestHeadIsGetWithoutContent: every GET route answers HEAD with the GET's
// status and headers and no content (RFC 9110 §9.3.2), probes included; a
// route without GET still refuses HEAD with 405.
func TestHeadIsGetWithoutContent(t *testing.T) {
	s := resttest.Start(t)
	type answer struct {
		status int
		header http.Header
	}
	do := func(method, path string) (answer, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, s.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return answer{res.StatusCode, res.Header}, body
	}
	// path: whether its GET has content (the legacy 401 has none)
	for path, content := range map[string]bool{"/livez": true, "/readyz": true, "/metrics": true, "/graphql": true, "/": true,
		"/user/" + strings.Repeat("a", 32) + "/profile": false} {
		get, getBody := do(http.MethodGet, path)
		head, headBody := do(http.MethodHead, path)
		if head.status != get.status || head.header.Get("Content-Type") != get.header.Get("Content-Type") {
			t.Errorf("HEAD %s: %d %q, GET: %d %q", path, head.status, head.header.Get("Content-Type"),
				get.status, get.header.Get("Content-Type"))
		}
		if len(headBody) != 0 || content != (len(getBody) > 0) {
			t.Errorf("%s: HEAD sent %d bytes, GET %d", path, len(headBody), len(getBody))
		}
	}
	if res, _ := do(http.MethodHead, "/account/login/captcha"); res.status != http.StatusMethodNotAllowed {
		t.Errorf("HEAD on a POST route: %d, want 405", res.status)
	}
}
