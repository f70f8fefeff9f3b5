package limits_test

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"chaoqer/graph"
	"chaoqer/graph/errs"
	"chaoqer/graph/limits"
	"chaoqer/graph/viewer"
)

// newExecutor is the real schema behind an executor with the limits c.
func newExecutor(c limits.Config) *executor.Executor {
	e := executor.New(graph.NewExecutableSchema(graph.Config{Resolvers: &graph.Resolver{}}))
	limits.Install(e, c, lru.New[*ast.QueryDocument](100), nil)
	return e
}

// prepare runs gqlgen's parse, validate and the limits on query.
func prepare(ctx context.Context, e *executor.Executor, query string, vars map[string]any) gqlerror.List {
	ctx = graphql.StartOperationTrace(ctx)
	_, errs := e.CreateOperationContext(ctx, &graphql.RawParams{Query: query, Variables: vars})
	return errs
}

// aliases is `{a0:__typename a1:__typename …}` with n aliases.
func aliases(n int) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		fmt.Fprintf(&b, "a%d:__typename ", i)
	}
	b.WriteString("}")
	return b.String()
}

// repeated is `{ viewer { uid uid … } }` with n fields.
func repeated(n int) string {
	return "{ viewer { " + strings.Repeat("uid ", n) + "} }"
}

func wantRefusal(t *testing.T, got gqlerror.List, code string, ext map[string]any) {
	t.Helper()
	if len(got) != 1 {
		t.Fatalf("errors = %v, want one %s", got, code)
	}
	if c := got[0].Extensions["code"]; c != code {
		t.Fatalf("code = %v (%s), want %s", c, got[0].Message, code)
	}
	for k, v := range ext {
		if got[0].Extensions[k] != v {
			t.Errorf("extensions[%s] = %v, want %v (%v)", k, got[0].Extensions[k], v, got[0].Extensions)
		}
	}
}

func TestRefusals(t *testing.T) {
	def := limits.Defaults()
	noTokens := def
	noTokens.MaxTokens = 0
	// __schema types fields type, ofType × 12, name: 17 levels.
	deep := "{ viewer { profile { uid } } __schema { types { fields { type { " +
		strings.Repeat("ofType { ", 12) + "name" + strings.Repeat(" }", 16) + " }"
	cases := []struct {
		name  string
		c     limits.Config
		query string
		vars  map[string]any
		code  string
		ext   map[string]any
	}{
		{"80,000 aliases: token limit", def, aliases(80_000), nil, errs.ExtTokenLimit, map[string]any{"limit": limits.DefaultMaxTokens}},
		{"100,000 repeated fields: token limit", def, repeated(100_000), nil, errs.ExtTokenLimit, nil},
		{"80,000 aliases: selection limit", noTokens, aliases(80_000), nil, errs.ExtSelectionLimit, map[string]any{"selections": 80_000, "limit": limits.DefaultMaxSelections}},
		{"100,000 repeated fields: selection limit", noTokens, repeated(100_000), nil, errs.ExtSelectionLimit, map[string]any{"selections": 100_001}},
		{"fragments multiply selections",
			def, `query { viewer { ...A } } fragment A on Viewer { ...B ...B ...B ...B } fragment B on Viewer { ...C ...C ...C ...C }
			fragment C on Viewer { ...D ...D ...D ...D } fragment D on Viewer { ...E ...E ...E ...E } fragment E on Viewer { uid profileInitialized }`,
			nil, errs.ExtSelectionLimit, map[string]any{"selections": 1 + 2*4*4*4*4}},
		{"depth", def, deep, nil, errs.ExtDepthLimit, map[string]any{"depth": 17, "limit": limits.DefaultMaxDepth}},
		{"cost: connection multiplied by first", def, "query($n: Int) {" + strings.Repeat(
			` roomFeed(first: $n) { edges { node { room { creator { uid } club { name } members { uid } } } } }`, 5) + "}",
			map[string]any{"n": 100}, errs.ExtComplexityLimit, map[string]any{"cost": 5 * (1 + 100*(1+1+1+1+1+6)), "limit": limits.DefaultMaxCost}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantRefusal(t, prepare(context.Background(), newExecutor(tc.c), tc.query, tc.vars), tc.code, tc.ext)
		})
	}
}

