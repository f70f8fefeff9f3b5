package app

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql/playground"
	"github.com/gin-gonic/gin"

	"chaoqer/app/health"
	"chaoqer/ent/migrate"
	"chaoqer/graph"
	"chaoqer/graph/storage"
	"chaoqer/rest"
)

// buildRouter mounts GraphQL, the Playground, the legacy REST routes, the
// room WebSocket and the local image store on one gin engine.
func (a *App) buildRouter(s *services) (*gin.Engine, error) {
	cfg, log := a.Config, a.log
	legacy, err := rest.New(rest.Config{
		Schema:        s.schema,
		Executor:      graph.NewExecutor(s.schema, log),
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
	e.Use(gin.Recovery())
	// Probes and metrics come first: gin fixes a route's middleware when the
	// route is registered, so these never pass through the middleware added
	// below (CORS, request logs, rate limits, ...).
	a.mountProbes(e)
	e.Use(rest.CORS(cfg.CORSOrigins))
	if cfg.CountStatements {
		e.Use(rest.CountStatements())
	}
	rest.Configure(e)
	gql := a.Resolver.Middleware(graph.NewHandler(s.schema, log, graph.HandlerOptions{
		Introspection:    cfg.Introspection,
		WebsocketInit:    a.Resolver.WebsocketInit,
		AroundOperations: a.Resolver.FreshLoaders,
	}))
	e.POST("/graphql", gin.WrapH(gql))
	e.GET("/graphql", gin.WrapH(gql))
	pg := gin.WrapH(playground.Handler("Chaoqer GraphQL", "/graphql"))
	e.GET("/", pg)
	e.GET("/playground", pg)
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

// mountProbes registers /livez and /readyz (see package health).
func (a *App) mountProbes(e *gin.Engine) {
	e.GET("/livez", gin.WrapH(health.LiveHandler()))
	e.GET("/readyz", gin.WrapH(a.health.ReadyHandler()))
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
// expects. Versioned migrations (issue 11 item 5) replace this with a
// comparison of the applied migration version; until then every table of
// ent's schema must exist.
func (a *App) schemaChecker() health.SchemaChecker {
	tables := make([]string, 0, len(migrate.Tables))
	for _, t := range migrate.Tables {
		tables = append(tables, t.Name)
	}
	return health.TablesExist(a.DB.SQL, a.DB.IsPostgres(), tables)
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
	a.roomSrv = &http.Server{Handler: a.RoomWS, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := a.roomSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("room WebSocket listener stopped", "err", err)
		}
	}()
	a.log.Info("room WebSocket listening", "addr", a.RoomWSAddr)
	return nil
}
