// Package app assembles the server: database, services, the GraphQL
// endpoint and Playground, the legacy REST routes and background jobs. The
// binary (server.go) and the black-box tests build the same App.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	"github.com/99designs/gqlgen/graphql/playground"
	"github.com/gin-gonic/gin"

	"chaoqer/ent/entdb"
	"chaoqer/graph"
	"chaoqer/graph/account"
	"chaoqer/graph/bus"
	"chaoqer/graph/ids"
	"chaoqer/graph/kvstore"
	"chaoqer/graph/live"
	"chaoqer/graph/message"
	"chaoqer/graph/push"
	"chaoqer/graph/sms"
	"chaoqer/graph/user"
	"chaoqer/rest"
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

	push    *push.Queue
	roomSrv *http.Server
	stop    context.CancelFunc
	done    chan struct{}
	jobs    sync.WaitGroup
}

// New opens the database, migrates it and builds every service and route.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*App, error) {
	db, err := entdb.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if cfg.DatabaseURL == "" {
		log.Info("database: embedded SQLite", "path", entdb.DefaultSQLitePath)
	} else {
		log.Info("database: " + db.Dialect)
	}
	a := &App{Config: cfg, DB: db, done: make(chan struct{})}
	kv := kvstore.New(db.Client, db.Dialect)
	pusher, err := pushSender(cfg, log)
	if err != nil {
		db.Close()
		return nil, err
	}
	texter, err := smsSender(cfg, log)
	if err != nil {
		db.Close()
		return nil, err
	}
	a.push = push.NewQueue(pusher, 4, 10_000, log)
	accounts := account.New(db.Client, kv, texter, a.push, log, account.Config{
		WhiteMobiles: cfg.WhiteMobiles, SessionCacheTTL: cfg.SessionCacheTTL,
	})
	messages := message.New(db.Client, a.push)
	// The room service (issue 3) brings its own RoomCloser and close hook;
	// until it is wired in, DBCloser does the database part of a close.
	a.Live = live.New(db, kv, live.DBCloser{Client: db.Client}, live.DBLinkRecorder{Client: db.Client, Log: log}, log,
		live.Config{SweepAfter: cfg.Room.SweepAfter, RefreshEvery: cfg.Room.PresenceRefresh, CloseGrace: cfg.Room.CloseGrace})
	roomBus, err := newRoomBus(ctx, cfg, db, kv, a.Live, log)
	if err != nil {
		db.Close()
		return nil, err
	}
	a.Live.SetBus(roomBus)
	a.RoomWS = roomws.New(a.Live, accounts, log, roomws.Config{IdleTimeout: cfg.Room.IdleTimeout})
	a.Resolver = &graph.Resolver{
		DB:       db,
		KV:       kv,
		Accounts: accounts,
		Users:    user.New(db, accounts, messages, cfg.LiveUIDs),
		Messages: messages,
		Log:      log,
		Live:     a.Live,
	}
	es := graph.NewSchema(a.Resolver)
	legacy, err := rest.New(rest.Config{
		Schema:        es,
		Executor:      graph.NewExecutor(es, log),
		Auth:          accounts,
		Prepare:       a.Resolver.Prepare,
		DefaultSecret: cfg.DefaultSecret,
		Log:           log,
	})
	if err != nil {
		roomBus.Close()
		db.Close()
		return nil, err
	}

	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.Use(gin.Recovery(), rest.CORS(cfg.CORSOrigins))
	if cfg.CountStatements {
		e.Use(rest.CountStatements())
	}
	rest.Configure(e)
	gql := a.Resolver.Middleware(graph.NewHandler(es, log, graph.HandlerOptions{
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
	a.Engine = e

	if cfg.Room.WSAddr != "" {
		ln, err := net.Listen("tcp", cfg.Room.WSAddr)
		if err != nil {
			roomBus.Close()
			db.Close()
			return nil, fmt.Errorf("room WebSocket listener: %w", err)
		}
		a.RoomWSAddr = ln.Addr().String()
		a.roomSrv = &http.Server{Handler: a.RoomWS, ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := a.roomSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("room WebSocket listener stopped", "err", err)
			}
		}()
		log.Info("room WebSocket listening", "addr", a.RoomWSAddr)
	}

	jobCtx, stop := context.WithCancel(context.Background())
	a.stop = stop
	go a.janitor(jobCtx, kv, log)
	a.jobs.Add(1)
	go func() {
		defer a.jobs.Done()
		a.Live.Run(jobCtx)
	}()
	return a, nil
}

// Handler is the app's HTTP handler.
func (a *App) Handler() http.Handler { return a.Engine }

// Close stops background work, ends live-room connections (their rooms stay
// open; clients reconnect), flushes queued pushes and closes the database.
func (a *App) Close() error {
	a.stop()
	<-a.done
	a.jobs.Wait()
	if a.roomSrv != nil {
		_ = a.roomSrv.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	a.Live.Shutdown(ctx)
	cancel()
	a.push.Close()
	return a.DB.Close()
}

// janitor deletes expired rows every minute.
func (a *App) janitor(ctx context.Context, kv *kvstore.Store, log *slog.Logger) {
	defer close(a.done)
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := kv.Sweep(ctx); err != nil && ctx.Err() == nil {
				log.Warn("sweeping expired keys", "err", err)
			}
			if err := a.Resolver.Accounts.SweepSMSLog(ctx); err != nil && ctx.Err() == nil {
				log.Warn("sweeping the SMS log", "err", err)
			}
		}
	}
}

