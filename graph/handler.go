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

	"chaoqer/ent/entdb"
	"chaoqer/graph/errs"
	"chaoqer/graph/gqlws"
	"chaoqer/graph/inputcheck"
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
// recovery, input check).
func NewExecutor(es graphql.ExecutableSchema, log *slog.Logger, lim limits.Config) *executor.Executor {
	e := executor.New(es)
	e.Use(inputcheck.New(es.Schema()))
	limits.Install(e, lim, lru.New[*ast.QueryDocument](queryCacheSize), ReadAfterWrite)
	e.SetErrorPresenter(ErrorPresenter(log))
	e.SetRecoverFunc(RecoverFunc(log))
	e.Use(subscriptionsOverWebsocket{})
	e.Use(selectionMemo{})
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
	// WebsocketKeepAlive bounds how long a subscription socket that stops
	// answering pings stays open (and so stays in a live room); see
	// gqlws.Transport.KeepAlive. Zero means gqlws.DefaultKeepAlive.
	WebsocketKeepAlive time.Duration
	// WebsocketInitTimeout is how long a socket may wait before
	// connection_init (zero: gqlws.DefaultInitTimeout).
	WebsocketInitTimeout time.Duration
	// AroundOperations runs around every operation (fresh per-operation
	// dataloaders on long-lived websocket connections).
	AroundOperations graphql.OperationMiddleware
	// WrapWebsocket, when set, decorates the websocket implementation (the
	// server's shutdown closes sockets with 1001 through it).
	WrapWebsocket func(transport.WebsocketImplementation) transport.WebsocketImplementation
}

// legacyKeepAlive is how often sockets of the older graphql-ws
// subprotocol get a keep-alive message.
const legacyKeepAlive = 10 * time.Second

// NewHandler returns the GraphQL HTTP endpoint (POST and GET).
func NewHandler(es graphql.ExecutableSchema, log *slog.Logger, opts HandlerOptions) *handler.Server {
	srv := handler.New(es)
	if opts.WebsocketInit != nil {
		// Credentials travel in headers or connection_init, never in
		// cookies, so a foreign page gains nothing by connecting.
		accept := coderws.AcceptOptions{InsecureSkipVerify: true}
		var legacyImpl transport.WebsocketImplementation = transport.CoderWebsocketImplementation{AcceptOptions: accept}
		if opts.WrapWebsocket != nil {
			legacyImpl = opts.WrapWebsocket(legacyImpl)
		}
		// graphql-transport-ws with its close codes; gqlgen's transport
		// keeps serving the older graphql-ws subprotocol.
		srv.AddTransport(gqlws.Transport{
			InitFunc:      markWebsocket(opts.WebsocketInit),
			InitTimeout:   opts.WebsocketInitTimeout,
			KeepAlive:     opts.WebsocketKeepAlive,
			AcceptOptions: accept,
			Log:           log,
			Legacy: transport.Websocket{
				Implementation:        legacyImpl,
				InitFunc:              markWebsocket(opts.WebsocketInit),
				InitTimeout:           30 * time.Second,
				KeepAlivePingInterval: legacyKeepAlive,
			},
		})
	}
	srv.AddTransport(transport.Options{})
	srv.AddTransport(overHTTP{transport.GET{}})
	// Not wrapped: it streams (needs the writer's Flusher) and reports
	// errors in its own parts.
	srv.AddTransport(multipartMixed{}) // @defer, see incremental.go
	srv.AddTransport(overHTTP{transport.POST{}})
	srv.AddTransport(unsupportedMedia{}) // last: any POST no transport above took
	srv.Use(inlineDefer{})
	srv.Use(subscriptionsOverWebsocket{})
	srv.Use(selectionMemo{})
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](100)})
	// Input first: an overflowing number is a validation error, not a cost.
	srv.Use(inputcheck.New(es.Schema()))
	// ReadAfterWrite runs inside the limits' field check: one field
	// interceptor, so one closure per field (every field goes through it).
	limits.Install(srv, opts.Limits, lru.New[*ast.QueryDocument](queryCacheSize), ReadAfterWrite)
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
	return loader.With(ctx, r.loaders(uid))
}

// loaders are a new operation's dataloaders, reading from every service.
func (r *Resolver) loaders(viewerUID string) *loader.Loaders {
	return loader.New(loader.Services{Users: r.Users, Clubs: r.Clubs, Rooms: r.Rooms, Events: r.Events}, viewerUID)
}

