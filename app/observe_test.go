package app_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"chaoqer/app"
	"chaoqer/app/edge"
	"chaoqer/app/observe"
	"chaoqer/graph/ids"
	"chaoqer/rest/resttest"
)

// scrape reads a Prometheus text exposition into "name{labels}" -> value.
func scrape(t *testing.T, addr string) map[string]float64 {
	t.Helper()
	res, err := http.Get(addr) //nolint:gosec // G107: the test's own metrics listener
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", addr, res.StatusCode)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

// present fails unless some series starts with prefix.
func present(t *testing.T, m map[string]float64, prefix string) {
	t.Helper()
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			return
		}
	}
	t.Errorf("no series %s", prefix)
}

func wsURL(u string) string { return "ws" + strings.TrimPrefix(u, "http") }

// TestMetrics drives a legacy call, GraphQL operations (known, unknown,
// invalid) and a GraphQL socket, then checks that each family moved.
func TestMetrics(t *testing.T) {
	s := resttest.Start(t)
	before := scrape(t, s.URL+"/metrics")
	c := s.Onboard("metrics")
	c.Get("/user/"+c.UID+"/profile", nil).MustOK(t)
	if r := c.GraphQL(`query NotARestOperation { __typename }`, nil); r.HTTP != http.StatusOK {
		t.Fatalf("graphql: %s", r)
	}
	if r := c.GraphQL(`{ noSuchField }`, nil); r.HTTP == http.StatusOK && !strings.Contains(string(r.Raw), "GRAPHQL_VALIDATION_FAILED") {
		t.Fatalf("invalid query: %s", r)
	}

	ctx := context.Background()
	conn, _, err := websocket.Dial(ctx, wsURL(s.URL)+"/graphql", &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.Write(ctx, websocket.MessageText, []byte(`{"type":"connection_init","payload":{}}`))
	if _, b, err := conn.Read(ctx); err != nil || !strings.Contains(string(b), "connection_ack") {
		t.Fatalf("ack: %s %v", b, err)
	}
	during := scrape(t, s.URL+"/metrics")
	if got := during[`chaoqer_websocket_connections_open{kind="graphql"}`] - before[`chaoqer_websocket_connections_open{kind="graphql"}`]; got != 1 {
		t.Errorf("open graphql sockets moved by %v, want 1", got)
	}
	conn.Close(websocket.StatusNormalClosure, "")

	after := scrape(t, s.URL+"/metrics")
	moved := func(series string) {
		t.Helper()
		if after[series] <= before[series] {
			t.Errorf("%s did not move: %v -> %v", series, before[series], after[series])
		}
	}
	moved(`chaoqer_http_request_duration_seconds_count{method="GET",route="/user/:uid/profile",status="200"}`)
	moved(`chaoqer_http_request_duration_seconds_count{method="POST",route="graphql",status="200"}`)
	moved(`chaoqer_http_request_sql_statements_count{route="/user/:uid/profile"}`)
	moved(`chaoqer_http_request_sql_statements_sum{route="/user/:uid/profile"}`)
	moved(`chaoqer_graphql_operations_total{operation="UserProfile",type="query"}`)
	moved(`chaoqer_graphql_operations_total{operation="InitProfile",type="mutation"}`)
	moved(`chaoqer_graphql_operations_total{operation="other",type="query"}`)
	moved(`chaoqer_graphql_errors_total{code="GRAPHQL_VALIDATION_FAILED"}`)
	moved(`chaoqer_websocket_connections_total{kind="graphql"}`)
	moved(`chaoqer_sql_statements_total`)
	for k := range after {
		if strings.Contains(k, "NotARestOperation") || strings.Contains(k, c.UID) {
			t.Errorf("unbounded label value in %s", k)
		}
	}
	for _, p := range []string{"chaoqer_build_info{", "go_goroutines", "process_cpu_seconds_total", "go_sql_open_connections{db_name=\"chaoqer\"}",
		"chaoqer_push_queue_depth", "chaoqer_push_dropped_total", "chaoqer_rooms_open", "chaoqer_room_connections_open",
		"chaoqer_graphql_subscriptions_active", "chaoqer_graphql_operation_duration_seconds_bucket"} {
		present(t, after, p)
	}
	// The socket's whole life is one observation of its own route.
	waitFor(t, func() bool {
		return scrape(t, s.URL+"/metrics")[`chaoqer_http_request_duration_seconds_count{method="GET",route="websocket:graphql",status="101"}`] >
			before[`chaoqer_http_request_duration_seconds_count{method="GET",route="websocket:graphql",status="101"}`]
	})
}

// TestMetricsOwnListener: with CHAOQER_METRICS_ADDR the main listener has
// no /metrics.
func TestMetricsOwnListener(t *testing.T) {
	s := resttest.Start(t, func(c *app.Config) { c.MetricsAddr = "127.0.0.1:0" })
	res, err := http.Get(s.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("main listener /metrics: %d, want 404", res.StatusCode)
	}
	present(t, scrape(t, "http://"+s.App.MetricsAddr+"/metrics"), "chaoqer_sql_statements_total")
}

// waitFor polls cond for up to 5 s (work that finishes just after the
// response, such as ending the server span).
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestTraceOfALegacyRequest shows one legacy call as HTTP -> GraphQL
// operation -> SQL spans in the caller's trace (W3C traceparent), with the
// request id on the server span.
func TestTraceOfALegacyRequest(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	s := resttest.Start(t, func(c *app.Config) { c.TracerProvider = tp })
	c := s.Onboard("tracer")
	exp.Reset()

	const traceID, parentID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	c.Headers = map[string]string{"traceparent": "00-" + traceID + "-" + parentID + "-01", "X-Request-Id": "trace-test-1"}
	r := c.Get("/user/"+c.UID+"/profile", nil)
	r.MustOK(t)
	if got := r.Headers.Get("X-Request-Id"); got != "trace-test-1" {
		t.Errorf("X-Request-Id echoed as %q", got)
	}

	var server tracetest.SpanStub
	waitFor(t, func() bool {
		for _, sp := range exp.GetSpans() {
			if sp.SpanKind == trace.SpanKindServer {
				server = sp
				return true
			}
		}
		return false
	})
	// Background work (activity updates, presence jobs) makes traces of its
	// own; the request's spans are those of the caller's trace.
	var spans tracetest.SpanStubs
	byID := map[trace.SpanID]tracetest.SpanStub{}
	for _, sp := range exp.GetSpans() {
		if sp.SpanContext.TraceID().String() == traceID {
			spans = append(spans, sp)
			byID[sp.SpanContext.SpanID()] = sp
		}
	}
	if server.SpanContext.TraceID().String() != traceID {
		t.Errorf("server span in trace %s, want the caller's %s", server.SpanContext.TraceID(), traceID)
	}
	if server.Name != "GET /user/:uid/profile" || server.Parent.SpanID().String() != parentID || !server.Parent.IsRemote() {
		t.Errorf("server span %q, parent %s", server.Name, server.Parent.SpanID())
	}
	if !hasAttr(server.Attributes, "http.request.id", "trace-test-1") || !hasAttr(server.Attributes, "http.route", "/user/:uid/profile") {
		t.Errorf("server span attributes: %v", server.Attributes)
	}
	var op tracetest.SpanStub
	for _, sp := range spans {
		if sp.Name == "query UserProfile" {
			op = sp
		}
	}
	if op.Name == "" || op.Parent.SpanID() != server.SpanContext.SpanID() {
		t.Fatalf("no operation span under the server span; spans: %v", names(spans))
	}
	if !hasAttr(op.Attributes, "graphql.operation.name", "UserProfile") || !hasAttr(op.Attributes, "graphql.operation.type", "query") {
		t.Errorf("operation span attributes: %v", op.Attributes)
	}
	sqlUnderOp := 0
	for _, sp := range spans {
		if !strings.HasPrefix(sp.Name, "sql.") {
			continue
		}
		for p := sp.Parent.SpanID(); p.IsValid(); p = byID[p].Parent.SpanID() {
			if p == op.SpanContext.SpanID() {
				sqlUnderOp++
				break
			}
		}
	}
	if sqlUnderOp == 0 {
		t.Errorf("no SQL span under the operation span; spans: %v", names(spans))
	}
}

// askedSampler samples nothing and remembers the name of every span it
// was asked about.
type askedSampler struct {
	mu    sync.Mutex
	asked []sdktrace.SamplingParameters
}

func (s *askedSampler) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	s.mu.Lock()
	s.asked = append(s.asked, p)
	s.mu.Unlock()
	return sdktrace.SamplingResult{Decision: sdktrace.Drop, Tracestate: trace.SpanContextFromContext(p.ParentContext).TraceState()}
}

