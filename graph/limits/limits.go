// Package limits bounds what one GraphQL operation may ask for, as a gqlgen
// handler extension used by the HTTP endpoint and by the legacy REST
// executor alike:
//
//   - size, before validation: the parser's token limit, the nesting depth
//     and the number of selections (fields and aliases after fragment
//     expansion). gqlparser's validation rules (overlapping fields) grow
//     with the square of repeated fields, so a document must be small before
//     they run;
//   - cost, after validation: an estimate of the work (see Cost);
//   - introspection: on for everyone, for operators only, or off, answered
//     with a client error naming the cause;
//   - deadlines: every field checks its operation's context, so an
//     operation past its deadline stops within a field;
//   - WebSocket connections (marked by WithConnection): subscriptions at
//     once and a token bucket for the operations they start.
//
// Every refusal is a GraphQL request error with extensions.code from
// graph/errs and the measured value and the limit beside it.
package limits

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"golang.org/x/time/rate"

	"chaoqer/graph/errs"
	"chaoqer/graph/viewer"
)

// Defaults of Config. Every legacy operation (rest/ops) and every load-script
// operation stays far below them (pinned by tests).
const (
	DefaultMaxTokens      = 5000
	DefaultMaxDepth       = 15
	DefaultMaxSelections  = 400
	DefaultMaxCost        = 5000
	DefaultListSize       = 10
	DefaultConnectionSize = 20
	DefaultSubscriptions  = 10
)

// Config holds the limits; a zero field means that limit is off.
type Config struct {
	MaxTokens     int // lexical tokens of the document (CHAOQER_GRAPHQL_MAX_TOKENS)
	MaxDepth      int // nesting of fields (CHAOQER_GRAPHQL_MAX_DEPTH)
	MaxSelections int // fields and aliases after fragment expansion (CHAOQER_GRAPHQL_MAX_SELECTIONS)
	MaxCost       int // estimated cost, see Cost (CHAOQER_GRAPHQL_MAX_COST)
	// MaxSubscriptions bounds the subscriptions running at once on one
	// WebSocket connection (CHAOQER_GRAPHQL_MAX_SUBSCRIPTIONS).
	MaxSubscriptions int
	// SocketRate and SocketBurst bound the operations one WebSocket
	// connection may start (a token bucket per connection; the HTTP rate
	// limits see only its upgrade request) (CHAOQER_GRAPHQL_WS_RATE).
	SocketRate  float64
	SocketBurst int
	// SocketTimeout is the deadline of a query or mutation sent over a
	// WebSocket (plain HTTP requests get theirs from the HTTP edge;
	// CHAOQER_OPERATION_TIMEOUT sets both); 0 = none.
	SocketTimeout time.Duration
	// Introspection allows __schema and __type to everyone; otherwise only
	// the callers whose uid is in IntrospectionUIDs (operators) may.
	Introspection     bool
	IntrospectionUIDs []string
}

// Defaults returns the default limits with introspection on for everyone.
func Defaults() Config {
	return Config{
		MaxTokens: DefaultMaxTokens, MaxDepth: DefaultMaxDepth,
		MaxSelections: DefaultMaxSelections, MaxCost: DefaultMaxCost,
		MaxSubscriptions: DefaultSubscriptions, SocketRate: 20, SocketBurst: 100,
		Introspection: true,
	}
}

func init() {
	// Refusals are request errors: HTTP 422 (application/json) or 400
	// (application/graphql-response+json), like parse and validation errors.
	for _, c := range []string{errs.ExtComplexityLimit, errs.ExtDepthLimit, errs.ExtSelectionLimit,
		errs.ExtTokenLimit, errs.ExtIntrospectionDisabled, errs.ExtSubscriptionLimit, errs.ExtRateLimited} {
		errcode.RegisterErrorType(c, errcode.KindProtocol)
	}
}

// Target is what Install configures: gqlgen's handler.Server or executor.Executor.
type Target interface {
	Use(graphql.HandlerExtension)
	SetParserTokenLimit(int)
	SetQueryCache(graphql.Cache[*ast.QueryDocument])
}

// Install sets the query cache and the parser token limit of t and adds the
// limits extension. Call it after any extension that rewrites the query
// (automatic persisted queries), so the limits see the real document.
// field, when not nil, runs inside the extension's field check (see
// Extension.Field) instead of as a further field interceptor.
func Install(t Target, c Config, cache graphql.Cache[*ast.QueryDocument], field graphql.FieldMiddleware) {
	t.SetQueryCache(cache)
	t.SetParserTokenLimit(c.MaxTokens)
	t.Use(&Extension{Config: c, Cache: cache, Field: field})
}

