package app

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"

	"chaoqer/app/edge"
	"chaoqer/app/metrics"
	"chaoqer/graph/limits"
	"chaoqer/graph/storage"
)

// DefaultUploadDir is where the local store keeps uploaded images.
const DefaultUploadDir = "./data/uploads"

// DefaultSecret is the published secret that signs anonymous legacy calls.
const DefaultSecret = "Hx!0k!K}5E.]EoP"

// Config is the server's configuration, read from the environment.
type Config struct {
	Addr          string   // CHAOQER_ADDR
	DatabaseURL   string   // DATABASE_URL; empty = SQLite ./data/chaoqer.db
	WhiteMobiles  []string // CHAOQER_WHITE_MOBILES
	DefaultSecret string   // CHAOQER_DEFAULT_SECRET
	LiveUIDs      []string // CHAOQER_LIVE_UIDS
	// Dev is development mode: CHAOQER_ENV=dev, or CHAOQER_ENV unset with
	// the embedded SQLite default (no DATABASE_URL). It changes only the
	// defaults of Introspection, CORSOrigins and SignMaxSkew.
	Dev           bool
	Introspection bool     // CHAOQER_INTROSPECTION; default on in dev, else operators only
	CORSOrigins   []string // CHAOQER_CORS_ORIGINS; empty = any origin in dev, none otherwise
	Env           string   // CHAOQER_ENV: JPush alias prefix (default prod); dev also selects Dev
	// GraphQL bounds every operation (CHAOQER_GRAPHQL_MAX_*); its
	// Introspection fields are filled from Introspection and AdminUIDs.
	GraphQL limits.Config
	// Edge holds the HTTP limits: body size, timeouts, rate limits
	// (CHAOQER_MAX_BODY_BYTES, CHAOQER_*_TIMEOUT, CHAOQER_RATE_*,
	// CHAOQER_TRUSTED_PROXIES).
	Edge edge.Config
	// Captcha bounds SMS codes per client address (across instances).
	Captcha  CaptchaLimits
	LogLevel slog.Level
	// LogFormat is "text" or "json" (CHAOQER_LOG_FORMAT).
	LogFormat string
	// MetricsAddr serves /metrics on its own listener instead of the main
	// one (CHAOQER_METRICS_ADDR; empty = the main listener).
	MetricsAddr string
	// TracerProvider traces requests, operations, SQL and outgoing calls
	// (not read from the environment: the binary builds it with
	// observe.TracerProviderFromEnv; nil = the global provider).
	TracerProvider trace.TracerProvider
	// SignMaxSkew enables the ts window and replay check of legacy signed
	// calls (CHAOQER_SIGN_MAX_SKEW; 0 = off, as the legacy gateway).
	SignMaxSkew time.Duration
	// CountStatements adds the X-Sql-Statements response header
	// (CHAOQER_DEBUG_SQL_COUNT).
	CountStatements bool
	// SkipMigrations leaves pending schema migrations to `chaoqer migrate
	// up` (CHAOQER_MIGRATE=off); by default they are applied at start.
	SkipMigrations bool
	// SessionCacheTTL bounds how stale a cached session may be on an instance
	// that did not see the login or logout (CHAOQER_SESSION_CACHE_TTL).
	SessionCacheTTL time.Duration
	// ProfileCacheTTL bounds how stale a cached profile (nickname, avatar,
	// bio) may be on an instance that did not see the change
	// (CHAOQER_PROFILE_CACHE_TTL; 0 = no profile cache).
	ProfileCacheTTL time.Duration

	AgoraAppID, AgoraCertificate string // AGORA_APP_ID, AGORA_APP_CERTIFICATE

	// InstanceID names this server instance in presence rows and on the
	// room bus; it must be unique among running instances and stay the
	// same across restarts, so that a restarted instance removes at once
	// the presence it held before (CHAOQER_INSTANCE_ID; default
	// hostname:port of Addr, see DefaultInstanceID). Empty = a random id
	// per start.
	InstanceID string

	Room RoomConfig

	// ReminderInterval is how often due event reminders are looked for
	// (CHAOQER_REMINDER_INTERVAL); 0 disables the job on this instance.
	ReminderInterval time.Duration

	SMS  SMSConfig
	Push PushConfig

	// AdminUIDs may use the operator mutations (CHAOQER_ADMIN_UIDS).
	AdminUIDs []string
	// PublicURL is this server's public origin, used in the local store's
	// upload and image URLs (CHAOQER_PUBLIC_URL; default http://localhost
	// with the port of Addr).
	PublicURL string
	Uploads   UploadConfig
	OSS       OSSConfig
	WeChat    WeChatConfig
}

