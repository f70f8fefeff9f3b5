package app

import (
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"
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
	Introspection bool     // CHAOQER_INTROSPECTION
	CORSOrigins   []string // CHAOQER_CORS_ORIGINS; empty = any origin
	Env           string   // CHAOQER_ENV: JPush alias prefix
	LogLevel      slog.Level
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

	AgoraAppID, AgoraCertificate string // AGORA_APP_ID, AGORA_APP_CERTIFICATE

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
	// IdleTimeout closes room sockets silent this long (CHAOQER_ROOM_IDLE_TIMEOUT).
	IdleTimeout time.Duration
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
	var err error
	if c.Introspection, err = boolEnv("CHAOQER_INTROSPECTION", true); err != nil {
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
	if c.SignMaxSkew, err = time.ParseDuration(env("CHAOQER_SIGN_MAX_SKEW", "0")); err != nil || c.SignMaxSkew < 0 {
		return c, fmt.Errorf("CHAOQER_SIGN_MAX_SKEW: a duration such as 5m, or 0 for off")
	}
	if c.SessionCacheTTL, err = time.ParseDuration(env("CHAOQER_SESSION_CACHE_TTL", "2s")); err != nil {
		return c, fmt.Errorf("CHAOQER_SESSION_CACHE_TTL: %w", err)
	}
	if c.ReminderInterval, err = time.ParseDuration(env("CHAOQER_REMINDER_INTERVAL", "15s")); err != nil || c.ReminderInterval < 0 {
		return c, fmt.Errorf("CHAOQER_REMINDER_INTERVAL: must be a duration such as 15s or 0 (got %q)", os.Getenv("CHAOQER_REMINDER_INTERVAL"))
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
	if err := c.LogLevel.UnmarshalText([]byte(env("CHAOQER_LOG_LEVEL", "info"))); err != nil {
		return c, fmt.Errorf("CHAOQER_LOG_LEVEL: %w", err)
	}
	return c, nil
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