// Extension enforces Config. Cache, when set, is the executor's cache of
// validated documents: a cached document passed the size checks already.
type Extension struct {
	Config Config
	Cache  graphql.Cache[*ast.QueryDocument]
	// Field, when not nil, is a field middleware run once a field passed
	// the check: gqlgen wraps every field (plain struct fields too) in
	// each interceptor with a closure, so one interceptor doing both is
	// cheaper per field than one interceptor per concern.
	Field graphql.FieldMiddleware
}

var (
	_ graphql.HandlerExtension          = (*Extension)(nil)
	_ graphql.OperationParameterMutator = (*Extension)(nil)
	_ graphql.OperationContextMutator   = (*Extension)(nil)
	_ graphql.FieldInterceptor          = (*Extension)(nil)
	_ graphql.ResponseInterceptor       = (*Extension)(nil)
	_ graphql.OperationInterceptor      = (*Extension)(nil)
)

// connection counts the subscriptions running on one WebSocket connection.
type connection struct {
	subscriptions atomic.Int64
	once          sync.Once
	ops           *rate.Limiter // operations started; made on the first
}

type connectionKey struct{}

// WithConnection marks ctx as a WebSocket connection's: its subscriptions
// count against Config.MaxSubscriptions.
func WithConnection(ctx context.Context) context.Context {
	return context.WithValue(ctx, connectionKey{}, &connection{})
}

// subscription is the marker of an operation context whose subscription
// took a slot of its connection.
type subscription struct{ conn *connection }

// InterceptOperation gives a subscription's slot back when it ends (gqlgen
// cancels each subscription's context when it completes), gives a query or
// mutation sent over a WebSocket its deadline, and answers one whose
// context ended before it ran (answerCanceled).
func (x *Extension) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	if oc == nil {
		return next(ctx)
	}
	if oc.Operation != nil && oc.Operation.Operation != ast.Subscription {
		return answerCanceled(x.interceptOperation(ctx, oc, next))
	}
	return x.interceptOperation(ctx, oc, next)
}

// answerCanceled makes a query's or mutation's first response an error
// when gqlgen gives none: its executor answers nil (a stream's end) to a
// context already done when the response is asked for, which the HTTP
// transport wrote as the body null and the legacy routes could not answer
// at all. The answer is the one a field gets when the deadline passes
// while it runs: errs.RequestCanceled with ExtUnavailable (503 on the
// legacy routes).
func answerCanceled(h graphql.ResponseHandler) graphql.ResponseHandler {
	answered := false
	return func(ctx context.Context) *graphql.Response {
		resp := h(ctx)
		if resp == nil && !answered && ctx.Err() != nil {
			resp = CanceledResponse()
		}
		answered = true
		return resp
	}
}

// CanceledResponse is the response of an operation whose context ended
// before it answered: errs.RequestCanceled with ExtUnavailable.
func CanceledResponse() *graphql.Response {
	return &graphql.Response{Errors: gqlerror.List{{Message: errs.RequestCanceled,
		Extensions: map[string]any{"code": errs.ExtUnavailable}}}}
}

func (x *Extension) interceptOperation(ctx context.Context, oc *graphql.OperationContext, next graphql.OperationHandler) graphql.ResponseHandler {
	if s, ok := oc.Stats.GetExtension("subscriptionSlot").(*subscription); ok {
		context.AfterFunc(ctx, func() { s.conn.subscriptions.Add(-1) })
		return next(ctx)
	}
	_, onSocket := ctx.Value(connectionKey{}).(*connection)
	if !onSocket || x.Config.SocketTimeout <= 0 || oc.Operation == nil || oc.Operation.Operation == ast.Subscription {
		return next(ctx)
	}
	h := next(ctx)
	return func(ctx context.Context) *graphql.Response {
		ctx, cancel := context.WithTimeout(ctx, x.Config.SocketTimeout)
		defer cancel()
		return h(ctx)
	}
}

// maxErrors bounds the errors of one response: past its deadline, every
// remaining field fails, and one error says why.
const maxErrors = 20

// InterceptField stops the operation once its context is done (deadline
// or client gone): every field, resolver or plain struct field, fails
// at once instead of computing and marshalling the rest of the answer.
// Queries under a cost limit skip it (see unintercepted).
func (x *Extension) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	default:
	}
	if x.Field != nil {
		return x.Field(ctx, next)
	}
	return next(ctx)
}