func TestUnderTheLimits(t *testing.T) {
	e := newExecutor(limits.Defaults())
	for _, q := range []string{
		aliases(300),
		repeated(399),
		`query { roomFeed(first: 100) { edges { node { room { creator { uid } club { name } members { uid } } } } } }`,
		introspectionQuery,
	} {
		if errs := prepare(context.Background(), e, q, nil); errs != nil {
			t.Errorf("%.60s…: %v", q, errs)
		}
	}
}

func TestIntrospection(t *testing.T) {
	c := limits.Defaults()
	c.Introspection = false
	c.IntrospectionUIDs = []string{"op"}
	e := newExecutor(c)
	q := "{ __schema { queryType { name } } }"
	wantRefusal(t, prepare(context.Background(), e, q, nil), errs.ExtIntrospectionDisabled, nil)
	wantRefusal(t, prepare(viewer.With(context.Background(), &viewer.Viewer{UID: "someone"}), e, `{ __type(name: "Query") { name } }`, nil),
		errs.ExtIntrospectionDisabled, nil)
	if errs := prepare(viewer.With(context.Background(), &viewer.Viewer{UID: "op"}), e, q, nil); errs != nil {
		t.Errorf("operator: %v", errs)
	}
	if errs := prepare(context.Background(), e, "{ __typename }", nil); errs != nil {
		t.Errorf("__typename: %v", errs)
	}
}

// BenchmarkRefusal measures the CPU one refusal of the documents
// costs (ns/op is the time to refuse one; it must stay well under 5 ms).
func BenchmarkRefusal(b *testing.B) {
	noTokens := limits.Defaults()
	noTokens.MaxTokens = 0
	for _, bc := range []struct {
		name  string
		c     limits.Config
		query string
	}{
		{"aliases80000/tokens", limits.Defaults(), aliases(80_000)},
		{"repeated100000/tokens", limits.Defaults(), repeated(100_000)},
		{"aliases80000/selections", noTokens, aliases(80_000)},
		{"repeated100000/selections", noTokens, repeated(100_000)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			e := newExecutor(bc.c)
			ctx := context.Background()
			for b.Loop() {
				if errs := prepare(ctx, e, bc.query, nil); len(errs) == 0 {
					b.Fatal("not refused")
				}
			}
		})
	}
}

// introspectionQuery is the shape of GraphiQL's introspection query (with
// its seven-level TypeRef), which must stay under the defaults.
const introspectionQuery = `query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}`

// TestSubscriptionsPerConnection: a connection's subscriptions beyond the
// limit are refused until one ends.
func TestSubscriptionsPerConnection(t *testing.T) {
	c := limits.Defaults()
	c.MaxSubscriptions = 1
	x := &limits.Extension{Config: c}
	e := executor.New(graph.NewExecutableSchema(graph.Config{Resolvers: &graph.Resolver{}}))
	e.Use(x)
	conn := limits.WithConnection(context.Background())
	sub := `subscription { roomEvents(roomId: "0123456789abcdef0123456789abcdef") { event } }`
	start := func() (*graphql.OperationContext, gqlerror.List) {
		return e.CreateOperationContext(graphql.StartOperationTrace(conn), &graphql.RawParams{Query: sub})
	}
	oc, gerrs := start()
	if gerrs != nil {
		t.Fatal(gerrs)
	}
	_, gerrs = start()
	wantRefusal(t, gerrs, errs.ExtSubscriptionLimit, map[string]any{"limit": 1})
	if errs := prepare(conn, e, "{ __typename }", nil); errs != nil {
		t.Fatalf("a query on the full connection: %v", errs)
	}
	if _, gerrs := e.CreateOperationContext(graphql.StartOperationTrace(limits.WithConnection(context.Background())),
		&graphql.RawParams{Query: sub}); gerrs != nil {
		t.Fatalf("another connection: %v", gerrs)
	}

	// The running subscription ends: its slot is free again.
	opCtx, cancel := context.WithCancel(graphql.WithOperationContext(conn, oc))
	x.InterceptOperation(opCtx, func(context.Context) graphql.ResponseHandler { return nil })
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, gerrs = start(); gerrs == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("slot not given back: %v", gerrs)
		}
		runtime.Gosched()
	}
}