// Middleware authenticates GraphQL HTTP requests from their Authorization
// header (absent = anonymous, invalid = 401 with an UNAUTHENTICATED GraphQL
// error, like every other authentication failure) and prepares the context.
func (r *Resolver) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		client, ok := viewer.ParseClient(req.Header.Get("Client-Type"), req.Header.Get("Version-Name"), req.Header.Get("Version-Code"))
		if !ok {
			writeRequestError(w, req, http.StatusBadRequest,
				requestError("malformed Client-Type, Version-Name or Version-Code header", errs.ExtBadRequest, errs.CodeFailure))
			return
		}
		client.IP, _, _ = net.SplitHostPort(req.RemoteAddr) // the edge's client address
		var v *viewer.Viewer
		if h := req.Header.Get("Authorization"); h != "" {
			var err error
			v, err = r.Accounts.AuthenticateHeader(req.Context(), h)
			if isUpgrade(req) {
				// A connection_init with the same Authorization takes
				// this outcome (WebsocketInit).
				req = req.WithContext(viewer.WithAuthentication(req.Context(), viewer.Authentication{Header: h, Viewer: v, Err: err}))
			}
			if e, ok := errs.As(err); ok && e.Kind == errs.KindUnauthenticated && isUpgrade(req) {
				// WebSocket clients learn it from their protocol: the
				// connection_init is refused (4403), and they stop.
				req = req.WithContext(context.WithValue(req.Context(), badCredentialsKey{}, true))
				err = nil
			}
			if err != nil {
				if e, ok := errs.As(err); ok && e.Kind == errs.KindUnauthenticated {
					// The same shape as a missing login (@login), with 401.
					writeRequestError(w, req, http.StatusUnauthorized,
						requestError(e.Message, errs.ExtUnauthenticated, e.Code))
					return
				}
				if entdb.Canceled(err) {
					// The session could not be read before the deadline.
					writeRequestError(w, req, http.StatusServiceUnavailable,
						requestError(errs.RequestCanceled, errs.ExtUnavailable, errs.CodeFailure))
					return
				}
				r.Log.ErrorContext(req.Context(), "authenticating a GraphQL request", "err", err)
				writeRequestError(w, req, http.StatusInternalServerError,
					requestError(internalMessage, errs.ExtInternal, errs.CodeFailure))
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

// websocketKey marks the context of a websocket connection;
// badCredentialsKey one whose upgrade request had an invalid Authorization.
type (
	websocketKey      struct{}
	badCredentialsKey struct{}
)

func isUpgrade(req *http.Request) bool {
	return strings.EqualFold(req.Header.Get("Upgrade"), "websocket")
}

// WebsocketInit authenticates a websocket connection from the
// Authorization entry of its connection_init payload (same format as the
// HTTP header); without one, the connection keeps the caller of the
// upgrade request's header (or stays anonymous). Invalid credentials in
// either place refuse the connection: 4403 Forbidden.
func (r *Resolver) WebsocketInit(ctx context.Context, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	// gqlgen's graphql-ws transport takes the close code from the context.
	refused := transport.WithWebsocketCloseCode(ctx, int(gqlws.CloseForbidden))
	h := payload.Authorization()
	if h == "" {
		if bad, _ := ctx.Value(badCredentialsKey{}).(bool); bad {
			return refused, nil, errors.New("invalid Authorization")
		}
		return ctx, nil, nil
	}
	v, err := r.Accounts.AuthenticateHeader(ctx, h)
	if err != nil {
		if e, ok := errs.As(err); ok && e.Kind == errs.KindUnauthenticated {
			return refused, nil, errors.New("invalid Authorization")
		}
		if entdb.Canceled(err) {
			// The session could not be read in time (a lock, an overloaded
			// database; account.Config.CheckTimeout): the client may
			// reconnect.
			return transport.WithWebsocketCloseCode(ctx, int(gqlws.CloseTryAgainLater)), nil,
				gqlws.CloseError{Code: gqlws.CloseTryAgainLater, Reason: errs.RequestCanceled}
		}
		r.Log.ErrorContext(ctx, "authenticating a websocket", "err", err)
		return transport.WithWebsocketCloseCode(ctx, int(gqlws.CloseInternalError)), nil,
			gqlws.CloseError{Code: gqlws.CloseInternalError, Reason: "Internal server error"}
	}
	return r.Prepare(ctx, v, viewer.ClientFrom(ctx)), nil, nil
}

// FreshLoaders gives each operation on a websocket its own dataloaders, so
// cached rows never outlive one operation on a long-lived connection.
func (r *Resolver) FreshLoaders(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if ws, _ := ctx.Value(websocketKey{}).(bool); ws {
		ctx = loader.With(ctx, r.loaders(viewer.UID(ctx)))
	}
	return next(ctx)
}