// CaptchaLimits are the per-address limits of the captcha endpoints, per
// hour; 0 = none.
type CaptchaLimits struct {
	PerAddrHour      int // codes asked for (CHAOQER_CAPTCHA_PER_ADDR_HOUR)
	WrongPerAddrHour int // wrong codes tried (CHAOQER_CAPTCHA_WRONG_PER_ADDR_HOUR)
}

// DefaultCaptchaLimits allow a busy shared address (a carrier NAT) a few
// logins a minute.
var DefaultCaptchaLimits = CaptchaLimits{PerAddrHour: 30, WrongPerAddrHour: 60}

// UploadConfig configures the local image store used when OSS is not set.
type UploadConfig struct {
	Dir      string // CHAOQER_UPLOAD_DIR; default ./data/uploads
	MaxBytes int64  // CHAOQER_UPLOAD_MAX_BYTES; default 10 MiB
	// Secret signs upload URLs (CHAOQER_UPLOAD_SECRET, at least 16
	// characters); empty = a key generated once and kept in the database.
	Secret string
}

// OSSConfig selects Aliyun OSS for image uploads when Bucket is set.
type OSSConfig struct {
	Bucket           string // ALIYUN_OSS_BUCKET
	Region           string // ALIYUN_OSS_REGION
	Endpoint         string // ALIYUN_OSS_ENDPOINT
	Host             string // ALIYUN_OSS_HOST: public (CDN) base of image URLs
	AccessKeyID      string // ALIYUN_OSS_ACCESS_KEY_ID
	AccessKeySecret  string // ALIYUN_OSS_ACCESS_KEY_SECRET
	RoleARN          string // ALIYUN_OSS_ROLE_ARN: sign with STS credentials of this role
	STSRegion        string // ALIYUN_OSS_STS_REGION
	SignatureVersion string // ALIYUN_OSS_SIGNATURE_VERSION: v4 or v1
}

// WeChatConfig holds the official account behind the H5 JS-SDK config.
type WeChatConfig struct {
	AppID     string // WECHAT_APP_ID
	AppSecret string // WECHAT_APP_SECRET
	APIBase   string // WECHAT_API_BASE
}

// SMSConfig selects the Aliyun SMS provider when AccessKeyID is set.
type SMSConfig struct {
	AccessKeyID     string // ALIYUN_SMS_ACCESS_KEY_ID
	AccessKeySecret string // ALIYUN_SMS_ACCESS_KEY_SECRET
	SignName        string // ALIYUN_SMS_SIGN_NAME
	TemplateCode    string // ALIYUN_SMS_TEMPLATE_CODE
	Endpoint        string // ALIYUN_SMS_ENDPOINT
}

// RoomConfig tunes live rooms (presence and the room WebSocket).
type RoomConfig struct {
	// WSAddr, when set, also serves the legacy room WebSocket at /{roomId}
	// on this address, like the original port 18081 (CHAOQER_ROOM_WS_ADDR).
	WSAddr string
	// IdleTimeout closes room sockets silent this long (CHAOQER_ROOM_IDLE_TIMEOUT);
	// a GraphQL subscription socket that stops answering pings is closed
	// (and leaves its room) within the same time.
	IdleTimeout time.Duration
	// WSInitTimeout is how long a GraphQL WebSocket may wait before its
	// connection_init (CHAOQER_WS_INIT_TIMEOUT; closed with 4408).
	WSInitTimeout time.Duration
	// SweepAfter closes rooms nobody has been connected to for this long
	// (CHAOQER_ROOM_SWEEP_AFTER).
	SweepAfter time.Duration
	// PresenceRefresh is how often an instance marks its members as still
	// connected; rows not refreshed for 4 periods are removed
	// (CHAOQER_ROOM_PRESENCE_REFRESH).
	PresenceRefresh time.Duration
	// CloseGrace is how long a socket stays open after {"event":"close"}
	// (3 s; not read from the environment, tests shorten it).
	CloseGrace time.Duration
}