func (s *askedSampler) Description() string { return "askedSampler" }

// inTraceOf lists the spans asked about in the trace of the last server
// span ("GET"); background jobs ask about traces of their own.
func (s *askedSampler) inTraceOf() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var id trace.TraceID
	for _, p := range s.asked {
		if p.Name == "GET" {
			id = p.TraceID
		}
	}
	var names []string
	for _, p := range s.asked {
		if p.TraceID == id {
			names = append(names, p.Name)
		}
	}
	return names
}

// TestUnsampledRequestStartsOneSpan: in a trace whose sampling decision is
// "drop" (the caller's traceparent flags 00, or the sampler's own decision
// for the server span), the operation and its SQL statements start no span
// of their own: the sampler is consulted once per request, for the server
// span.
func TestUnsampledRequestStartsOneSpan(t *testing.T) {
	sampler := &askedSampler{}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sampler))
	s := resttest.Start(t, func(c *app.Config) { c.TracerProvider = tp })
	c := s.Onboard("unsampled")
	for _, flags := range []string{"", "00"} {
		if flags != "" {
			c.Headers = map[string]string{"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-" + flags}
		}
		c.Get("/user/"+c.UID+"/profile", nil).MustOK(t)
		if got := sampler.inTraceOf(); len(got) != 1 || got[0] != "GET" {
			t.Errorf("traceparent flags %q: sampler asked about %q, want only the server span", flags, got)
		}
	}
}

