package app

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql/playground"
	"github.com/gin-gonic/gin"

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
	e.Use(gin.Recovery(), rest.CORS(cfg.CORSOrigins))
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
