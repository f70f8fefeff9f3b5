// Package rest is the compatibility layer that keeps the existing mobile apps
// working on the legacy REST paths. It holds no business rules: each route
// names a GraphQL operation (ops/*.graphql, with aliases that produce the
// legacy field names), and one generic handler checks the legacy transport
// rules (path ids, content type, Authorization, ts+sign), executes the
// operation in-process against the same schema new clients use, and reshapes
// the answer into the legacy envelope.
package rest

import (
	"context"
	"embed"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/gin-gonic/gin"

	"chaoqer/graph/viewer"
)

//go:embed ops/*.graphql
var opsFS embed.FS

// Authenticator checks an Authorization header.
type Authenticator interface {
	AuthenticateHeader(ctx context.Context, header string) (*viewer.Viewer, error)
}

// Config is what the REST layer needs.
type Config struct {
	// Schema is the executable GraphQL schema the operations run against.
	Schema graphql.ExecutableSchema
	// Executor runs operations (configured like the GraphQL endpoint's).
	Executor *executor.Executor
	// Auth checks Authorization headers.
	Auth Authenticator
	// Prepare decorates a request context with the viewer, the client and
	// the per-request dataloaders before an operation runs.
	Prepare func(ctx context.Context, v *viewer.Viewer, c viewer.Client) context.Context
	// DefaultSecret signs anonymous calls.
	DefaultSecret string
	// SignMaxSkew, when positive, also requires ts to be within this much of
	// the server's clock and refuses a (caller, ts, sign) seen before within
	// twice that window (spec §1.4 [REC], §12 S1). Zero keeps the legacy
	// behaviour: ts is not checked.
	SignMaxSkew time.Duration
	// Replays remembers signatures for the replay check, shared by instances.
	Replays Acquirer
	Log     *slog.Logger
}

// Acquirer takes a key for a while unless it is already taken (kvstore).
type Acquirer interface {
	Acquire(ctx context.Context, key string, ttl time.Duration) (bool, error)
}

// Server serves the legacy routes.
type Server struct {
	cfg    Config
	routes []*compiledRoute
	names  []string
}

// New compiles the route table against the schema. It fails when an
// operation does not validate, so a schema change that breaks a legacy
// route is caught at start (and by the tests).
func New(cfg Config) (*Server, error) {
	ops, err := loadOperations(opsFS, cfg.Schema.Schema())
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg}
	for name := range ops {
		s.names = append(s.names, name)
	}
	sort.Strings(s.names)
	for _, r := range routes {
		cr, err := compileRoute(r, ops)
		if err != nil {
			return nil, fmt.Errorf("route %s %s: %w", r.method, r.path, err)
		}
		s.routes = append(s.routes, cr)
	}
	return s, nil
}

// OperationNames lists the operations of ops/*.graphql (the names the apps'
// requests run under, which metrics may use as labels).
func (s *Server) OperationNames() []string { return s.names }

// Mount registers the legacy routes on e as Spring MVC served them (spec
// §1.1 step 3): every path also with a trailing slash (its default
// trailing-slash match), and a wrong method on a legacy path answers 405
// with Allow only when the path's ids pass the 32-hex rule, else 404. Both
// come before authentication. HEAD reaches the engine as the GET it asks
// about (the app serves every HEAD so, observe.AsGet), so only the route's
// own method is registered; Allow still names HEAD beside GET.
func (s *Server) Mount(e *gin.Engine) {
	for _, r := range s.routes {
		h := s.handler(r)
		e.Handle(r.method, r.path, h)
		e.Handle(r.method, r.path+"/", h)
	}
	e.NoMethod(s.methodNotAllowed)
}

// Configure sets the engine-wide behaviour the legacy apps expect: empty
// 404/405 bodies answered before authentication and no path redirects
// (Mount refines the 405 for the legacy paths).
func Configure(e *gin.Engine) {
	e.RedirectTrailingSlash = false
	e.RedirectFixedPath = false
	e.HandleMethodNotAllowed = true
	e.NoRoute(func(c *gin.Context) { c.AbortWithStatus(http.StatusNotFound) })
	e.NoMethod(func(c *gin.Context) {
		normalizeAllow(c.Writer.Header())
		c.AbortWithStatus(http.StatusMethodNotAllowed)
	})
}
