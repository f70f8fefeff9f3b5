package app

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"

	"entgo.io/ent/dialect"
	"github.com/99designs/gqlgen/graphql"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"

	"chaoqer/app/metrics"
	"chaoqer/app/observe"
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
	"chaoqer/rest/roomws"
)

// services is what buildServices hands to the router and the jobs beside
// the App's exported fields.
type services struct {
	kv     *kvstore.Store
	schema graphql.ExecutableSchema
	// localStore is the local image store, nil when OSS is configured.
	localStore *storage.Local
}

// buildServices opens (and migrates) the database and builds the domain
// services, the resolver and the live-room machinery. What it opens is
// registered in a.undo.
func (a *App) buildServices(ctx context.Context) (*services, error) {
	cfg, log := a.Config, a.log
	dbOpts := []entdb.Option{entdb.WithTracerProvider(cfg.tracer()), entdb.WithLogger(log)}
	if cfg.SkipMigrations {
		dbOpts = append(dbOpts, entdb.WithoutMigrations())
	}
	db, err := entdb.Open(ctx, cfg.DatabaseURL, dbOpts...)
	if err != nil {
		return nil, err
	}
	a.undo = append(a.undo, func() { _ = db.Close() })
	if cfg.SkipMigrations {
		current, expected, n, err := db.MigrationStatus(ctx)
		switch {
		case err != nil:
			return nil, err
		case current == "":
			// Nothing to serve on: every request would fail on a missing table.
			return nil, fmt.Errorf("CHAOQER_MIGRATE=off and the database has no migrated schema: run `chaoqer migrate up` (expected version %s)", expected)
		case n > 0:
			log.Warn("schema migrations pending (CHAOQER_MIGRATE=off): run `chaoqer migrate up`",
				"current", current, "expected", expected, "pending", n)
		}
	}
	if cfg.DatabaseURL == "" {
		log.Info("database: embedded SQLite", "path", entdb.DefaultSQLitePath)
	} else {
		log.Info("database: " + db.Dialect)
	}
	a.DB = db

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
	a.undo = append(a.undo, a.push.Close)
	a.previews = linkpreview.New(db, linkpreview.NewFetcher(linkpreview.Options{WrapTransport: cfg.traced}), log, linkPreviewWorkers, linkPreviewQueue)
	a.undo = append(a.undo, a.previews.Close)

	accounts := account.New(db.Client, kv, texter, a.push, log, account.Config{
		WhiteMobiles: cfg.WhiteMobiles, SessionCacheTTL: cfg.SessionCacheTTL, CheckTimeout: cfg.Edge.OperationTimeout,
		CodesPerAddrHour: cfg.Captcha.PerAddrHour, WrongPerAddrHour: cfg.Captcha.WrongPerAddrHour,
		Refused: metrics.RateLimited,
	})
	messages := message.New(db.Client, a.push)
	users := user.New(db, accounts, messages, cfg.LiveUIDs)
	users.CacheProfiles(cfg.ProfileCacheTTL)
	clubs := club.New(db)
	rooms := room.New(db, clubs, users, messages, kv, rtcTokens(cfg, log))
	clubs.OnDelete = rooms.CloseClubRooms // a deleted club's rooms close with it
	// The room service closes rooms for the live service (auto-close, sweeper),
	// and every close, whoever asks for it, ends the room's connections.
	a.Live = live.New(db, kv, rooms, linkRecorder{a.previews, log}, log,
		live.Config{InstanceID: cfg.InstanceID, SweepAfter: cfg.Room.SweepAfter, RefreshEvery: cfg.Room.PresenceRefresh, CloseGrace: cfg.Room.CloseGrace})
	if a.roomBus, err = newRoomBus(ctx, cfg, db, kv, a.Live, log); err != nil {
		return nil, err
	}
	a.undo = append(a.undo, func() { _ = a.roomBus.Close() })
	a.Live.SetBus(a.roomBus)
	rooms.OnClose = a.Live.RoomClosed
	// Presence this instance held before a restart is removed before serving (spec §4.1).
	if err := a.Live.Reclaim(ctx); err != nil {
		return nil, err
	}
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
		WeChat:       wechat.New(wechat.Config{AppID: cfg.WeChat.AppID, AppSecret: cfg.WeChat.AppSecret, APIBase: cfg.WeChat.APIBase, Transport: cfg.traced(nil)}, kv, log),
		Admin:        admin.New(cfg.AdminUIDs, messages),
	}
	return &services{kv: kv, schema: graph.NewSchema(a.Resolver), localStore: localStore}, nil
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
		return observe.CountSMS(sms.Log{Logger: log}, "log"), nil
	}
	s, err := sms.NewAliyun(sms.AliyunConfig{
		AccessKeyID: c.AccessKeyID, AccessKeySecret: c.AccessKeySecret,
		SignName: c.SignName, TemplateCode: c.TemplateCode, Endpoint: c.Endpoint,
		WrapTransport: cfg.traced,
	}, log)
	if err != nil {
		return nil, fmt.Errorf("ALIYUN_SMS_*: %w", err)
	}
	log.Info("SMS provider: Aliyun Dysms", "endpoint", c.Endpoint, "signName", c.SignName, "template", c.TemplateCode)
	return observe.CountSMS(s, "aliyun"), nil
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
		Transport: cfg.traced(nil),
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

// tracer is the configured tracer provider, else the global one.
func (cfg Config) tracer() trace.TracerProvider {
	if cfg.TracerProvider != nil {
		return cfg.TracerProvider
	}
	return otel.GetTracerProvider()
}

// traced wraps an outgoing transport (nil = the default) in client spans.
func (cfg Config) traced(rt http.RoundTripper) http.RoundTripper {
	return observe.Transport(rt, cfg.tracer())
}
