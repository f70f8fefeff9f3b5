// Package observe is the server's instrumentation, all of it decorators:
// an HTTP middleware (request id, access log, request metrics, span naming),
// a gqlgen extension (operation metrics and spans), an error-presenter
// wrapper (errors by code), a slog handler that stamps every line of a
// request with its id, and the OpenTelemetry setup. Business code only
// passes its context to the logger.
package observe

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"chaoqer/graph/ids"
)

// RequestIDHeader carries the request id in and out.
const RequestIDHeader = "X-Request-Id"

// Request is what the instrumentation learns about one HTTP request while
// it runs; the access log writes it at the end.
type Request struct {
	ID    string
	Route string
	// Statements counts the request's SQL statements (entdb.WithCounter).
	Statements *atomic.Int64

	mu        sync.Mutex
	operation string
	uid       string

	start    time.Time
	answered int // the status the edge answered with itself (Answered), or 0
}

type requestKey struct{}

// WithRequest returns ctx carrying r.
func WithRequest(ctx context.Context, r *Request) context.Context {
	return context.WithValue(ctx, requestKey{}, r)
}

// RequestFrom returns the request ctx belongs to, or nil.
func RequestFrom(ctx context.Context) *Request {
	r, _ := ctx.Value(requestKey{}).(*Request)
	return r
}

// RequestID returns the id of the request ctx belongs to, or "".
func RequestID(ctx context.Context) string {
	if r := RequestFrom(ctx); r != nil {
		return r.ID
	}
	return ""
}

// setOperation records the GraphQL operation and caller of the request
// (the last one, on a socket that runs several).
func (r *Request) setOperation(name, uid string) {
	r.mu.Lock()
	r.operation = name
	if uid != "" {
		r.uid = uid
	}
	r.mu.Unlock()
}

func (r *Request) operationAndUID() (string, string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.operation, r.uid
}

// Begin starts observing a request in front of the edge: it takes or makes
// the request id, echoes it in X-Request-Id and puts the Request in the
// context, so that a request the edge answers itself (a refusal, which
// never reaches the router and its Middleware) has an id and, through
// Answered and Finish, an access line and request metrics too.
func Begin(w http.ResponseWriter, r *http.Request) (*http.Request, *Request) {
	info := &Request{ID: requestID(r.Header.Get(RequestIDHeader)), start: time.Now()}
	w.Header().Set(RequestIDHeader, info.ID)
	return r.WithContext(WithRequest(r.Context(), info)), info
}

// Answered records that the edge answered r itself with status (the
// edge's Answered hook).
func Answered(r *http.Request, status int) {
	if info := RequestFrom(r.Context()); info != nil {
		info.answered = status
	}
}

// requestID keeps a sane incoming id (1–128 characters of [A-Za-z0-9._:-])
// and otherwise makes a new one; ids end up in logs and headers, so nothing
// else is trusted.
func requestID(incoming string) string {
	if n := len(incoming); n > 0 && n <= 128 {
		ok := true
		for i := 0; i < n && ok; i++ {
			c := incoming[i]
			ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == ':' || c == '-'
		}
		if ok {
			return incoming
		}
	}
	return ids.New()
}
