package app

import (
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"
)

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
	// CountStatements adds the X-Sql-Statements response header
	// (CHAOQER_DEBUG_SQL_COUNT).
	CountStatements bool
	// SessionCacheTTL bounds how stale a cached session may be on an instance
	// that did not see the login or logout (CHAOQER_SESSION_CACHE_TTL).
	SessionCacheTTL time.Duration

	AgoraAppID, AgoraCertificate string // AGORA_APP_ID, AGORA_APP_CERTIFICATE

	Room RoomConfig

	SMS  SMSConfig
	Push PushConfig
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
	if c.SessionCacheTTL, err = time.ParseDuration(env("CHAOQER_SESSION_CACHE_TTL", "2s")); err != nil {
		return c, fmt.Errorf("CHAOQER_SESSION_CACHE_TTL: %w", err)
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