// PushConfig selects the JPush sender when AppKey is set.
type PushConfig struct {
	AppKey         string // JPUSH_APP_KEY
	MasterSecret   string // JPUSH_MASTER_SECRET
	APIURL         string // JPUSH_API_URL
	DeviceURL      string // JPUSH_DEVICE_URL
	APNsProduction bool   // JPUSH_APNS_PRODUCTION
}

// ConfigFromEnv reads the configuration from the environment.
func ConfigFromEnv() (Config, error) {
	c := Config{
		Addr:             env("CHAOQER_ADDR", ":8080"),
		DatabaseURL:      os.Getenv("DATABASE_URL"),
		WhiteMobiles:     list(os.Getenv("CHAOQER_WHITE_MOBILES")),
		DefaultSecret:    env("CHAOQER_DEFAULT_SECRET", DefaultSecret),
		LiveUIDs:         list(os.Getenv("CHAOQER_LIVE_UIDS")),
		CORSOrigins:      list(os.Getenv("CHAOQER_CORS_ORIGINS")),
		Env:              env("CHAOQER_ENV", "prod"),
		AgoraAppID:       os.Getenv("AGORA_APP_ID"),
		AgoraCertificate: os.Getenv("AGORA_APP_CERTIFICATE"),
		SMS: SMSConfig{
			AccessKeyID:     os.Getenv("ALIYUN_SMS_ACCESS_KEY_ID"),
			AccessKeySecret: os.Getenv("ALIYUN_SMS_ACCESS_KEY_SECRET"),
			SignName:        env("ALIYUN_SMS_SIGN_NAME", "超圈"),
			TemplateCode:    os.Getenv("ALIYUN_SMS_TEMPLATE_CODE"),
			Endpoint:        env("ALIYUN_SMS_ENDPOINT", "dysmsapi.aliyuncs.com"),
		},
		Push: PushConfig{
			AppKey:       os.Getenv("JPUSH_APP_KEY"),
			MasterSecret: os.Getenv("JPUSH_MASTER_SECRET"),
			APIURL:       env("JPUSH_API_URL", "https://api.jpush.cn"),
			DeviceURL:    env("JPUSH_DEVICE_URL", "https://device.jpush.cn"),
		},
		AdminUIDs: list(os.Getenv("CHAOQER_ADMIN_UIDS")),
		PublicURL: os.Getenv("CHAOQER_PUBLIC_URL"),
		Uploads: UploadConfig{
			Dir:    env("CHAOQER_UPLOAD_DIR", DefaultUploadDir),
			Secret: os.Getenv("CHAOQER_UPLOAD_SECRET"),
		},
		OSS: OSSConfig{
			Bucket:           os.Getenv("ALIYUN_OSS_BUCKET"),
			Region:           env("ALIYUN_OSS_REGION", "cn-shenzhen"),
			Endpoint:         os.Getenv("ALIYUN_OSS_ENDPOINT"),
			Host:             os.Getenv("ALIYUN_OSS_HOST"),
			AccessKeyID:      os.Getenv("ALIYUN_OSS_ACCESS_KEY_ID"),
			AccessKeySecret:  os.Getenv("ALIYUN_OSS_ACCESS_KEY_SECRET"),
			RoleARN:          os.Getenv("ALIYUN_OSS_ROLE_ARN"),
			STSRegion:        os.Getenv("ALIYUN_OSS_STS_REGION"),
			SignatureVersion: env("ALIYUN_OSS_SIGNATURE_VERSION", "v4"),
		},
		WeChat: WeChatConfig{
			AppID:     os.Getenv("WECHAT_APP_ID"),
			AppSecret: os.Getenv("WECHAT_APP_SECRET"),
			APIBase:   env("WECHAT_API_BASE", "https://api.weixin.qq.com"),
		},
	}
	c.Dev = c.Env == "dev" || strings.TrimSpace(os.Getenv("CHAOQER_ENV")) == "" && c.DatabaseURL == ""
	var err error
	if c.Introspection, err = boolEnv("CHAOQER_INTROSPECTION", c.Dev); err != nil {
		return c, err
	}
	if c.GraphQL, err = graphQLLimits(); err != nil {
		return c, err
	}
	if c.Edge, err = readEdgeConfig(); err != nil {
		return c, err
	}
	c.Captcha = DefaultCaptchaLimits
	if err := intEnv("CHAOQER_CAPTCHA_PER_ADDR_HOUR", &c.Captcha.PerAddrHour); err != nil {
		return c, err
	}
	if err := intEnv("CHAOQER_CAPTCHA_WRONG_PER_ADDR_HOUR", &c.Captcha.WrongPerAddrHour); err != nil {
		return c, err
	}
	if c.CountStatements, err = boolEnv("CHAOQER_DEBUG_SQL_COUNT", false); err != nil {
		return c, err
	}
	if c.Push.APNsProduction, err = boolEnv("JPUSH_APNS_PRODUCTION", false); err != nil {
		return c, err
	}
	switch v := strings.ToLower(env("CHAOQER_MIGRATE", "on")); v {
	case "on":
	case "off":
		c.SkipMigrations = true
	default:
		return c, fmt.Errorf("CHAOQER_MIGRATE: on or off (got %q)", v)
	}
	skew := "15m" // spec §1.4 [REC]
	if c.Dev {
		skew = "0"
	}
	if c.SignMaxSkew, err = time.ParseDuration(env("CHAOQER_SIGN_MAX_SKEW", skew)); err != nil || c.SignMaxSkew < 0 {
		return c, fmt.Errorf("CHAOQER_SIGN_MAX_SKEW: a duration such as 5m, or 0 for off")
	}
	if c.SessionCacheTTL, err = time.ParseDuration(env("CHAOQER_SESSION_CACHE_TTL", "2s")); err != nil {
		return c, fmt.Errorf("CHAOQER_SESSION_CACHE_TTL: %w", err)
	}
	if c.ProfileCacheTTL, err = time.ParseDuration(env("CHAOQER_PROFILE_CACHE_TTL", "2s")); err != nil || c.ProfileCacheTTL < 0 {
		return c, fmt.Errorf("CHAOQER_PROFILE_CACHE_TTL: must be a duration such as 2s or 0 for off (got %q)", os.Getenv("CHAOQER_PROFILE_CACHE_TTL"))
	}
	if c.ReminderInterval, err = time.ParseDuration(env("CHAOQER_REMINDER_INTERVAL", "15s")); err != nil || c.ReminderInterval < 0 {
		return c, fmt.Errorf("CHAOQER_REMINDER_INTERVAL: must be a duration such as 15s or 0 (got %q)", os.Getenv("CHAOQER_REMINDER_INTERVAL"))
	}
	c.InstanceID = env("CHAOQER_INSTANCE_ID", DefaultInstanceID(c.Addr))
	if id := c.InstanceID; len(id) > maxInstanceID || strings.Contains(id, "|") {
		return c, fmt.Errorf("CHAOQER_INSTANCE_ID: at most %d characters, without '|'", maxInstanceID)
	}
	c.Room.WSAddr = os.Getenv("CHAOQER_ROOM_WS_ADDR")
	for _, d := range []struct {
		name string
		def  string
		to   *time.Duration
	}{
		{"CHAOQER_ROOM_IDLE_TIMEOUT", "120s", &c.Room.IdleTimeout},
		{"CHAOQER_ROOM_SWEEP_AFTER", "10m", &c.Room.SweepAfter},
		{"CHAOQER_ROOM_PRESENCE_REFRESH", "15s", &c.Room.PresenceRefresh},
		{"CHAOQER_WS_INIT_TIMEOUT", "10s", &c.Room.WSInitTimeout},
	} {
		v, err := time.ParseDuration(env(d.name, d.def))
		if err != nil || v <= 0 {
			return c, fmt.Errorf("%s: a positive duration is required", d.name)
		}
		*d.to = v
	}
	if v := strings.TrimSpace(os.Getenv("CHAOQER_UPLOAD_MAX_BYTES")); v != "" {
		if c.Uploads.MaxBytes, err = strconv.ParseInt(v, 10, 64); err != nil || c.Uploads.MaxBytes <= 0 {
			return c, fmt.Errorf("CHAOQER_UPLOAD_MAX_BYTES: not a positive integer: %q", v)
		}
	}
	if v := c.OSS.SignatureVersion; v != "v4" && v != "v1" {
		return c, fmt.Errorf("ALIYUN_OSS_SIGNATURE_VERSION: %q is neither v4 nor v1", v)
	}
	if s := c.Uploads.Secret; s != "" && len(s) < 16 {
		return c, fmt.Errorf("CHAOQER_UPLOAD_SECRET: at least 16 characters")
	}
	c.MetricsAddr = os.Getenv("CHAOQER_METRICS_ADDR")
	if c.LogFormat = env("CHAOQER_LOG_FORMAT", "text"); c.LogFormat != "text" && c.LogFormat != "json" {
		return c, fmt.Errorf("CHAOQER_LOG_FORMAT: %q is neither json nor text", c.LogFormat)
	}
	if err := c.LogLevel.UnmarshalText([]byte(env("CHAOQER_LOG_LEVEL", "info"))); err != nil {
		return c, fmt.Errorf("CHAOQER_LOG_LEVEL: %w", err)
	}
	return c, nil
}