// smsSender picks Aliyun when its access key is configured, else the log
// provider. A half-configured Aliyun is a startup error, not a silent fallback.
func smsSender(cfg Config, log *slog.Logger) (sms.Sender, error) {
	c := cfg.SMS
	if c.AccessKeyID == "" {
		log.Info("SMS provider: log (codes are written to this log, no SMS is sent); set ALIYUN_SMS_ACCESS_KEY_ID for Aliyun")
		return sms.Log{Logger: log}, nil
	}
	s, err := sms.NewAliyun(sms.AliyunConfig{
		AccessKeyID: c.AccessKeyID, AccessKeySecret: c.AccessKeySecret,
		SignName: c.SignName, TemplateCode: c.TemplateCode, Endpoint: c.Endpoint,
	}, log)
	if err != nil {
		return nil, fmt.Errorf("ALIYUN_SMS_*: %w", err)
	}
	log.Info("SMS provider: Aliyun Dysms", "endpoint", c.Endpoint, "signName", c.SignName, "template", c.TemplateCode)
	return s, nil
}

// pushSender picks JPush when its app key is configured, else the log sender.
func pushSender(cfg Config, log *slog.Logger) (push.Sender, error) {
	c := cfg.Push
	if c.AppKey == "" {
		log.Info("push provider: log (nothing is pushed); set JPUSH_APP_KEY for JPush")
		return push.Log{Logger: log}, nil
	}
	s, err := push.NewJPush(push.JPushConfig{
		AppKey: c.AppKey, MasterSecret: c.MasterSecret, Env: cfg.Env,
		APIURL: c.APIURL, DeviceURL: c.DeviceURL, APNsProduction: c.APNsProduction,
	}, log)
	if err != nil {
		return nil, fmt.Errorf("JPUSH_*: %w", err)
	}
	log.Info("push provider: JPush", "api", c.APIURL, "device", c.DeviceURL,
		"aliasPrefix", cfg.Env+"_", "apnsProduction", c.APNsProduction)
	return s, nil
}

// newRoomBus carries room events between instances: LISTEN/NOTIFY on
// PostgreSQL, in process on SQLite (one instance per database file).
func newRoomBus(ctx context.Context, cfg Config, db *entdb.DB, kv *kvstore.Store, svc *live.Service, log *slog.Logger) (bus.Bus, error) {
	if db.Dialect != dialect.Postgres {
		log.Info("room events: in process (SQLite serves one instance)")
		return bus.NewLocal(svc.Deliver), nil
	}
	channel, err := bus.ChannelFor(ctx, db.SQL)
	if err != nil {
		return nil, err
	}
	b, err := bus.NewPostgres(bus.PostgresConfig{
		URL: cfg.DatabaseURL, DB: db.SQL, Channel: channel, Origin: svc.InstanceID(),
		Store: kv, Handler: svc.Deliver, Log: log, NewID: ids.New,
	})
	if err != nil {
		return nil, err
	}
	log.Info("room events: PostgreSQL LISTEN/NOTIFY", "channel", channel, "instance", svc.InstanceID())
	return b, nil
}
