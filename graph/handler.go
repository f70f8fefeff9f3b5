package graph

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"

	"chaoqer/graph/errs"
	"chaoqer/graph/loader"
	"chaoqer/graph/viewer"
)

// queryCacheSize is how many parsed and validated documents are kept.
const queryCacheSize = 1000

// NewSchema returns the executable schema over r.
func NewSchema(r *Resolver) graphql.ExecutableSchema {
	return NewExecutableSchema(Config{Resolvers: r, Directives: NewDirectives(r.KV)})
}

// NewExecutor returns an in-process executor of es, configured like the
// HTTP endpoint (query cache, error presenter, panic recovery).
func NewExecutor(es graphql.ExecutableSchema, log *slog.Logger) *executor.Executor {
	e := executor.New(es)
	e.SetQueryCache(lru.New[*ast.QueryDocument](queryCacheSize))
	e.SetErrorPresenter(ErrorPresenter(log))
	e.SetRecoverFunc(RecoverFunc(log))
	e.AroundFields(MarkInternal)
	return e
}

// HandlerOptions configure the GraphQL HTTP endpoint.
type HandlerOptions struct {
	Introspection bool
}

// NewHandler returns the GraphQL HTTP endpoint (POST and GET).
func NewHandler(es graphql.ExecutableSchema, log *slog.Logger, opts HandlerOptions) *handler.Server {
	srv := handler.New(es)
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](queryCacheSize))
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](100)})
	if opts.Introspection {
		srv.Use(extension.Introspection{})
	}
	srv.SetErrorPresenter(ErrorPresenter(log))
	srv.SetRecoverFunc(RecoverFunc(log))
	srv.AroundFields(MarkInternal)
	return srv
}

// Prepare decorates a request context with the caller, their client and the
// request's dataloaders.
func (r *Resolver) Prepare(ctx context.Context, v *viewer.Viewer, c viewer.Client) context.Context {
	ctx = viewer.With(ctx, v)
	ctx = viewer.WithClient(ctx, c)
	uid := ""
	if v != nil {
		uid = v.UID
		r.Accounts.TouchActive(uid, c)
	}
	return loader.With(ctx, loader.New(loader.Services{Users: r.Users, Clubs: r.Clubs, Rooms: r.Rooms, Events: r.Events}, uid))
}

// Middleware authenticates GraphQL HTTP requests from their Authorization
// header (absent = anonymous, invalid = 401) and prepares the context.
func (r *Resolver) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		client, ok := viewer.ParseClient(req.Header.Get("Client-Type"), req.Header.Get("Version-Name"), req.Header.Get("Version-Code"))
		if !ok {
			http.Error(w, "malformed Client-Type or Version-Code header", http.StatusBadRequest)
			return
		}
		var v *viewer.Viewer
		if h := req.Header.Get("Authorization"); h != "" {
			var err error
			if v, err = r.Accounts.AuthenticateHeader(req.Context(), h); err != nil {
				if e, ok := errs.As(err); ok && e.Kind == errs.KindUnauthenticated {
					http.Error(w, "invalid Authorization", http.StatusUnauthorized)
					return
				}
				r.Log.Error("authenticating a GraphQL request", "err", err)
				http.Error(w, "internal server error", http.StatusInternalServerError)
				return
			}
		}
		ctx, cancel := context.WithTimeout(r.Prepare(req.Context(), v, client), 30*time.Second)
		defer cancel()
		next.ServeHTTP(w, req.WithContext(ctx))
	})
}
