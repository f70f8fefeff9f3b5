package observe

import (
	"context"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"chaoqer/app/metrics"
	"chaoqer/graph/viewer"
)

// OtherOperation labels operations whose name is not a known one.
const OtherOperation = "other"

// GraphQL is a gqlgen extension that, around every operation, opens a span
// "{type} {name}" (OpenTelemetry GraphQL semantic conventions), counts the
// operation and its duration by name, counts running subscriptions and
// records the operation and caller for the access log. Use it on the
// GraphQL endpoint and on the executor of the legacy routes.
type GraphQL struct {
	tracer trace.Tracer
	known  map[string]bool
}

var (
	_ graphql.HandlerExtension     = (*GraphQL)(nil)
	_ graphql.OperationInterceptor = (*GraphQL)(nil)
)

// NewGraphQL returns the extension; operations named in known keep their
// name as metric label, others are counted as "other".
func NewGraphQL(tp trace.TracerProvider, known []string) *GraphQL {
	g := &GraphQL{tracer: tp.Tracer(instrumentationName), known: map[string]bool{}}
	for _, n := range known {
		g.known[n] = true
	}
	return g
}

// ExtensionName names the extension.
func (*GraphQL) ExtensionName() string { return "Observe" }

// Validate accepts any schema.
func (*GraphQL) Validate(graphql.ExecutableSchema) error { return nil }

// unrecorded stands in for the span of an operation whose request's trace
// is not sampled: under parent-based sampling (W3C Trace Context's sampled
// flag) none of its children would be recorded, so none is started.
var unrecorded = trace.SpanFromContext(context.Background())

// maxLoggedName bounds the operation name written to logs and spans.
const maxLoggedName = 100

// InterceptOperation wraps one operation.
func (g *GraphQL) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	name := oc.OperationName
	typ := ast.Query
	if oc.Operation != nil {
		typ = oc.Operation.Operation
		if name == "" {
			name = oc.Operation.Name
		}
	}
	// Names come from the caller, whether in operationName or in the
	// document: bounded before they reach a log line or a span.
	if len(name) > maxLoggedName {
		name = name[:maxLoggedName]
	}
	label := OtherOperation
	if g.known[name] {
		label = name
	}
	if r := RequestFrom(ctx); r != nil {
		r.setOperation(name, viewer.UID(ctx))
	}
	spanName := string(typ)
	if name != "" {
		spanName += " " + name
	}
	span := unrecorded
	if sc := trace.SpanContextFromContext(ctx); !sc.IsValid() || sc.IsSampled() {
		ctx, span = g.tracer.Start(ctx, spanName, trace.WithAttributes(
			semconv.GraphQLOperationName(name),
			semconv.GraphQLOperationTypeKey.String(string(typ)),
		))
	}
	metrics.GraphQLOperations.WithLabelValues(label, string(typ)).Inc()
	start := time.Now()
	responses := next(ctx)

	var once sync.Once
	end := func() {
		once.Do(func() {
			if typ == ast.Subscription {
				metrics.GraphQLSubscriptions.Dec()
			} else {
				metrics.GraphQLOperationDuration.WithLabelValues(label).Observe(time.Since(start).Seconds())
			}
			span.End()
		})
	}
	if typ == ast.Subscription {
		metrics.GraphQLSubscriptions.Inc()
		// A subscription ends when its stream does, or with its socket.
		stop := context.AfterFunc(ctx, end)
		return func(ctx context.Context) *graphql.Response {
			resp := responses(ctx)
			if resp == nil {
				stop()
				end()
			}
			return resp
		}
	}
	return func(ctx context.Context) *graphql.Response {
		resp := responses(ctx)
		if resp != nil && len(resp.Errors) > 0 {
			// The code only: messages may quote the caller's input.
			code, _ := resp.Errors[0].Extensions["code"].(string)
			span.SetStatus(codes.Error, code)
		}
		end()
		return resp
	}
}

// CountErrors wraps an error presenter to count every presented error by
// its extensions.code ("NONE" without one). The presenter sees every error
// (parse and validation failures too), which operation extensions do not.
func CountErrors(p graphql.ErrorPresenterFunc) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		e := p(ctx, err)
		code := "NONE"
		if e != nil {
			if c, ok := e.Extensions["code"].(string); ok && c != "" {
				code = c
			}
		}
		metrics.GraphQLErrors.WithLabelValues(code).Inc()
		return e
	}
}
