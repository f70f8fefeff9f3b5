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
	"chaoqer/graph/admin"
	"chaoqer/graph/agora"
	"chaoqer/graph/appinfo"
	"chaoqer/graph/bus"
	"chaoqer/graph/club"
	"chaoqer/graph/event"
	"chaoqer/graph/ids"
	"chaoqer/graph/kvstore"
	"chaoqer/graph/linkpreview"
	"chaoqer/graph/live"
	"chaoqer/graph/message"
	"chaoqer/graph/push"
	"chaoqer/graph/room"
	"chaoqer/graph/sms"
	"chaoqer/graph/storage"
	"chaoqer/graph/user"
	"chaoqer/graph/wechat"
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

	push     *push.Queue
	previews *linkpreview.Service
	roomBus  bus.Bus
	roomSrv  *http.Server
	stop     context.CancelFunc
	jobs     sync.WaitGroup
}

// New opens the database, applies its pending migrations (unless
// cfg.SkipMigrations) and builds every service and route.
func New(ctx context.Context, cfg Config, log *slog.Logger) (_ *App, err error) {
	dbOpts := []entdb.Option{entdb.WithLogger(log)}
	if cfg.SkipMigrations {
		dbOpts = append(dbOpts, entdb.WithoutMigrations())
	}
	db, err := entdb.Open(ctx, cfg.DatabaseURL, dbOpts...)
	if err != nil {
		return nil, err
	}
	if cfg.SkipMigrations {
		if current, expected, n, err := db.MigrationStatus(ctx); err == nil && n > 0 {
			log.Warn("schema migrations pending (CHAOQER_MIGRATE=off): run `chaoqer migrate up`",
				"current", current, "expected", expected, "pending", n)
		}
	}
	if cfg.DatabaseURL == "" {
		log.Info("database: embedded SQLite", "path", entdb.DefaultSQLitePath)
	} else {
		log.Info("database: " + db.Dialect)
	}
	// On a failure below, close whatever was opened, newest first.
	var undo []func()
	defer func() {
		if err != nil {
			for i := len(undo) - 1; i >= 0; i-- {
				undo[i]()
			}
		}
	}()
	undo = append(undo, func() { db.Close() })

	a := &App{Config: cfg, DB: db}
	kv := kvstore.New(db.Client, db.Dialect)
	pusher, err := pushSender(cfg, log)
	if err != nil {
		return nil, err
	}
	texter, err := smsSender(cfg, log)
	if err != nil {
		return nil, err
	}
	store, localStore, err := imageStore(ctx, cfg, kv, log)
	if err != nil {
		return nil, err
	}
	a.push = push.NewQueue(pusher, 4, 10_000, log)
	undo = append(undo, a.push.Close)
	a.previews = linkpreview.New(db, linkpreview.NewFetcher(linkpreview.Options{}), log, linkPreviewWorkers, linkPreviewQueue)
	undo = append(undo, a.previews.Close)

	accounts := account.New(db.Client, kv, texter, a.push, log, account.Config{
		WhiteMobiles: cfg.WhiteMobiles, SessionCacheTTL: cfg.SessionCacheTTL,
	})
	messages := message.New(db.Client, a.push)
	users := user.New(db, accounts, messages, cfg.LiveUIDs)
	clubs := club.New(db)
	rooms := room.New(db, clubs, users, messages, kv, rtcTokens(cfg, log))
	// The room service closes rooms for the live service (auto-close, sweeper),
	// and every close, whoever asks for it, ends the room's connections.
	a.Live = live.New(db, kv, rooms, linkRecorder{a.previews, log}, log,
		live.Config{SweepAfter: cfg.Room.SweepAfter, RefreshEvery: cfg.Room.PresenceRefresh, CloseGrace: cfg.Room.CloseGrace})
	if a.roomBus, err = newRoomBus(ctx, cfg, db, kv, a.Live, log); err != nil {
		return nil, err
	}
	undo = append(undo, func() { a.roomBus.Close() })
	a.Live.SetBus(a.roomBus)
	rooms.OnClose = a.Live.RoomClosed
	a.RoomWS = roomws.New(a.Live, accounts, log, roomws.Config{IdleTimeout: cfg.Room.IdleTimeout})
	if cfg.WeChat.AppID == "" {
		log.Info("WeChat: not configured (set WECHAT_APP_ID and WECHAT_APP_SECRET); /h5/weixin/config answers a failure")
	}
	a.Resolver = &graph.Resolver{
		DB:           db,
		KV:           kv,
		Accounts:     accounts,
		Users:        users,
		Messages:     messages,
		Clubs:        clubs,
		Rooms:        rooms,
		Events:       event.New(db, rooms, users, messages),
		Log:          log,
		Live:         a.Live,
		Images:       storage.NewImages(store, log),
		App:          appinfo.New(db.Client),
		LinkPreviews: a.previews,
		WeChat:       wechat.New(wechat.Config{AppID: cfg.WeChat.AppID, AppSecret: cfg.WeChat.AppSecret, APIBase: cfg.WeChat.APIBase}, kv, log),
		Admin:        admin.New(cfg.AdminUIDs, messages),
	}
	es := graph.NewSchema(a.Resolver)
	legacy, err := rest.New(rest.Config{
		Schema:        es,
		Executor:      graph.NewExecutor(es, log),
		Auth:          accounts,
		Prepare:       a.Resolver.Prepare,
		DefaultSecret: cfg.DefaultSecret,
		SignMaxSkew:   cfg.SignMaxSkew,
		Replays:       kv,
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
	if localStore != nil {
		// Transport for the local image store: PUT with a signed URL, GET/HEAD the image.
		h := gin.WrapH(localStore)
		for _, m := range []string{http.MethodPut, http.MethodGet, http.MethodHead} {
			e.Handle(m, storage.LocalPathPrefix+"*key", h)
		}
	}
	a.Engine = e

	if cfg.Room.WSAddr != "" {
		ln, err := net.Listen("tcp", cfg.Room.WSAddr)
		if err != nil {
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
	a.background(func() { a.janitor(jobCtx, kv, log) })
	a.background(func() { a.Live.Run(jobCtx) })
	if cfg.ReminderInterval > 0 {
		a.background(func() { a.Resolver.Events.RunReminders(jobCtx, cfg.ReminderInterval, log) })
	} else {
		log.Info("event reminder job disabled on this instance (CHAOQER_REMINDER_INTERVAL=0)")
	}
	return a, nil
}

// background runs job until the app closes.
func (a *App) background(job func()) {
	a.jobs.Add(1)
	go func() {
		defer a.jobs.Done()
		job()
	}()
}

// linkRecorder hands links shared in live rooms to the preview service.
type linkRecorder struct {
	previews *linkpreview.Service
	log      *slog.Logger
}

// Record queues text for a preview; a failure only loses the preview.
func (r linkRecorder) Record(ctx context.Context, text string) {
	if err := r.previews.Record(ctx, text); err != nil {
		r.log.Warn("recording a shared link", "err", err)
	}
}

// Handler is the app's HTTP handler.
func (a *App) Handler() http.Handler { return a.Engine }

// Close stops background work, ends live-room connections (their rooms stay
// open; clients reconnect), flushes queued pushes and closes the database.
func (a *App) Close() error {
	a.stop()
	a.jobs.Wait()
	if a.roomSrv != nil {
		_ = a.roomSrv.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	a.Live.Shutdown(ctx)
	cancel() // Shutdown also closes the room bus
	a.previews.Close()
	a.push.Close()
	return a.DB.Close()
}

// janitor deletes expired rows every minute.
func (a *App) janitor(ctx context.Context, kv *kvstore.Store, log *slog.Logger) {
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
			if _, err := a.Resolver.Rooms.SweepSnapshots(ctx); err != nil && ctx.Err() == nil {
				log.Warn("sweeping expired share snapshots", "err", err)
			}
		}
	}
}

// Link preview fetches run on this many workers, with this many waiting.
const (
	linkPreviewWorkers = 4
	linkPreviewQueue   = 256
)

// rtcTokens is the Agora token builder of the configured credentials.
func rtcTokens(cfg Config, log *slog.Logger) agora.Builder {
	b := agora.New(cfg.AgoraAppID, cfg.AgoraCertificate)
	if !agora.Configured(b) {
		log.Warn("Agora RTC tokens: unavailable (AGORA_APP_ID and AGORA_APP_CERTIFICATE must be 32 hex characters); room token requests will fail")
	}
	return b
}

// imageStore selects Aliyun OSS when configured, else the local store
// (which it also returns, to mount its HTTP handler).
func imageStore(ctx context.Context, cfg Config, kv *kvstore.Store, log *slog.Logger) (storage.Store, *storage.Local, error) {
	if o := cfg.OSS; o.Bucket != "" {
		store, err := storage.NewOSS(storage.OSSConfig{
			Bucket: o.Bucket, Region: o.Region, Endpoint: o.Endpoint, Host: o.Host,
			AccessKeyID: o.AccessKeyID, AccessKeySecret: o.AccessKeySecret,
			RoleARN: o.RoleARN, RoleSessionName: cfg.Env, STSRegion: o.STSRegion,
			SignatureV1: o.SignatureVersion == "v1",
		})
		if err != nil {
			return nil, nil, err
		}
		log.Info("image uploads: Aliyun OSS", "bucket", o.Bucket, "sts", o.RoleARN != "")
		return store, nil, nil
	}
	key := []byte(cfg.Uploads.Secret)
	if len(key) == 0 {
		var err error
		if key, err = storage.LocalKey(ctx, kv); err != nil {
			return nil, nil, err
		}
	}
	dir := cfg.Uploads.Dir
	if dir == "" {
		dir = DefaultUploadDir
	}
	base := cfg.PublicURL
	if base == "" {
		base = defaultPublicURL(cfg.Addr)
	}
	local, err := storage.NewLocal(storage.LocalConfig{Dir: dir, BaseURL: base, Key: key, MaxBytes: cfg.Uploads.MaxBytes})
	if err != nil {
		return nil, nil, err
	}
	log.Info("image uploads: local store (set ALIYUN_OSS_BUCKET for Aliyun OSS)", "dir", dir, "url", base+storage.LocalPathPrefix)
	return local, local, nil
}

// defaultPublicURL is http://localhost (or the listen host) with Addr's port.
func defaultPublicURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://localhost"
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
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