// InterceptResponse orders a response's errors by path and keeps the first
// maxErrors. gqlgen gathers the errors of fields resolved on different
// goroutines in the order they happen to finish; ordered, the same
// operation on the same data answers with the same errors in the same
// order, and the cut keeps the same ones.
func (*Extension) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp != nil && len(resp.Errors) > 1 {
		slices.SortStableFunc(resp.Errors, func(a, b *gqlerror.Error) int { return comparePaths(a.Path, b.Path) })
	}
	if resp != nil && len(resp.Errors) > maxErrors {
		resp.Errors = resp.Errors[:maxErrors:maxErrors]
	}
	return resp
}

// comparePaths orders response paths element by element: list indexes by
// number, names by text, an index before a name, a path before its
// extensions.
func comparePaths(a, b ast.Path) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		ai, aIndex := a[i].(ast.PathIndex)
		bi, bIndex := b[i].(ast.PathIndex)
		switch {
		case aIndex && bIndex:
			if c := cmp.Compare(ai, bi); c != 0 {
				return c
			}
		case aIndex:
			return -1
		case bIndex:
			return 1
		default:
			an, _ := a[i].(ast.PathName)
			bn, _ := b[i].(ast.PathName)
			if c := strings.Compare(string(an), string(bn)); c != 0 {
				return c
			}
		}
	}
	return cmp.Compare(len(a), len(b))
}

// ExtensionName implements graphql.HandlerExtension.
func (*Extension) ExtensionName() string { return "OperationLimits" }

// Validate implements graphql.HandlerExtension.
func (*Extension) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters checks the document's size before gqlgen
// parses and validates it: tokens, depth and selections.
func (x *Extension) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if x.Cache != nil {
		if _, ok := x.Cache.Get(ctx, p.Query); ok {
			return nil
		}
	}
	return CheckSize(p.Query, x.Config)
}

// MutateOperationContext applies the introspection rule and the cost limit
// to the validated operation.
func (x *Extension) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if x.mayIntrospect(ctx) {
		oc.DisableIntrospection = false
	} else if asksIntrospection(oc.Operation) {
		return refusal(errs.ExtIntrospectionDisabled, "introspection is disabled on this server", nil)
	}
	conn, _ := ctx.Value(connectionKey{}).(*connection)
	if conn != nil && x.Config.SocketRate > 0 && x.Config.SocketBurst > 0 {
		conn.once.Do(func() { conn.ops = rate.NewLimiter(rate.Limit(x.Config.SocketRate), x.Config.SocketBurst) })
		if !conn.ops.Allow() {
			return refusal(errs.ExtRateLimited, "too many operations on this connection",
				map[string]any{"retryAfter": int(math.Ceil(1 / x.Config.SocketRate))})
		}
	}
	if n := x.Config.MaxSubscriptions; n > 0 && oc.Operation != nil && oc.Operation.Operation == ast.Subscription {
		if conn != nil {
			if conn.subscriptions.Add(1) > int64(n) {
				conn.subscriptions.Add(-1)
				return refusal(errs.ExtSubscriptionLimit,
					fmt.Sprintf("this connection already runs %d subscriptions, the limit", n),
					map[string]any{"limit": n})
			}
			oc.Stats.SetExtension("subscriptionSlot", &subscription{conn})
		}
	}
	if x.Config.MaxCost > 0 && oc.Operation != nil {
		if cost := Cost(oc.Operation, oc.Variables); cost > x.Config.MaxCost {
			return refusal(errs.ExtComplexityLimit,
				fmt.Sprintf("operation cost %d is over the limit of %d", cost, x.Config.MaxCost),
				map[string]any{"cost": cost, "limit": x.Config.MaxCost})
		}
		if oc.Operation.Operation == ast.Query {
			oc.ResolverMiddleware = unintercepted
			oc.Stats.SetExtension(uninterceptedKey, true)
		}
	}
	return nil
}

// unintercepted is the field middleware of a query whose cost is bounded.
// gqlgen wraps every field, plain struct fields too, in a closure per
// field interceptor; a query needs neither of InterceptField's jobs: its
// work is bounded by MaxCost (its reads still stop at their deadline, as
// every statement and batch load takes the context), and the Field hook
// (ReadAfterWrite) concerns mutations. Mutations, subscriptions and, with
// the cost limit off, every operation keep the check on each field.
func unintercepted(ctx context.Context, next graphql.Resolver) (any, error) { return next(ctx) }

// uninterceptedKey marks, in the operation's stats, an operation whose
// fields run unintercepted.
const uninterceptedKey = "chaoqer.unintercepted"

// Unintercepted reports whether oc's fields run without a field
// middleware (unintercepted), so that a field that only reads its
// object may skip gqlgen's per-field machinery altogether
// (graph/execrewrite).
func Unintercepted(oc *graphql.OperationContext) bool {
	return oc != nil && oc.Stats.GetExtension(uninterceptedKey) != nil
}

