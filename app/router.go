package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"
	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"chaoqer/app/edge"
	"chaoqer/app/graphiql"
	"chaoqer/app/health"
	"chaoqer/app/metrics"
	"chaoqer/app/observe"
	"chaoqer/graph"
	"chaoqer/graph/gqlws"
	"chaoqer/graph/storage"
	"chaoqer/graph/viewer"
	"chaoqer/rest"
)

// buildRouter mounts GraphQL, the Playground, the legacy REST routes, the
// room WebSocket and the local image store on one gin engine.
func (a *App) buildRouter(s *services) (*gin.Engine, error) {
	cfg, log := a.Config, a.log
	// The legacy routes run on their own executor, instrumented like the
	// GraphQL endpoint (see instrumentGraphQL).
	legacyExec := graph.NewExecutor(s.schema, log, cfg.graphQLLimits())
	legacy, err := rest.New(rest.Config{
		Schema:        s.schema,
		Executor:      legacyExec,
		Auth:          a.Resolver.Accounts,
		Prepare:       a.Resolver.Prepare,
		DefaultSecret: cfg.DefaultSecret,
		SignMaxSkew:   cfg.SignMaxSkew,
		Replays:       s.kv,
		Log:           log,
	})
	if err != nil {
		return nil, err
	}

	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	_ = e.SetTrustedProxies(nil) // the edge decides the client address (RemoteAddr)
	e.Use(gin.Recovery())
	// Probes and metrics come first: gin fixes a route's middleware when the
	// route is registered, so these never pass through the middleware added
	// below (CORS, request logs, rate limits, ...).
	a.mountProbes(e)
	e.Use(observe.Middleware(log), rest.CORS(cfg.CORSOrigins, cfg.Dev))
	if cfg.CountStatements {
		e.Use(rest.CountStatements())
	}
	rest.Configure(e)
	gqlSrv := graph.NewHandler(s.schema, log, graph.HandlerOptions{
		Limits:        cfg.graphQLLimits(),
		WebsocketInit: countedInit(a.Resolver.WebsocketInit),
		// A subscriber that stops answering leaves its live room within
		// the room idle timeout, as a legacy room socket does.
		WebsocketKeepAlive:   cfg.Room.IdleTimeout,
		WebsocketInitTimeout: cfg.Room.WSInitTimeout,
		AroundOperations:     a.Resolver.FreshLoaders,
		WrapWebsocket: func(impl transport.WebsocketImplementation) transport.WebsocketImplementation {
			return goingAway{impl, &a.away}
		},
	})
	ext := observe.NewGraphQL(cfg.tracer(), legacy.OperationNames())
	presenter := observe.CountErrors(graph.ErrorPresenter(log))
	gqlSrv.Use(ext)
	gqlSrv.SetErrorPresenter(presenter)
	legacyExec.Use(ext)
	legacyExec.SetErrorPresenter(presenter)
	gql := a.Resolver.Middleware(gqlSrv)
	e.POST("/graphql", gin.WrapH(gql))
	e.GET("/graphql", a.socketsGoAway, gin.WrapH(gql))
	playground := graphiql.New()
	e.GET("/", gin.WrapF(playground.Page))
	e.GET("/playground", gin.WrapF(playground.Page))
	e.GET(graphiql.AssetPrefix+"*file", gin.WrapF(playground.Asset))
	legacy.Mount(e)
	e.GET("/room-ws/:roomId", func(c *gin.Context) { a.RoomWS.Serve(c.Writer, c.Request, c.Param("roomId")) })
	if s.localStore != nil {
		// Transport for the local image store: PUT with a signed URL, GET/HEAD the image.
		h := gin.WrapH(s.localStore)
		for _, m := range []string{http.MethodPut, http.MethodGet, http.MethodHead} {
			e.Handle(m, storage.LocalPathPrefix+"*key", h)
		}
	}
	return e, nil
}

// mountProbes registers the paths of health.Paths: /livez, /readyz and,
// unless it has its own listener, /metrics.
func (a *App) mountProbes(e *gin.Engine) {
	e.GET(health.LivePath, gin.WrapH(health.LiveHandler()))
	e.GET(health.ReadyPath, gin.WrapH(a.health.ReadyHandler()))
	if a.Config.MetricsAddr == "" {
		e.GET(health.MetricsPath, gin.WrapH(a.metricsHandler()))
	}
}

// metricsHandler serves the Prometheus registry of this server.
func (a *App) metricsHandler() http.Handler {
	reg := metrics.NewRegistry(metrics.Sources{
		DB:              a.DB.SQL,
		Statements:      a.DB.Statements,
		PushQueueDepth:  a.push.Depth,
		PushDropped:     a.push.Dropped,
		OpenRooms:       func() int { rooms, _ := a.Live.Stats(); return rooms },
		RoomConnections: func() int { _, conns := a.Live.Stats(); return conns },
	})
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
}

