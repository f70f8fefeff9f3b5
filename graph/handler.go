package graph

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	coderws "github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/ast"

	"chaoqer/graph/errs"
	"chaoqer/graph/limits"
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
// HTTP endpoint (query cache, operation limits, error presenter, panic
// recovery).
func NewExecutor(es graphql.ExecutableSchema, log *slog.Logger, lim limits.Config) *executor.Executor {
	e := executor.New(es)
	limits.Install(e, lim, lru.New[*ast.QueryDocument](queryCacheSize))
	e.SetErrorPresenter(ErrorPresenter(log))
	e.SetRecoverFunc(RecoverFunc(log))
	return e
}

// HandlerOptions configure the GraphQL HTTP endpoint.
type HandlerOptions struct {
	// Limits bound every operation and decide who may introspect.
	Limits limits.Config
	// WebsocketInit authenticates a subscription connection from its
	// connection_init payload (see Resolver.WebsocketInit); nil disables
	// the websocket transport.
	WebsocketInit transport.WebsocketInitFunc
	// AroundOperations runs around every operation (fresh per-operation
	// dataloaders on long-lived websocket connections).
	AroundOperations graphql.OperationMiddleware
}

// websocketKeepAlive is how often idle subscription sockets are pinged.
const websocketKeepAlive = 10 * time.Second

// NewHandler returns the GraphQL HTTP endpoint (POST and GET).
func NewHandler(es graphql.ExecutableSchema, log *slog.Logger, opts HandlerOptions) *handler.Server {
	srv := handler.New(es)
	if opts.WebsocketInit != nil {
		// graphql-transport-ws and the older graphql-ws subprotocol.
		srv.AddTransport(transport.Websocket{
			Implementation: transport.CoderWebsocketImplementation{AcceptOptions: coderws.AcceptOptions{
				// Credentials travel in headers or connection_init, never
				// in cookies, so a foreign page gains nothing by connecting.
				InsecureSkipVerify: true,
			}},
			InitFunc:              opts.WebsocketInit,
			InitTimeout:           30 * time.Second,
			KeepAlivePingInterval: websocketKeepAlive,
			PingPongInterval:      websocketKeepAlive,
			MissingPongOk:         true,
		})
	}
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](100)})
	limits.Install(srv, opts.Limits, lru.New[*ast.QueryDocument](queryCacheSize))
	srv.SetErrorPresenter(ErrorPresenter(log))
	srv.SetRecoverFunc(RecoverFunc(log))
	if opts.AroundOperations != nil {
		srv.AroundOperations(opts.AroundOperations)
	}
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
		client.IP, _, _ = net.SplitHostPort(req.RemoteAddr) // the edge's client address
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
		if isUpgrade(req) {
			// A websocket lives as long as the client keeps it: no request
			// timeout. Its caller may also log in through connection_init.
			ctx := context.WithValue(r.Prepare(req.Context(), v, client), websocketKey{}, true)
			ctx = limits.WithConnection(ctx) // bounds its subscriptions
			next.ServeHTTP(w, req.WithContext(ctx))
			return
		}
		// The request's deadline is the edge's (CHAOQER_OPERATION_TIMEOUT).
		next.ServeHTTP(w, req.WithContext(r.Prepare(req.Context(), v, client)))
	})
}

// websocketKey marks the context of a websocket connection.
type websocketKey struct{}

func isUpgrade(req *http.Request) bool {
	return strings.EqualFold(req.Header.Get("Upgrade"), "websocket")
}

// WebsocketInit authenticates a websocket connection from the
// Authorization entry of its connection_init payload (same format as the
// HTTP header); without one, the connection keeps the caller of the
// upgrade request's header (or stays anonymous).
func (r *Resolver) WebsocketInit(ctx context.Context, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	h := payload.Authorization()
	if h == "" {
		return ctx, nil, nil
	}
	v, err := r.Accounts.AuthenticateHeader(ctx, h)
	if err != nil {
		if e, ok := errs.As(err); ok && e.Kind == errs.KindUnauthenticated {
			return ctx, nil, errors.New("invalid Authorization")
		}
		r.Log.Error("authenticating a websocket", "err", err)
		return ctx, nil, errors.New("internal server error")
	}
	return r.Prepare(ctx, v, viewer.ClientFrom(ctx)), nil, nil
}

// FreshLoaders gives each operation on a websocket its own dataloaders, so
// cached rows never outlive one operation on a long-lived connection.
func (r *Resolver) FreshLoaders(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if ws, _ := ctx.Value(websocketKey{}).(bool); ws {
		ctx = loader.With(ctx, loader.New(loader.Services{Users: r.Users}, viewer.UID(ctx)))
	}
	return next(ctx)
}