// maxInstanceID is the longest instance id (room_presences.instance_id).
const maxInstanceID = 64

// DefaultInstanceID is "hostname:port" for the listen address addr: stable
// across restarts of one process slot (a container keeps its hostname, a
// host runs one instance per port). It is "" (a random id per start) when
// the port is not fixed or the hostname unknown; a name longer than the
// column is replaced by its MD5.
func DefaultInstanceID(addr string) string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" || port == "0" {
		return ""
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		return ""
	}
	id := strings.ReplaceAll(host, "|", "_") + ":" + port
	if len(id) > maxInstanceID {
		sum := md5.Sum([]byte(id))
		id = hex.EncodeToString(sum[:])
	}
	return id
}

// graphQLLimits are c.GraphQL with the operation deadline for WebSocket
// operations (CHAOQER_OPERATION_TIMEOUT) and introspection for everyone when
// c.Introspection is on, else for the operators (AdminUIDs).
func (c Config) graphQLLimits() limits.Config {
	l := c.GraphQL
	l.SocketTimeout = c.Edge.OperationTimeout
	l.Introspection = c.Introspection
	l.IntrospectionUIDs = c.AdminUIDs
	return l
}

// edgeConfig is c.Edge with the local image store's uploads exempt from the
// body limit (they have their own, CHAOQER_UPLOAD_MAX_BYTES).
func (c Config) edgeConfig() edge.Config {
	e := c.Edge
	e.Refused = metrics.RateLimited
	e.BodyExempt = append(e.BodyExempt[:len(e.BodyExempt):len(e.BodyExempt)], storage.LocalPathPrefix)
	return e
}