// listenMetrics serves /metrics on Config.MetricsAddr when it is set.
func (a *App) listenMetrics() error {
	if a.Config.MetricsAddr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", a.Config.MetricsAddr)
	if err != nil {
		return fmt.Errorf("metrics listener: %w", err)
	}
	a.MetricsAddr = ln.Addr().String()
	mux := http.NewServeMux()
	mux.Handle("GET "+health.MetricsPath, a.metricsHandler())
	a.metricsSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	a.undo = append(a.undo, func() { _ = a.metricsSrv.Close() })
	go func() {
		if err := a.metricsSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("metrics listener stopped", "err", err)
		}
	}()
	a.log.Info("metrics listening", "addr", a.MetricsAddr)
	return nil
}

// readiness lists what /readyz checks: the database answers, its schema is
// the expected one, the room event bus listens.
func (a *App) readiness() *health.Checker {
	return health.New(a.log,
		health.Database(a.DB.SQL),
		health.Schema(a.schemaChecker()),
		health.Listening("room_bus", a.roomBus),
	)
}

// schemaChecker tells whether the database schema is the one this binary
// expects: no migration file of this binary is pending (a database a newer
// release migrated further is ready too).
func (a *App) schemaChecker() health.SchemaChecker {
	return health.SchemaCheckFunc(func(ctx context.Context) error {
		current, expected, pending, err := a.DB.MigrationStatus(ctx)
		if err != nil {
			return err
		}
		if pending > 0 {
			return fmt.Errorf("schema at %q, %d migration(s) pending up to %q", current, pending, expected)
		}
		return nil
	})
}

// countedInit counts a GraphQL socket against its uid's connection limit
// once connection_init has said who it is (edge.ClaimUID; an upgrade that
// carried Authorization counts already); over the limit the socket closes
// with 1008 (policy violation) and a reason naming the limit, as the edge
// closes sockets refused at the upgrade.
func countedInit(init transport.WebsocketInitFunc) transport.WebsocketInitFunc {
	return func(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
		ctx, ack, err := init(ctx, p)
		if err != nil {
			return ctx, ack, err
		}
		if v := viewer.From(ctx); v != nil {
			if err := edge.ClaimUID(ctx, v.UID); err != nil {
				return ctx, nil, gqlws.CloseError{Code: websocket.StatusPolicyViolation, Reason: err.Error()}
			}
		}
		return ctx, ack, nil
	}
}

// behindEdge puts the edge (client address, rate, body and socket limits,
// deadlines) in front of the engine, except for the probes and metrics
// (health.IsProbe): an orchestrator polling them must never be refused.
func (a *App) behindEdge() http.Handler {
	ecfg := a.Config.edgeConfig()
	ecfg.Answered = observe.Answered // a refusal still gets its access line (observe.Finish)
	a.edge = edge.New(ecfg, func(r *http.Request) (string, context.Context) {
		// The outcome travels in the request's context: the GraphQL
		// middleware, the legacy handler and the room socket answer from
		// it (account.Service.AuthenticateHeader) instead of checking the
		// session again.
		// The check runs before the edge sets the operation's deadline;
		// the account service bounds it by the same timeout
		// (account.Config.CheckTimeout).
		h := r.Header.Get("Authorization")
		v, err := a.Resolver.Accounts.AuthenticateHeader(r.Context(), h)
		ctx := viewer.WithAuthentication(r.Context(), viewer.Authentication{Header: h, Viewer: v, Err: err})
		if err != nil || v == nil {
			return "", ctx
		}
		return v.UID, ctx
	})
	// Every GET route answers HEAD too (RFC 9110 §9.3.2), probes included:
	// gin routes by method, so HEAD is served as the GET it asks about.
	engine := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			r = observe.AsGet(r)
		}
		a.Engine.ServeHTTP(w, r)
	})
	edged := a.edge.Wrap(engine)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if health.IsProbe(r.URL.Path) {
			engine.ServeHTTP(w, r)
			return
		}
		r, info := observe.Begin(w, r)
		edged.ServeHTTP(w, r)
		observe.Finish(a.log, r, info)
	})
}

// listenRoomWS serves the legacy room WebSocket on its own address too, when
// Config.Room.WSAddr is set (like the original port 18081).
func (a *App) listenRoomWS() error {
	if a.Config.Room.WSAddr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", a.Config.Room.WSAddr)
	if err != nil {
		return fmt.Errorf("room WebSocket listener: %w", err)
	}
	a.RoomWSAddr = ln.Addr().String()
	// The original listener's shape: the room id is the whole path. The
	// engine only adds the request instrumentation.
	re := gin.New()
	re.Use(gin.Recovery(), observe.RoomListenerMiddleware(a.log))
	re.NoRoute(func(c *gin.Context) { a.RoomWS.ServeHTTP(c.Writer, c.Request) })
	a.roomSrv = &http.Server{Handler: a.edge.Wrap(re), ReadHeaderTimeout: 10 * time.Second}
	a.undo = append(a.undo, func() { _ = a.roomSrv.Close() })
	go func() {
		if err := a.roomSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("room WebSocket listener stopped", "err", err)
		}
	}()
	a.log.Info("room WebSocket listening", "addr", a.RoomWSAddr)
	return nil
}
