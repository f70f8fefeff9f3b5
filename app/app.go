// Package app assembles the server: database, services, the GraphQL
// endpoint and Playground, the legacy REST routes and background jobs. The
// binary (server.go) and the black-box tests build the same App.
//
// The assembly is split by concern: services.go builds the database and the
// domain services, router.go the HTTP routes, jobs.go the background work.
package app

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/gin-gonic/gin"

	"chaoqer/app/edge"
	"chaoqer/app/health"
	"chaoqer/app/observe"
	"chaoqer/ent/entdb"
	"chaoqer/graph"
	"chaoqer/graph/bus"
	"chaoqer/graph/linkpreview"
	"chaoqer/graph/live"
	"chaoqer/graph/push"
	"chaoqer/rest/roomws"
)

// App is a running server's state.
type App struct {
	Config   Config
	DB       *entdb.DB
	Resolver *graph.Resolver
	Engine   *gin.Engine
	// Live is the live-room service; RoomWS serves the legacy room
	// WebSocket (also mounted at /room-ws/{roomId} on the main listener).
	Live   *live.Service
	RoomWS *roomws.Handler
	// RoomWSAddr is the bound address of the second room WebSocket
	// listener ("" when Config.Room.WSAddr is unset).
	RoomWSAddr string
	// MetricsAddr is the bound address of the metrics listener ("" when
	// Config.MetricsAddr is unset: /metrics is on the main listener).
	MetricsAddr string

	log        *slog.Logger
	health     *health.Checker
	push       *push.Queue
	previews   *linkpreview.Service
	roomBus    bus.Bus
	roomSrv    *http.Server
	metricsSrv *http.Server
	handler    http.Handler
	edge       *edge.Edge // rate, body and socket limits in front of both APIs
	stop       context.CancelFunc
	jobs       sync.WaitGroup
	// away is set when shutdown begins; sockets ends then, closing the
	// GraphQL sockets (see shutdown.go).
	away         atomic.Bool
	sockets      context.Context
	closeSockets context.CancelFunc
	closeOnce    sync.Once
	closeErr     error
	// undo closes, newest first, what New opened when a later step fails.
	// Their errors are dropped: New already returns the error that failed it.
	undo []func()
}

// New opens the database, applies its pending migrations (unless
// cfg.SkipMigrations) and builds every service, route and
// background job.
func New(ctx context.Context, cfg Config, log *slog.Logger) (_ *App, err error) {
	a := &App{Config: cfg, log: log}
	a.sockets, a.closeSockets = context.WithCancel(context.Background())
	defer func() {
		if err != nil {
			for i := len(a.undo) - 1; i >= 0; i-- {
				a.undo[i]()
			}
		}
	}()
	s, err := a.buildServices(ctx)
	if err != nil {
		return nil, err
	}
	a.health = a.readiness()
	if a.Engine, err = a.buildRouter(s); err != nil {
		return nil, err
	}
	a.handler = observe.Handler(a.behindEdge(), cfg.tracer())
	if err := a.listenRoomWS(); err != nil {
		return nil, err
	}
	if err := a.listenMetrics(); err != nil {
		return nil, err
	}
	a.startJobs(s)
	return a, nil
}

// Handler is the app's HTTP handler: the engine inside the server spans.
func (a *App) Handler() http.Handler { return a.handler }