// graphQLLimits reads CHAOQER_GRAPHQL_MAX_* (0 turns a limit off).
func graphQLLimits() (limits.Config, error) {
	c := limits.Defaults()
	if v := strings.TrimSpace(os.Getenv("CHAOQER_GRAPHQL_WS_RATE")); v != "" {
		r, err := edge.ParseRate(v)
		if err != nil {
			return c, fmt.Errorf("CHAOQER_GRAPHQL_WS_RATE: %w", err)
		}
		c.SocketRate, c.SocketBurst = r.PerSecond, r.Burst
	}
	for _, l := range []struct {
		name string
		to   *int
	}{
		{"CHAOQER_GRAPHQL_MAX_TOKENS", &c.MaxTokens},
		{"CHAOQER_GRAPHQL_MAX_DEPTH", &c.MaxDepth},
		{"CHAOQER_GRAPHQL_MAX_SELECTIONS", &c.MaxSelections},
		{"CHAOQER_GRAPHQL_MAX_COST", &c.MaxCost},
		{"CHAOQER_GRAPHQL_MAX_SUBSCRIPTIONS", &c.MaxSubscriptions},
	} {
		if err := intEnv(l.name, l.to); err != nil {
			return c, err
		}
	}
	return c, nil
}

// readEdgeConfig reads the HTTP limits.
func readEdgeConfig() (edge.Config, error) {
	c := edge.Defaults()
	for name, to := range map[string]*int{"CHAOQER_MAX_BODY_BYTES": &c.MaxBodyBytes,
		"CHAOQER_WS_PER_ADDR": &c.Sockets.PerAddr, "CHAOQER_WS_PER_UID": &c.Sockets.PerUID} {
		if err := intEnv(name, to); err != nil {
			return c, err
		}
	}
	if c.MaxBodyBytes > edge.MaxBodyCeiling {
		return c, fmt.Errorf("CHAOQER_MAX_BODY_BYTES: at most %d (0 = that ceiling)", edge.MaxBodyCeiling)
	}
	for _, d := range []struct {
		name string
		to   *time.Duration
	}{
		{"CHAOQER_READ_TIMEOUT", &c.ReadTimeout},
		{"CHAOQER_WRITE_TIMEOUT", &c.WriteTimeout},
		{"CHAOQER_OPERATION_TIMEOUT", &c.OperationTimeout},
	} {
		if v := strings.TrimSpace(os.Getenv(d.name)); v != "" {
			t, err := time.ParseDuration(v)
			if err != nil || t < 0 {
				return c, fmt.Errorf("%s: a duration such as 30s, or 0 for none", d.name)
			}
			*d.to = t
		}
	}
	for _, r := range []struct {
		name string
		to   *edge.Rate
	}{
		{"CHAOQER_RATE_PER_ADDR", &c.PerAddr},
		{"CHAOQER_RATE_PER_UID", &c.PerUID},
	} {
		if v := strings.TrimSpace(os.Getenv(r.name)); v != "" {
			rate, err := edge.ParseRate(v)
			if err != nil {
				return c, fmt.Errorf("%s: %w", r.name, err)
			}
			*r.to = rate
		}
	}
	var err error
	if v, ok := os.LookupEnv("CHAOQER_TRUSTED_PROXIES"); ok {
		if c.TrustedProxies, err = edge.ParsePrefixes(list(v)); err != nil {
			return c, fmt.Errorf("CHAOQER_TRUSTED_PROXIES: %w", err)
		}
	}
	if v, ok := os.LookupEnv("CHAOQER_RATE_EXEMPT"); ok {
		if c.Exempt, err = edge.ParsePrefixes(list(v)); err != nil {
			return c, fmt.Errorf("CHAOQER_RATE_EXEMPT: %w", err)
		}
	}
	return c, nil
}

// intEnv sets *to from a non-negative integer variable, when it is set.
func intEnv(name string, to *int) error {
	v := strings.TrimSpace(os.Getenv(name))
	if v == "" {
		return nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return fmt.Errorf("%s: not a non-negative integer: %q", name, v)
	}
	*to = n
	return nil
}

func env(name, def string) string {
	if v := strings.TrimSpace(os.Getenv(name)); v != "" {
		return v
	}
	return def
}

func list(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func boolEnv(name string, def bool) (bool, error) {
	v := strings.TrimSpace(os.Getenv(name))
	if v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return def, fmt.Errorf("%s: %w", name, err)
	}
	return b, nil
}