func hasAttr(attrs []attribute.KeyValue, key, value string) bool {
	for _, a := range attrs {
		if string(a.Key) == key && a.Value.String() == value {
			return true
		}
	}
	return false
}

func names(spans tracetest.SpanStubs) []string {
	var out []string
	for _, sp := range spans {
		out = append(out, sp.Name)
	}
	return out
}

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestLogs runs a whole session — an SMS captcha through a fake Aliyun,
// login with it, profile set-up, signed calls, GraphQL with Authorization,
// a bad Authorization — with JSON debug logs, then checks: one access line
// per request with its fields, the request id on every line logged for a
// request, and no token, secret, captcha code or Authorization value in
// any line.
func TestLogs(t *testing.T) {
	codes := make(chan string, 1)
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		var p struct{ Code string }
		_ = json.Unmarshal([]byte(r.Form.Get("TemplateParam")), &p)
		codes <- p.Code
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"Code":"OK","Message":"OK","BizId":"biz-1","RequestId":"aliyun-req-1"}`)
	}))
	defer fake.Close()

	var sink syncBuffer
	log, err := observe.NewLogger(&sink, "json", slog.LevelDebug)
	if err != nil {
		t.Fatal(err)
	}
	const smsSecret = "sms-access-key-secret-value" //nolint:gosec // G101: a fake secret the test keeps out of the logs
	s := resttest.StartLogged(t, log, func(c *app.Config) {
		c.SMS = app.SMSConfig{AccessKeyID: "LTAItest", AccessKeySecret: smsSecret, SignName: "超圈",
			TemplateCode: "SMS_1", Endpoint: fake.URL}
	})
	startup := len(sink.String())

	anon := s.Anonymous()
	mobile := "1391234" + fmt.Sprintf("%04d", time.Now().Nanosecond()%10000)
	anon.Post("/account/captcha", resttest.P{"countryCode": "86", "mobile": mobile}).MustOK(t)
	var code string
	select {
	case code = <-codes:
	case <-time.After(10 * time.Second):
		t.Fatal("no SMS sent")
	}
	res := anon.Post("/account/login/captcha", resttest.P{"countryCode": "86", "mobile": mobile, "captcha": code}).MustOK(t).(map[string]any)
	c := s.Anonymous()
	c.UID, c.Token, c.Secret = res["uid"].(string), res["accessToken"].(string), res["accessSecret"].(string)
	c.Post("/user/profile/init", resttest.P{"nickname": "logger", "avatar": "https://cdn.example.com/a.jpg"}).MustOK(t)
	c.Get("/user/"+c.UID+"/profile", nil).MustOK(t)
	c.Headers = map[string]string{"X-Request-Id": "client-id-42"}
	if r := c.GraphQL(`query Me { __typename }`, nil); r.HTTP != 200 {
		t.Fatalf("graphql: %s", r)
	}
	c.Headers = map[string]string{"X-Request-Id": "bad id with spaces"}
	r := c.Get("/user/"+c.UID+"/profile", nil)
	if id := r.Headers.Get("X-Request-Id"); id == "" || strings.Contains(id, " ") {
		t.Errorf("an insane X-Request-Id must be replaced, got %q", id)
	}
	bad := s.Anonymous()
	bad.Headers = map[string]string{"Authorization": "Basic " + ids.New()}
	if r := bad.Get("/user/"+c.UID+"/profile", nil); r.HTTP != http.StatusUnauthorized {
		t.Fatalf("bad Authorization: %s", r)
	}
	const requests = 7

	// The SMS goroutine and access lines finish right after the answers.
	var lines []map[string]any
	waitFor(t, func() bool {
		lines = lines[:0]
		for _, l := range strings.Split(strings.TrimSpace(sink.String()[startup:]), "\n") {
			var m map[string]any
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatalf("not a JSON line: %q", l)
			}
			lines = append(lines, m)
		}
		n := 0
		for _, m := range lines {
			if m["msg"] == "request" {
				n++
			}
		}
		return n == requests
	})

	all := sink.String()
	for name, secret := range map[string]string{
		"access token": c.Token, "access secret": c.Secret, "Authorization": c.AuthorizationHeader(),
		"bad Authorization": bad.Headers["Authorization"], "SMS secret": smsSecret,
	} {
		if strings.Contains(all, secret) || strings.Contains(all, strings.TrimPrefix(secret, "Basic ")) {
			t.Errorf("the log contains the %s", name)
		}
	}
	// The code is short: look for it as a whole value, outside timings.
	codeRE := regexp.MustCompile(`(^|\D)` + regexp.QuoteMeta(code) + `(\D|$)`)
	sawClientID, sawOperation := false, false
	for _, m := range lines {
		for k, v := range m {
			if k != "time" && k != "duration_ms" && codeRE.MatchString(fmt.Sprint(v)) {
				t.Errorf("the captcha code appears in %s of %v", k, m)
			}
		}
		if m["msg"] == "push (log sender): bind device" || strings.HasPrefix(fmt.Sprint(m["msg"]), "push (log sender)") {
			continue // pushes are background work after the request
		}
		if id, _ := m["request_id"].(string); id == "" {
			t.Errorf("line without request_id: %v", m)
		}
		if m["msg"] != "request" {
			continue
		}
		for _, f := range []string{"method", "route", "status", "duration_ms", "bytes", "uid", "operation", "sql_statements"} {
			if _, ok := m[f]; !ok {
				t.Errorf("access line without %s: %v", f, m)
			}
		}
		if m["request_id"] == "client-id-42" {
			sawClientID = true
			if m["route"] != "graphql" || m["operation"] != "Me" || m["uid"] != c.UID {
				t.Errorf("graphql access line: %v", m)
			}
		}
		if m["route"] == "/user/:uid/profile" && m["status"] == float64(200) {
			sawOperation = m["operation"] == "UserProfile" && m["uid"] == c.UID && m["sql_statements"].(float64) >= 0
		}
	}
	if !sawClientID || !sawOperation {
		t.Errorf("access lines lack the client's request id (%v) or the legacy operation (%v)", sawClientID, sawOperation)
	}
}

// TestLoggedOperationNameIsBounded: an operation name is the caller's text,
// in operationName or in the document; the access line keeps at most 100
// characters of it.
func TestLoggedOperationNameIsBounded(t *testing.T) {
	var sink syncBuffer
	log, err := observe.NewLogger(&sink, "json", slog.LevelInfo)
	if err != nil {
		t.Fatal(err)
	}
	s := resttest.StartLogged(t, log)
	long := "Q" + strings.Repeat("o", 5000)
	for _, body := range []map[string]any{
		{"query": "query " + long + " { __typename }"},
		{"query": "query " + long + " { __typename }", "operationName": long},
	} {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", s.URL+"/graphql", bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		if r := s.Anonymous().Do(req); r.HTTP != http.StatusOK {
			t.Fatalf("HTTP %d: %s", r.HTTP, r.Raw)
		}
	}
	if strings.Contains(sink.String(), strings.Repeat("o", 101)) {
		t.Error("a log line carries more than 100 characters of an operation name")
	}
	if !strings.Contains(sink.String(), `"operation":"Q`+strings.Repeat("o", 99)+`"`) {
		t.Errorf("no access line with the bounded name")
	}
}

// TestEdgeRefusalsAreLogged: a request the edge answers itself (429 from
// the rate limit, 413 from the body limit) never reaches the router, yet it
// echoes its X-Request-Id, writes one access line (route "edge") and moves
// the request-duration series.
func TestEdgeRefusalsAreLogged(t *testing.T) {
	var sink syncBuffer
	log, err := observe.NewLogger(&sink, "json", slog.LevelInfo)
	if err != nil {
		t.Fatal(err)
	}
	s := resttest.StartLogged(t, log, func(c *app.Config) {
		c.Edge.Exempt = nil
		c.Edge.PerAddr = edge.Rate{PerSecond: 0.01, Burst: 2}
		c.Edge.MaxBodyBytes = 1024
	})
	send := func(id string, body []byte) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", s.URL+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Request-Id", id)
		r := s.Anonymous().Do(req)
		return r.HTTP, r.Headers.Get("X-Request-Id")
	}
	if code, id := send("edge-413", bytes.Repeat([]byte(" "), 2048)); code != http.StatusRequestEntityTooLarge || id != "edge-413" {
		t.Fatalf("oversized body: HTTP %d, X-Request-Id %q", code, id)
	}
	send("edge-ok", []byte(`{"query":"{__typename}"}`))
	code, id := send("edge-429", []byte(`{"query":"{__typename}"}`))
	if code != http.StatusTooManyRequests || id != "edge-429" {
		t.Fatalf("over the rate: HTTP %d, X-Request-Id %q", code, id)
	}
	lines := map[string]int{} // request id -> access lines
	for _, l := range strings.Split(strings.TrimSpace(sink.String()), "\n") {
		var e map[string]any
		if json.Unmarshal([]byte(l), &e) != nil || e["msg"] != "request" {
			continue
		}
		id, _ := e["request_id"].(string)
		lines[id]++
		if want := map[string]float64{"edge-413": 413, "edge-429": 429}[id]; want != 0 &&
			(e["route"] != observe.RouteEdge || e["status"] != want || e["path"] != "/graphql" || e["method"] != "POST") {
			t.Errorf("access line of %s: %v", id, e)
		}
	}
	if lines["edge-413"] != 1 || lines["edge-429"] != 1 || lines["edge-ok"] != 1 {
		t.Errorf("access lines per request id: %v", lines)
	}
	res, err := http.Get(s.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	scrape, _ := io.ReadAll(res.Body)
	for _, status := range []string{"413", "429"} {
		series := `chaoqer_http_request_duration_seconds_count{method="POST",route="edge",status="` + status + `"}`
		if !bytes.Contains(scrape, []byte(series)) {
			t.Errorf("no series %s", series)
		}
	}
}