// TestOperationsPerConnection: a WebSocket connection starts operations
// from its own token bucket (the HTTP limits saw only its upgrade).
func TestOperationsPerConnection(t *testing.T) {
	c := limits.Defaults()
	c.SocketRate, c.SocketBurst = 0.001, 2
	e := newExecutor(c)
	conn := limits.WithConnection(context.Background())
	for i := range 2 {
		if errs := prepare(conn, e, "{ __typename }", nil); errs != nil {
			t.Fatalf("operation %d: %v", i, errs)
		}
	}
	wantRefusal(t, prepare(conn, e, "{ __typename }", nil), errs.ExtRateLimited, map[string]any{"retryAfter": 1000})
	if errs := prepare(limits.WithConnection(context.Background()), e, "{ __typename }", nil); errs != nil {
		t.Fatalf("another connection: %v", errs)
	}
	if errs := prepare(context.Background(), e, "{ __typename }", nil); errs != nil {
		t.Fatalf("plain HTTP (limited by the edge): %v", errs)
	}
}

// TestSocketOperationDeadline: a query sent over a WebSocket ends at its
// deadline with an error (plain HTTP requests get theirs from the edge).
func TestSocketOperationDeadline(t *testing.T) {
	c := limits.Config{Introspection: true, SocketTimeout: 100 * time.Millisecond}
	e := newExecutor(c)
	var q strings.Builder
	q.WriteString("{")
	for i := range 1500 {
		fmt.Fprintf(&q, " s%d: __schema { types { name fields { name args { name type { name } } type { name kind ofType { name kind } } } } }", i)
	}
	q.WriteString("}")
	conn := graphql.StartOperationTrace(limits.WithConnection(context.Background()))
	oc, gerrs := e.CreateOperationContext(conn, &graphql.RawParams{Query: q.String()})
	if gerrs != nil {
		t.Fatal(gerrs)
	}
	start := time.Now()
	h, ctx := e.DispatchOperation(conn, oc)
	resp := h(ctx)
	took := time.Since(start)
	if took > c.SocketTimeout+time.Second {
		t.Errorf("answered %v after the deadline", took-c.SocketTimeout)
	}
	if len(resp.Errors) == 0 || resp.Errors[0].Message != "context deadline exceeded" || len(resp.Errors) > 20 {
		t.Errorf("errors: %d, first %v", len(resp.Errors), resp.Errors)
	}
}

// TestFieldCheckFollowsTheOperation: a query under a cost limit runs its
// fields without the per-field interception (and its Field hook); a
// mutation, and any query once the cost limit is off, run every field
// through it.
func TestFieldCheckFollowsTheOperation(t *testing.T) {
	for _, c := range []struct {
		name    string
		maxCost int
		query   string
		checked bool
	}{
		{"query under a cost limit", 5000, "{ __schema { queryType { name } } }", false},
		{"query without a cost limit", 0, "{ __schema { queryType { name } } }", true},
		{"mutation under a cost limit", 5000, "mutation { logout { message } }", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			var fields atomic.Int64
			e := executor.New(graph.NewExecutableSchema(graph.Config{Resolvers: &graph.Resolver{}}))
			cfg := limits.Config{Introspection: true, MaxCost: c.maxCost}
			limits.Install(e, cfg, lru.New[*ast.QueryDocument](100), func(ctx context.Context, next graphql.Resolver) (any, error) {
				fields.Add(1)
				return next(ctx)
			})
			ctx := graphql.StartOperationTrace(context.Background())
			oc, gerrs := e.CreateOperationContext(ctx, &graphql.RawParams{Query: c.query})
			if gerrs != nil {
				t.Fatal(gerrs)
			}
			h, ctx := e.DispatchOperation(ctx, oc)
			h(ctx)
			if got := fields.Load() > 0; got != c.checked {
				t.Errorf("fields checked: %d, want checked=%v", fields.Load(), c.checked)
			}
			// What lets plain fields skip gqlgen's field machinery (graph/execrewrite).
			if got, want := limits.Unintercepted(oc), !c.checked; got != want {
				t.Errorf("Unintercepted = %v, want %v", got, want)
			}
		})
	}
}