// mayIntrospect: introspection is on for everyone, or the caller is an
// operator.
func (x *Extension) mayIntrospect(ctx context.Context) bool {
	if x.Config.Introspection {
		return true
	}
	uid := viewer.UID(ctx)
	return uid != "" && slices.Contains(x.Config.IntrospectionUIDs, uid)
}

// CheckSize parses query (stopping at c.MaxTokens tokens) and refuses it
// when its depth or selection count is over the limits. A document that
// does not parse for another reason passes: gqlgen reports the syntax error.
// The work is linear in the document and, through fragments, bounded by
// c.MaxSelections.
func CheckSize(query string, c Config) *gqlerror.Error {
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: query}, c.MaxTokens)
	if err != nil {
		if c.MaxTokens > 0 && isTokenLimit(err, c.MaxTokens) {
			return refusal(errs.ExtTokenLimit,
				fmt.Sprintf("the document has more than %d tokens", c.MaxTokens),
				map[string]any{"limit": c.MaxTokens})
		}
		return nil
	}
	m := measurer{doc: doc, frags: map[string]*size{}}
	for _, op := range doc.Operations {
		s := m.set(op.SelectionSet)
		if c.MaxSelections > 0 && s.selections > c.MaxSelections {
			return refusal(errs.ExtSelectionLimit,
				fmt.Sprintf("the operation selects more than %d fields", c.MaxSelections),
				map[string]any{"selections": s.selections, "limit": c.MaxSelections})
		}
		if c.MaxDepth > 0 && s.depth > c.MaxDepth {
			return refusal(errs.ExtDepthLimit,
				fmt.Sprintf("the operation nests %d fields deep, over the limit of %d", s.depth, c.MaxDepth),
				map[string]any{"depth": s.depth, "limit": c.MaxDepth})
		}
	}
	return nil
}

// isTokenLimit tells gqlparser's "exceeded token limit" error from a
// syntax error.
func isTokenLimit(err error, limit int) bool {
	var e *gqlerror.Error
	return errors.As(err, &e) && e.Message == fmt.Sprintf("exceeded token limit of %d", limit)
}

// size is a selection set's measure: selections counted through fragments
// and the deepest field nesting.
type size struct {
	selections int
	depth      int
}

// measurer measures selection sets, each fragment once (memoized), so that
// fragments spreading others many times cost linear work to measure.
type measurer struct {
	doc   *ast.QueryDocument
	frags map[string]*size // nil value: being measured (a cycle)
}

func (m *measurer) set(ss ast.SelectionSet) size {
	var out size
	for _, sel := range ss {
		var s size
		switch v := sel.(type) {
		case *ast.Field:
			s = m.set(v.SelectionSet)
			s.selections++
			s.depth++
		case *ast.InlineFragment:
			s = m.set(v.SelectionSet)
		case *ast.FragmentSpread:
			s = m.fragment(v.Name)
		}
		out.selections = satAdd(out.selections, s.selections)
		out.depth = max(out.depth, s.depth)
	}
	return out
}

func (m *measurer) fragment(name string) size {
	if s, ok := m.frags[name]; ok {
		if s == nil {
			return size{} // a cycle: validation refuses it
		}
		return *s
	}
	def := m.doc.Fragments.ForName(name)
	if def == nil {
		return size{}
	}
	m.frags[name] = nil
	s := m.set(def.SelectionSet)
	m.frags[name] = &s
	return s
}

// satAdd adds without overflowing (fragments can multiply counts).
func satAdd(a, b int) int {
	const ceiling = 1 << 40
	if a+b > ceiling {
		return ceiling
	}
	return a + b
}

// asksIntrospection reports whether op selects __schema or __type (they
// exist only on the query root).
func asksIntrospection(op *ast.OperationDefinition) bool {
	if op == nil {
		return false
	}
	found := false
	var walk func(ast.SelectionSet)
	walk = func(ss ast.SelectionSet) {
		for _, sel := range ss {
			switch v := sel.(type) {
			case *ast.Field:
				if v.Name == "__schema" || v.Name == "__type" {
					found = true
				}
			case *ast.InlineFragment:
				walk(v.SelectionSet)
			case *ast.FragmentSpread:
				if v.Definition != nil {
					walk(v.Definition.SelectionSet)
				}
			}
		}
	}
	walk(op.SelectionSet)
	return found
}

func refusal(code, message string, ext map[string]any) *gqlerror.Error {
	e := &gqlerror.Error{Message: message, Extensions: map[string]any{"code": code}}
	for k, v := range ext {
		e.Extensions[k] = v
	}
	return e
}