// A response's errors come ordered by path, whatever order the fields
// failed in, and the cut to 20 keeps the first 20 of that order.
func TestResponseErrorsInPathOrder(t *testing.T) {
	at := func(p ...any) *gqlerror.Error {
		var path ast.Path
		for _, e := range p {
			switch e := e.(type) {
			case int:
				path = append(path, ast.PathIndex(e))
			case string:
				path = append(path, ast.PathName(e))
			}
		}
		return &gqlerror.Error{Message: path.String(), Path: path}
	}
	want := []string{"", "a", "a[2].x", "a[10]", "a[10].x", "b", "b.c"}
	errs := gqlerror.List{at("b", "c"), at("a", 10), at(), at("a", 2, "x"), at("b"), at("a", 10, "x"), at("a")}
	resp := (&limits.Extension{}).InterceptResponse(context.Background(), func(context.Context) *graphql.Response {
		return &graphql.Response{Errors: errs}
	})
	var got []string
	for _, e := range resp.Errors {
		got = append(got, e.Message)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("errors in order %q, want %q", got, want)
	}
	many := gqlerror.List{}
	for i := 30; i > 0; i-- {
		many = append(many, at("list", i))
	}
	resp = (&limits.Extension{}).InterceptResponse(context.Background(), func(context.Context) *graphql.Response {
		return &graphql.Response{Errors: many}
	})
	if len(resp.Errors) != 20 || resp.Errors[0].Message != "list[1]" || resp.Errors[19].Message != "list[20]" {
		t.Fatalf("kept %d errors, from %s to %s", len(resp.Errors), resp.Errors[0].Message, resp.Errors[len(resp.Errors)-1].Message)
	}
}

// A query or mutation whose context ended before its response was asked
// for gets gqlgen's nil (a stream's end): the interceptor answers it
// UNAVAILABLE "request canceled" once, and leaves a subscription's nil and
// every later nil (the end of a deferred stream) alone.
func TestOperationCanceledBeforeItRanIsAnswered(t *testing.T) {
	x := &limits.Extension{}
	gqlgensNil := func(ctx context.Context) graphql.ResponseHandler {
		return func(ctx context.Context) *graphql.Response {
			if ctx.Err() != nil {
				return nil
			}
			return &graphql.Response{Data: []byte(`{}`)}
		}
	}
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, kind := range []ast.Operation{ast.Query, ast.Mutation, ast.Subscription} {
		oc := &graphql.OperationContext{Operation: &ast.OperationDefinition{Operation: kind}}
		h := x.InterceptOperation(graphql.WithOperationContext(context.Background(), oc), gqlgensNil)
		first, second := h(canceled), h(canceled)
		if kind == ast.Subscription {
			if first != nil {
				t.Errorf("subscription: %+v, want the end of its stream", first)
			}
			continue
		}
		if first == nil || len(first.Errors) != 1 || first.Errors[0].Message != errs.RequestCanceled ||
			first.Errors[0].Extensions["code"] != errs.ExtUnavailable {
			t.Errorf("%s: first response %+v", kind, first)
		}
		if second != nil {
			t.Errorf("%s: a second response %+v after the first", kind, second)
		}
		if live := x.InterceptOperation(graphql.WithOperationContext(context.Background(), oc), gqlgensNil)(context.Background()); live == nil || live.Errors != nil {
			t.Errorf("%s: a live operation's response %+v", kind, live)
		}
	}
}
